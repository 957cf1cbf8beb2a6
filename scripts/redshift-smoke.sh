#!/usr/bin/env bash
# make redshift-smoke: the one check only a real Amazon Redshift cluster can give. A small table holding every
# type the warehouse phase supports is created in the local stack's src_eu, staged to S3 by `tributary stage`,
# loaded by `tributary load` through the real redshift dialect (COPY ... FORMAT AS PARQUET MANIFEST, INSERT,
# the Redshift checksum, all in one transaction: exit 3 if the checksum differs from the source's), then a delta
# (an update, a new row) through `stage --incremental` / `load --incremental` (MERGE). Everything it made is
# removed at the end, whatever happened: the Redshift table, the S3 objects, the source schema, the control rows.
#
# Needs the local stack (make stack-up) and, in the environment (never in argv):
#   TRIBUTARY_CONN_REDSHIFT          postgresql://USER:PASSWORD@CLUSTER:5439/DATABASE (the cluster)
#   TRIBUTARY_CONN_REDSHIFT_STAGING  s3://ACCESS_KEY:SECRET_KEY@?region=REGION (the staging bucket's S3;
#                                    no host = AWS's own endpoints; see docs/runbooks/warehouse.md)
#   REDSHIFT_SMOKE_BUCKET            the staging bucket, in the cluster's region
#   REDSHIFT_SMOKE_IAM_ROLE          the role COPY assumes to read the bucket (arn:aws:iam::...:role/...)
# Optional: REDSHIFT_SMOKE_SCHEMA (default tributary_smoke), REDSHIFT_SMOKE_SLICES (default 2).
# Exit 0: every type verified on the cluster. Otherwise the failing command's own exit code and message.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env

for v in TRIBUTARY_CONN_REDSHIFT TRIBUTARY_CONN_REDSHIFT_STAGING REDSHIFT_SMOKE_BUCKET REDSHIFT_SMOKE_IAM_ROLE; do
  [ -n "${!v:-}" ] || die "$v is not set (see the header of $0 or docs/runbooks/warehouse.md, 'redshift-smoke')" 2
done
SCHEMA="${REDSHIFT_SMOKE_SCHEMA:-tributary_smoke}"
[[ "$SCHEMA" =~ ^[a-z_][a-z0-9_]*$ ]] || die "REDSHIFT_SMOKE_SCHEMA must be a plain lowercase name" 2
RUN="smoke-$(date -u +%Y%m%dT%H%M%S)-$$"
PREFIX="tributary-smoke/$RUN"
WORK="$(mktemp -d)"
PY="$STATE/venv/bin/python"

psql_src() { psql "$TRIBUTARY_CONN_SRC_EU" -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_rs() { psql "$TRIBUTARY_CONN_REDSHIFT" -v ON_ERROR_STOP=1 -qAt "$@"; }

cleanup() {
  local rc=$?
  say "cleaning up ($RUN)"
  psql_rs -c "DROP TABLE IF EXISTS \"$SCHEMA\".\"every_type\"" || true
  psql_src -c "DROP SCHEMA IF EXISTS \"$SCHEMA\" CASCADE" || true
  psql "$TRIBUTARY_CONN_CONSOLIDATED" -qAt -c "DROP SCHEMA IF EXISTS \"${SCHEMA}_control\" CASCADE" || true
  # the staged files, manifests and receipts under this run's prefix
  "$PY" - "$REDSHIFT_SMOKE_BUCKET" "$PREFIX/" <<'PYEOF' || true
import os, sys, urllib.parse
import boto3
u = urllib.parse.urlsplit(os.environ["TRIBUTARY_CONN_REDSHIFT_STAGING"])
q = dict(urllib.parse.parse_qsl(u.query))
endpoint = f"{q.get('scheme', 'https')}://{u.hostname}{':' + str(u.port) if u.port else ''}" if u.hostname else None
s3 = boto3.client("s3", region_name=q.get("region", "us-east-1"), endpoint_url=endpoint,
                  aws_access_key_id=urllib.parse.unquote(u.username) if u.username else None,
                  aws_secret_access_key=urllib.parse.unquote(u.password) if u.password else None,
                  aws_session_token=q.get("session_token"))
bucket, prefix = sys.argv[1], sys.argv[2]
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for o in page.get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
PYEOF
  rm -rf "$WORK"
  if [ "$rc" -eq 0 ]; then say "redshift-smoke passed: every type staged, loaded and verified on the cluster"; fi
  exit "$rc"
}
trap cleanup EXIT

say "source table $SCHEMA.every_type in src_eu (every supported type, edge values)"
psql_src <<SQL
DROP SCHEMA IF EXISTS "$SCHEMA" CASCADE;
CREATE SCHEMA "$SCHEMA";
CREATE TYPE "$SCHEMA".side AS ENUM ('buy', 'sell');
CREATE TABLE "$SCHEMA".every_type (
  id bigint PRIMARY KEY, c_smallint smallint, c_integer integer, c_numeric numeric(18,6), c_numeric_small numeric(5,2),
  c_numeric_wide numeric(38,10), c_unbounded numeric, c_real real, c_double double precision, c_bool boolean,
  c_text text, c_varchar varchar(16), c_char char(3), c_date date, c_ts timestamp, c_tstz timestamptz,
  c_bytea bytea, c_jsonb jsonb, c_json json, c_array text[], c_uuid uuid, c_interval interval, c_enum "$SCHEMA".side,
  c_time time, c_inet inet, updated_at timestamptz NOT NULL);
INSERT INTO "$SCHEMA".every_type VALUES
  (1, 1, 1, 1.500000, 4.00, 12345678901234567890.0123456789, 1.50, 0.1, 0.1, true,
   'say "hi", back\\slash ünïcødé ✓', 'two words  ', 'ab', '2026-06-01', '2026-06-01 09:30:00.000001',
   '2026-06-01 09:30:00.25+02', '\\x00ff10', '{"b": [1, 2, "a"], "a": {"x": null}}', '{"k":  1}',
   ARRAY['a', 'b "c"', NULL], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:03:04.5', 'buy', '23:59:59.5',
   '10.0.0.1/8', '2026-06-01 10:00:00+00'),
  (2, -32768, -2147483648, -123456789012.123456, -999.99, -0.0000000001, -0.000, 1e-7, 1e300, false,
   '', 'x', 'EUR', '0001-01-01', '1970-01-01 00:00:00', '1999-12-31 23:59:59.999999+00',
   decode(repeat('ab', 100000), 'hex'), '[]', 'null', '{}', NULL, '-3 mons', 'sell', '00:00:00', '::1',
   '2026-06-01 10:00:01+00'),
  (3, 32767, 2147483647, 0, 0, 0, 123456789012345678901234567890.5, 3.4e38, -2.2250738585072014e-308, NULL,
   repeat('w', 60000), NULL, ' ', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   '2026-06-01 10:00:02+00'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, '2026-06-01 10:00:03+00');
SQL

cat >"$WORK/migration.yaml" <<YAML
version: 1
project: redshift-smoke
control: {connection: consolidated, schema: ${SCHEMA}_control}
sources: [{id: src_eu}]
targets:
  consolidated: {connection: consolidated}
  warehouse:
    connection: redshift
    dialect: redshift
    schema: $SCHEMA
    staging_connection: redshift_staging
    staging_bucket: $REDSHIFT_SMOKE_BUCKET
    staging_prefix: $PREFIX
    iam_role: $REDSHIFT_SMOKE_IAM_ROLE
    slices: ${REDSHIFT_SMOKE_SLICES:-2}
    json_mapping: text
    unbounded_numeric: text
    tables:
      - {source: src_eu, table: $SCHEMA.every_type, key: [id], watermark_column: updated_at}
YAML

worker() { "$TRIBUTARY_WORKER" "$@" --config "$WORK/migration.yaml" --source src_eu --table "$SCHEMA.every_type"; }
field() { tail -1 | "$PY" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

say "stage the whole table (Parquet, Snappy, FIXED_LEN_BYTE_ARRAY decimals, UTC timestamps)"
MANIFEST="$(worker stage | field manifest)"
say "load it through the redshift dialect: COPY, INSERT, checksum against the source's before COMMIT"
worker load --manifest "$MANIFEST" --full-reload >"$WORK/load.json"
say "verified: $(field checksum <"$WORK/load.json") over $(field rows <"$WORK/load.json") rows"

say "a delta: one row updated, one added; stage --incremental, load --incremental (MERGE)"
psql_src <<SQL
UPDATE "$SCHEMA".every_type SET c_double = 2.0/3, c_text = 'updated', updated_at = '2026-06-02 00:00:00+00' WHERE id = 1;
INSERT INTO "$SCHEMA".every_type (id, c_tstz, c_double, updated_at)
  VALUES (5, '2026-06-02 08:00:00+00', 0.30000000000000004, '2026-06-02 00:00:01+00');
SQL
MANIFEST="$(worker stage --incremental | field manifest)"
worker load --manifest "$MANIFEST" --incremental >"$WORK/merge.json"
say "verified: the upserted delta $(field checksum <"$WORK/merge.json") over $(field rows <"$WORK/merge.json") rows"
