"""Splitting identifiers into words, and the small vocabularies the features look words up in.

The vocabularies only *group* words into signals a person can name ("market-data columns",
"stale-copy affixes"); how much each signal counts is learned from the corpus, not set here.
"""

from __future__ import annotations

import re
from datetime import date

# A date or a year written into a name: _2019, _20200101, _2018_q3, _201912, 2021_03
_DATE_IN_NAME = re.compile(
    r"(?<![0-9])(?P<year>19[89][0-9]|20[0-9]{2})(?:[_-]?(?P<month>0[1-9]|1[0-2])(?:[_-]?(?P<day>0[1-9]|[12][0-9]|3[01]))?)?(?![0-9])"
)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")

# Affixes people put on copies, scratch tables and leftovers.
STALE_AFFIXES = frozenset({
    "tmp", "temp", "bak", "backup", "bkp", "old", "legacy", "copy", "zz", "xx", "deprecated",
    "unused", "obsolete", "archive", "archived", "dump", "scratch", "orig", "migration", "migrated",
    "fix", "hotfix", "oneoff", "test", "import", "imported", "snapshot", "retired", "dead", "todelete",
    "delete", "drop", "v1", "prev", "before",
})

# Words of market, broker and vendor data (quotes, trades prints, bars, books, reference data).
MARKET_WORDS = frozenset({
    "bid", "ask", "bids", "asks", "px", "price", "prices", "mid", "spread", "last", "open", "high", "low",
    "close", "vwap", "twap", "volume", "vol", "size", "qty", "quantity", "notional", "venue", "mic",
    "exchange", "symbol", "ticker", "isin", "cusip", "sedol", "figi", "ric", "bbg", "tick", "ticks",
    "quote", "quotes", "bar", "bars", "ohlc", "ohlcv", "candle", "candles", "book", "depth", "level",
    "levels", "liquidity", "exec", "execution", "executions", "fill", "fills", "trade", "trades",
    "print", "prints", "ts", "nanos", "seq", "sequence", "feed", "vendor", "bloomberg", "refinitiv",
    "reuters", "polygon", "iex", "fx", "rate", "rates", "tenor", "strike", "expiry", "delta", "gamma",
    "vega", "theta", "iv", "oi", "funding", "mark", "settle", "settlement", "yield", "coupon", "curve",
    "dividend", "split", "corporate", "action", "actions", "instrument", "instruments", "underlying",
    "contract", "imbalance", "auction", "halt", "nbbo", "bbo", "condition", "conditions", "var",
    "exposure", "pnl", "greeks", "md", "market", "marketdata", "ccy", "currency", "pair", "base",
    "quote_ccy", "payload", "received", "side", "broker", "commission",
})

# Words of application rows: people, accounts, things users create and edit.
APPLICATION_WORDS = frozenset({
    "email", "user", "users", "username", "password", "hash", "first", "last", "name", "full",
    "phone", "address", "city", "country", "postal", "zip", "status", "state", "role", "roles",
    "permission", "permissions", "customer", "customers", "account", "accounts", "profile", "title",
    "description", "slug", "url", "created", "updated", "deleted", "modified", "active", "enabled",
    "is", "owner", "team", "org", "organization", "tenant", "invoice", "order", "orders", "cart",
    "product", "comment", "post", "page", "session", "token", "settings", "preferences", "note",
    "notes", "tag", "tags", "version", "config", "strategy", "strategies", "decision", "position",
    "positions", "employee", "department", "ticket", "subscription", "plan", "payment",
})

TIME_TYPES = ("timestamp", "date")


def split_identifier(identifier: str) -> list[str]:
    """snake_case, camelCase, kebab and digits -> lower-case words; digits-only parts are dropped."""
    words: list[str] = []
    for part in _SEPARATORS.split(identifier):
        for word in _CAMEL_BOUNDARY.sub(" ", part).split():
            word = word.lower()
            if _DIGITS.fullmatch(word):
                continue
            # "p2022" (partition suffix), "v2" (version) -> keep the letters only
            stripped = _DIGITS.sub("", word)
            if stripped:
                words.append(stripped)
    return words


def date_in_name(identifier: str) -> date | None:
    """The date a name carries (backup_users_20200101 -> 2020-01-01, tmp_import_2019 -> 2019-01-01)."""
    match = _DATE_IN_NAME.search(identifier.replace("-", "_"))
    if not match:
        return None
    year = int(match["year"])
    month = int(match["month"] or 1)
    day = int(match["day"] or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, 1, 1)


def is_time_type(type_name: str) -> bool:
    return type_name.startswith(TIME_TYPES)


def singular(word: str) -> str:
    """Crude English singular, enough to match `customer_id` with table `customers`."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")) and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word
