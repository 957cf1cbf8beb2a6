"""`make bench`: Tributary against pgcopydb, pg_dump | psql and the raw COPY limit, on the local stack.

Modules: `stack` (databases of the local stack), `datagen` (the `trades` table, made server-side),
`tools` (one function per contender), `report` (medians, ratios, goals, JSON/markdown/README),
`harness` (the alternating, repeated run).
"""
