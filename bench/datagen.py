"""The benchmark's `trades` table, generated server-side in one INSERT … SELECT over generate_series.

Every value is a function of the row id (hashint8extended with a fixed seed per column), so the same
BENCH_ROWS always gives the same table, on any machine with the same PostgreSQL major version.
~110 bytes per row on disk: 5,000,000 rows ≈ 550 MB of heap.
"""
from __future__ import annotations

import re
import time

from bench.stack import Database

VERSION = "trades-v1"

DDL = """
CREATE TABLE {name} (
    id          bigint        NOT NULL,
    account_id  bigint        NOT NULL,
    symbol      text          NOT NULL,
    side        text          NOT NULL,
    qty         numeric(18,4) NOT NULL,
    price       numeric(18,6) NOT NULL,
    executed_at timestamptz   NOT NULL,
    venue       text          NOT NULL,
    order_id    uuid          NOT NULL,
    fees        numeric(18,6) NOT NULL,
    note        text
)"""

COLUMNS = ["id", "account_id", "symbol", "side", "qty", "price", "executed_at", "venue", "order_id", "fees", "note"]

# h(n) is a deterministic 63-bit pseudo-random number per row and column.
_INSERT = """
INSERT INTO {name}
SELECT i,
       1 + h(i, 1) % 250000,
       (ARRAY['AAPL','MSFT','NVDA','AMZN','GOOGL','META','TSLA','JPM','V','XOM','UNH','JNJ','WMT','PG',
              'MA','HD','CVX','KO','PEP','BAC','ASML','SAP','NESN','MC','SHEL','AZN','NOVN','ROG','SIE',
              'TTE'])[1 + h(i, 2) % 30],
       CASE WHEN h(i, 3) % 2 = 0 THEN 'buy' ELSE 'sell' END,
       round((1 + h(i, 4) % 500000) / 100.0, 4),
       round((100000 + h(i, 5) % 90000000) / 100000.0, 6),
       timestamptz '2026-01-02 08:00:00+00' + (i * interval '1.7 seconds'),
       (ARRAY['XNYS','XNAS','ARCX','BATS','IEXG','XLON','XETR','XPAR'])[1 + h(i, 6) % 8],
       (lpad(to_hex(h(i, 7)), 16, '0') || lpad(to_hex(h(i, 8)), 16, '0'))::uuid,
       round((1 + h(i, 4) % 500000) / 100.0 * (100000 + h(i, 5) % 90000000) / 100000.0 * 0.0002, 6),
       CASE WHEN h(i, 9) % 40 = 0 THEN 'manual review: ' || (ARRAY['late fill','price improvement',
            'partial cancel','client amended','error account'])[1 + h(i, 10) % 5] END
FROM generate_series({first}::bigint, {last}) AS i
"""



def _expand(sql: str) -> str:
    """h(i, n) → a non-negative 63-bit hash of the row id with seed n."""
    return re.sub(r"h\(i, (\d+)\)", r"(hashint8extended(i, \1) & 9223372036854775807)", sql)


def marker(rows: int) -> str:
    return f"{VERSION} rows={rows}"


def ensure_trades(db: Database, rows: int, table: str = "trades", log=print) -> float:
    """Creates public.<table> with `rows` rows and a primary key unless it is already there.

    Returns the seconds spent generating (0 when reused).
    """
    name = f"public.{table}"
    comment = db.sql(f"SELECT obj_description(to_regclass('{name}'), 'pg_class')")
    if comment == marker(rows):
        log(f"reusing {name} in {db.name} ({rows:,} rows, {VERSION})")
        return 0.0
    log(f"generating {name} in {db.name}: {rows:,} rows ({VERSION})")
    started = time.monotonic()
    script = "\n".join([
        "BEGIN;",
        f"DROP TABLE IF EXISTS {name};",
        DDL.format(name=name) + ";",
        _expand(_INSERT.format(name=name, first=1, last=rows)) + ";",
        f"ALTER TABLE {name} ADD PRIMARY KEY (id);",
        f"COMMENT ON TABLE {name} IS '{marker(rows)}';",
        "COMMIT;",
        f"VACUUM ANALYZE {name};",
    ])
    db.sql(script)
    return time.monotonic() - started


def ensure_warmup(db: Database, table: str = "public.bench_warmup") -> None:
    """A one-row table the harness copies to set up the worker's control schema before timing."""
    db.sql(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id bigint PRIMARY KEY, note text);"
           f" INSERT INTO {table} VALUES (1, 'warm-up');")


def create_empty(db: Database, table: str = "public.trades") -> None:
    db.sql(DDL.format(name=table))


def plant_differences(db: Database, rows: int, table: str = "public.trades") -> list[int]:
    """Ten differences spread over the key range: 3 rows deleted, 3 rows added, 4 rows changed.

    Returns the ten differing keys.
    """
    step = max(rows // 11, 1)
    keys = [step * (n + 1) for n in range(10)]
    deleted, changed = keys[:3], keys[3:7]
    added = [rows + 1 + n for n in range(3)]
    db.sql("\n".join([
        "BEGIN;",
        f"DELETE FROM {table} WHERE id IN ({','.join(map(str, deleted))});",
        f"UPDATE {table} SET price = price + 0.000001 WHERE id = {changed[0]};",
        f"UPDATE {table} SET note = 'changed by the benchmark' WHERE id = {changed[1]};",
        f"UPDATE {table} SET qty = qty + 1, fees = fees + 0.01 WHERE id = {changed[2]};",
        f"UPDATE {table} SET side = CASE side WHEN 'buy' THEN 'sell' ELSE 'buy' END WHERE id = {changed[3]};",
        *[f"INSERT INTO {table} SELECT {new_id}, account_id, symbol, side, qty, price, executed_at, venue,"
          f" order_id, fees, note FROM {table} WHERE id = {like};" for new_id, like in zip(added, keys[7:])],
        "COMMIT;",
    ]))
    return sorted(deleted + changed + added)
