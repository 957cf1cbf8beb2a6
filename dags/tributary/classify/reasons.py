"""Feature -> sentence. A reason is only shown when its feature pushed the decision toward the
chosen class, so each sentence states the fact and, where useful, what it suggests."""

from __future__ import annotations

CLASS_WORDS = {"application": "application tables", "broker": "market/broker data", "unknown": "stale or unused tables"}


def _human(n: float) -> str:
    for unit, size in (("billion", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit if unit != 'billion' else ' billion'}".replace(".0", "")
    return str(int(n))


def _listing(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _rows(f: dict) -> str:
    return f"about {_human(f['rows'])} rows"


PHRASES = {
    "name_stale_affix": lambda f: f"name suggests a leftover copy or scratch table ('{_listing(f['stale_affixes'])}' in {f['name']})",
    "name_date_old": lambda f: f"name carries an old date ({f['name_date']}), typical of backups and one-off imports",
    "name_date_recent": lambda f: f"name carries a recent date ({f['name_date']}), like a live time partition",
    "copy_of_live_table": lambda f: f"looks like a copy of the live table '{f['copy_of']}'",
    "schema_market": lambda f: f"lives in schema '{f['schema']}', a market-data schema",
    "market_column_share": lambda f: f"columns {_listing(f['market_columns'])} look like market/broker data",
    "application_column_share": lambda f: f"columns {_listing(f['application_columns'])} look like application records",
    "row_edit_column": lambda f: f"has a '{f['row_edit_column']}' column, so rows are edited after insert",
    "no_primary_key": lambda f: "no primary key",
    "is_partitioned": lambda f: "partitioned table",
    "timestamp_leads_key": lambda f: f"time-series shape: '{f['time_key']}' leads the key or an index",
    "first_column_timestamp": lambda f: "the first column is a timestamp (time-series layout)",
    "time_column_named_ts": lambda f: "has a ts/event-time column typical of feeds",
    "fk_out": lambda f: f"references {f['fk_out']} other table(s) by foreign key",
    "fk_in": lambda f: f"referenced by {f['fk_in']} table(s) through foreign keys",
    "implied_refs": lambda f: f"columns {_listing(f['implied_refs'])} point at tables of this instance",
    "no_foreign_keys": lambda f: "no foreign keys to or from other tables",
    "isolated": lambda f: "not connected to any other table (no foreign keys, no *_id columns naming a table here)",
    "never_scanned": lambda f: "never scanned (0 sequential and 0 index scans) since statistics were reset",
    "never_scanned_since_recent_reset": lambda f: (
        f"no scans, but statistics were reset only {f['stats_reset_days'] * 24:.0f} h ago, so usage says little"),
    "unused_since_reset": lambda f: (
        ("neither read nor written" if not f["scans"] else f"not written, and read only by {f['scans']} full scan(s) (a dump?)")
        + " since the statistics were reset"
        + (f" {f['stats_reset_days']:.0f} days ago" if f.get("stats_reset_days") is not None else "")),
    "written_more_than_read": lambda f: (
        f"written far more than read ({f['inserts']:,} rows inserted, {f['scans']:,} scans): the pattern of a feed"),
    "read_and_edited": lambda f: (
        f"read and edited: {f['scans']:,} scans, {f['updates']:,} updates and {f['deletes']:,} deletes since the reset"),
    "appended_and_read": lambda f: f"appended to and read: {f['inserts']:,} inserts, no updates, {f['scans']:,} scans",
    "scan_volume": lambda f: f"read: {f['scans']:,} scans since statistics were reset",
    "no_writes": lambda f: "no rows inserted, updated or deleted since statistics were reset",
    "insert_only": lambda f: f"insert-only ({f['inserts']:,} inserts, no updates or deletes)",
    "has_updates": lambda f: f"rows are updated ({f['updates']:,} updates)",
    "has_deletes": lambda f: f"rows are deleted ({f['deletes']:,} deletes)",
    "no_statements": lambda f: "no statements against it in pg_stat_statements",
    "statement_volume": lambda f: f"{f['statement_calls']:,} statement calls in pg_stat_statements",
    "never_maintained": lambda f: "never vacuumed or analyzed",
    "maintained_long_ago": lambda f: f"last vacuum/analyze on {f['last_maintenance']}, over a year ago",
    "rows_log": lambda f: f"size: {_rows(f)}",
    "rows_large": lambda f: f"large: {_rows(f)}",
    "empty_table": lambda f: "empty table",
    "span_recent": lambda f: f"data is current (latest {f['span_column']} {f['span_max']})",
    "span_old": lambda f: f"data ends over a year ago (latest {f['span_column']} {f['span_max']})",
    "span_very_old": lambda f: f"data ends over three years ago (latest {f['span_column']} {f['span_max']}): not a live feed",
    "no_time_span": lambda f: "no indexed timestamp column (no time-series shape)",
}

# word features are grouped into one sentence per family
WORD_FAMILIES = {
    "name_word": "name words {words} are typical of {cls}",
    "column_word": "column words {words} are typical of {cls}",
    "schema_word": "schema name '{schema}' is typical of {cls}",
}


def phrase(feature: str, facts: dict) -> str:
    return PHRASES[feature](facts)


def phrase_words(family: str, words: list[str], facts: dict, label: str) -> str:
    return WORD_FAMILIES[family].format(words=", ".join(f"'{w}'" for w in words[:4]), schema=facts["schema"],
                                        cls=CLASS_WORDS[label])
