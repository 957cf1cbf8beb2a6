"""From one inventory table (plus what the rest of its instance says about it) to model features.

`describe_table` returns two dicts:
  * ``features``: name -> number, what the model sees (mostly 0/1 signals and a few shares);
  * ``facts``: the concrete values behind them (row count, column names, dates), used only to
    word the reasons (see reasons.py).
Feature names are stable strings; ``word`` features look like ``column_word=bid``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .words import (
    APPLICATION_WORDS,
    MARKET_WORDS,
    STALE_AFFIXES,
    date_in_name,
    is_time_type,
    singular,
    split_identifier,
)

DAY_SECONDS = 86400.0
# Schemas whose very name says "data bought from or produced by the market".
MARKET_SCHEMA_WORDS = MARKET_WORDS | {"refdata", "reference", "feeds", "vendor", "risk", "quant", "ticks"}
# Columns that exist because rows get edited after insert.
ROW_EDIT_COLUMNS = ("updated_at", "modified_at", "last_update", "last_updated", "updated", "modified",
                    "updated_on", "modified_on", "last_modified", "changed_at", "lock_version", "row_version")
TIME_COLUMN_NAMES = ("ts", "time", "timestamp", "event_time", "trade_time", "quote_time", "exchange_ts",
                     "recv_ts", "sip_ts", "bar_time", "snapshot_time", "as_of", "asof")
# Sequential scans that still mean "nobody uses it": a pg_dump, a look by hand.
DUMP_SCANS = 2
_INDEX_COLUMNS = re.compile(r"\((?P<cols>[^)]*)\)")


@dataclass(frozen=True)
class InstanceContext:
    """What the classifier knows about the instance a table lives in."""

    instance: str
    scanned_at: datetime
    stats_reset: datetime | None = None
    # singular lower-case table name -> table name, e.g. {"customer": "customer", "user": "users"}
    tables_by_word: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, inventory: dict) -> "InstanceContext":
        tables = inventory.get("tables", [])
        return cls(
            instance=inventory.get("instance", "?"),
            scanned_at=parse_time(inventory.get("scanned_at")) or datetime.now(timezone.utc),
            stats_reset=parse_time(inventory.get("stats_reset")),
            tables_by_word=tables_by_word(t["name"] for t in tables),
        )


def tables_by_word(names) -> dict[str, str]:
    return {singular(name.lower()): name for name in sorted(names)}


def parse_time(value) -> datetime | None:
    """An inventory timestamp as an aware datetime; None when absent or not a point in time.

    PostgreSQL's JSON rendering also produces values Python cannot hold or that mean no moment at all:
    'infinity' / '-infinity' (sentinels such as "valid forever"), BC dates ('0044-03-15T00:00:00 BC') and
    years past 9999. None of them says anything about how recent a table's data is, so they read as unknown.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 10:  # a bare date
        text += "T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def number(value) -> int | float | None:
    """A statistic as a finite number; None for missing, NaN, ±infinity or anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _days_before(later: datetime, earlier: datetime | None) -> float | None:
    return None if earlier is None else (later - earlier).total_seconds() / DAY_SECONDS


def _index_leading_columns(table: dict) -> list[str]:
    leading = []
    if table.get("primary_key"):
        leading.append(table["primary_key"][0])
    for index in table.get("indexes", []):
        match = _INDEX_COLUMNS.search(index.get("definition", ""))
        if match:
            first = match["cols"].split(",")[0].strip().strip('"').split(" ")[0]
            leading.append(first)
    return leading


def _strip_to_base_name(words: list[str]) -> str:
    """backup_users_20200101 -> "user": the live table a copy was probably taken from."""
    kept = [w for w in words if w not in STALE_AFFIXES and w not in {"q", "p", "v", "s", "h"}]
    return singular("_".join(kept)) if kept else ""


def describe_table(table: dict, context: InstanceContext, schema: str | None = None) -> tuple[dict, dict]:
    features: dict[str, float] = {}
    facts: dict = {"name": table["name"], "schema": schema or table.get("schema", "")}
    now = context.scanned_at

    # ---- the name
    name_words = split_identifier(table["name"])
    for word in set(name_words):
        features[f"name_word={word}"] = 1.0
    schema_words = split_identifier(facts["schema"])
    for word in set(schema_words):
        features[f"schema_word={word}"] = 1.0
    if any(w in MARKET_SCHEMA_WORDS for w in schema_words):
        features["schema_market"] = 1.0
    affixes = sorted({w for w in name_words if w in STALE_AFFIXES})
    if affixes:
        features["name_stale_affix"] = 1.0
        facts["stale_affixes"] = affixes
    named_date = date_in_name(table["name"])
    if named_date:
        facts["name_date"] = named_date.isoformat()
        age = (now.date() - named_date).days
        features["name_date_old" if age > 365 else "name_date_recent"] = 1.0
    base = _strip_to_base_name(name_words)
    own = singular(table["name"].lower())
    if (affixes or named_date) and base and base != own and base in context.tables_by_word:
        features["copy_of_live_table"] = 1.0
        facts["copy_of"] = context.tables_by_word[base]

    # ---- the columns
    columns = sorted(table.get("columns", []), key=lambda c: c.get("position", 0))
    column_names = [c["name"] for c in columns]
    market_columns, app_columns = [], []
    for column in columns:
        words = split_identifier(column["name"])
        for word in set(words):
            features[f"column_word={word}"] = 1.0
        if any(w in MARKET_WORDS for w in words):
            market_columns.append(column["name"])
        if any(w in APPLICATION_WORDS for w in words):
            app_columns.append(column["name"])
    if columns:
        features["market_column_share"] = len(market_columns) / len(columns)
        features["application_column_share"] = len(app_columns) / len(columns)
    facts["market_columns"] = market_columns
    facts["application_columns"] = app_columns
    edit_columns = [c for c in column_names if c.lower() in ROW_EDIT_COLUMNS]
    if edit_columns:
        features["row_edit_column"] = 1.0
        facts["row_edit_column"] = edit_columns[0]
    if not table.get("primary_key"):
        features["no_primary_key"] = 1.0
    if table.get("kind") == "partitioned":
        features["is_partitioned"] = 1.0

    # ---- time-series shape
    types = {c["name"]: c.get("type", "") for c in columns}
    time_leads = [c for c in _index_leading_columns(table) if is_time_type(types.get(c, ""))]
    if time_leads:
        features["timestamp_leads_key"] = 1.0
        facts["time_key"] = time_leads[0]
    if columns and is_time_type(columns[0].get("type", "")):
        features["first_column_timestamp"] = 1.0
    if any(c.lower() in TIME_COLUMN_NAMES or c.lower().endswith("_ts") for c in column_names if is_time_type(types[c])):
        features["time_column_named_ts"] = 1.0

    # ---- foreign-key connectivity (declared, and implied by `<table>_id` column names)
    fk_out = len(table.get("foreign_keys", []))
    fk_in = len(table.get("referenced_by", []))
    fk_columns = {col for fk in table.get("foreign_keys", []) for col in fk.get("columns", [])}
    implied = sorted(
        c for c in column_names
        if c not in fk_columns and c.lower().endswith("_id")
        and singular(c.lower()[:-3]) in context.tables_by_word and singular(c.lower()[:-3]) != own
    )
    facts.update(fk_out=fk_out, fk_in=fk_in, implied_refs=implied)
    if fk_out:
        features["fk_out"] = min(fk_out, 4) / 4
    if fk_in:
        features["fk_in"] = min(fk_in, 4) / 4
    if implied:
        features["implied_refs"] = min(len(implied), 3) / 3
    if not fk_out and not fk_in:
        features["no_foreign_keys"] = 1.0
        if not implied:
            features["isolated"] = 1.0

    # ---- usage since the statistics were last reset
    usage = table.get("usage") or {}
    scans = (number(usage.get("seq_scan")) or 0) + (number(usage.get("idx_scan")) or 0)
    inserts, updates, deletes = (number(usage.get(k)) or 0 for k in ("n_tup_ins", "n_tup_upd", "n_tup_del"))
    facts.update(scans=scans, inserts=inserts, updates=updates, deletes=deletes)
    reset_days = _days_before(now, context.stats_reset)
    facts["stats_reset_days"] = reset_days
    # None: the statistics say nothing about this table (no usage row); else whether anything used it. A full
    # scan or two and nothing else is what pg_dump or a curious analyst leaves: no use.
    index_scans = number(usage.get("idx_scan")) or 0
    facts["used"] = (inserts + updates + deletes > 0 or index_scans > 0 or scans > DUMP_SCANS) if usage else None
    if usage:
        # The combinations that tell the classes apart, as single signals (usage outweighs names: model.py).
        long_window = reset_days is None or reset_days >= 2
        if not facts["used"] and long_window:
            features["unused_since_reset"] = 1.0
        if scans and (updates or deletes):
            features["read_and_edited"] = 1.0
        # Over a short window a bulk load is most of what happened: the write patterns only count over a long one.
        if long_window and scans and inserts and not updates:
            features["appended_and_read"] = 1.0
        if long_window and inserts > 1000 and inserts > 10 * scans:  # feeds: written far more than read
            features["written_more_than_read"] = 1.0
        if scans == 0:
            # A counter that was zeroed an hour ago proves nothing: keep the two cases apart.
            short_window = reset_days is not None and reset_days < 2
            features["never_scanned_since_recent_reset" if short_window else "never_scanned"] = 1.0
        else:
            features["scan_volume"] = min(math.log10(1 + scans), 9) / 9
        if inserts + updates + deletes == 0:
            features["no_writes"] = 1.0
        elif updates == 0 and deletes == 0 and long_window:
            features["insert_only"] = 1.0
        if updates > 0:
            features["has_updates"] = 1.0
        if deletes > 0:
            features["has_deletes"] = 1.0
        calls = number(usage.get("statement_calls"))
        facts["statement_calls"] = calls
        if calls == 0:
            features["no_statements"] = 1.0
        elif calls:
            features["statement_volume"] = min(math.log10(1 + calls), 9) / 9
        maintenance = [parse_time(usage.get(k)) for k in
                       ("last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze")]
        maintenance = [m for m in maintenance if m]
        if not maintenance:
            features["never_maintained"] = 1.0
        elif _days_before(now, max(maintenance)) > 365:
            features["maintained_long_ago"] = 1.0
            facts["last_maintenance"] = max(maintenance).date().isoformat()

    # ---- size
    size = table.get("size") or {}
    # rows_estimate is null for a never-analyzed table (reltuples -1): an unknown size reads as empty.
    rows = number(size.get("rows_exact"))
    rows = int(max(number(size.get("rows_estimate")) or 0 if rows is None else rows, 0))
    facts["rows"] = rows
    features["rows_log"] = min(math.log10(1 + rows), 10) / 10
    if rows >= 5_000_000:
        features["rows_large"] = 1.0
    if rows == 0:
        features["empty_table"] = 1.0

    # ---- how recent the data is
    span = ((table.get("profile") or {}).get("time_span")) or None  # finite extremes; infinities listed apart
    span_max = parse_time(span.get("max")) if span else None
    if span_max:
        facts.update(span_column=span.get("column"), span_max=span_max.date().isoformat())
        age = _days_before(now, span_max)
        if age <= 31:
            features["span_recent"] = 1.0
        if age > 365:
            features["span_old"] = 1.0
        if age > 3 * 365:
            features["span_very_old"] = 1.0
    else:
        features["no_time_span"] = 1.0
    return features, facts
