#!/usr/bin/env bash
# The local stack: throwaway PostgreSQL instances (serving TLS with a CA made at the first start-up),
# an S3-compatible server, a Prometheus Pushgateway scraped by Prometheus, and a PgBouncer in front of
# the sources, all on loopback, all state under $STATE. Idempotent: `up` twice is a no-op.
#
#   scripts/stack.sh up | down | status | destroy | restart-s3
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S3PROXY_VERSION=2.6.0
# A second stack on the same machine (e.g. a fresh clone under test) shifts every port; the
# offset chosen at the first `up` is remembered so later commands agree with it.
if [ -f "$STATE/port_offset" ]; then OFFSET="$(cat "$STATE/port_offset")"; else OFFSET="${TRIBUTARY_PORT_OFFSET:-0}"; fi
S3_PORT=$((54340 + OFFSET))
S3_TLS_PORT=$((54341 + OFFSET))  # the same S3Proxy over HTTPS, certificate signed by the stack's CA
PUSHGATEWAY_PORT=$((54391 + OFFSET))
PROMETHEUS_PORT=$((54390 + OFFSET))
PGBOUNCER_PORT=$((54360 + OFFSET))  # 54350 is the tests' moto (scripts/test.sh)

# id:port:database:role — role decides wal_level and grants.
INSTANCES=(
  "src_eu:$((54311 + OFFSET)):trading:source"
  "src_us:$((54312 + OFFSET)):trading:source"
  "src_pagila:$((54313 + OFFSET)):pagila:source"
  "consolidated:$((54320 + OFFSET)):consolidated:target"
  "warehouse:$((54330 + OFFSET)):warehouse:target"
)

SECRETS="$STATE/secrets"
PG_ROOT="$STATE/pg"
# Work on the real path: `postgres` may be unable to traverse the symlinked one (see prepare_pg_root).
[ -e "$PG_ROOT" ] && PG_ROOT="$(readlink -f "$PG_ROOT")"

# PostgreSQL refuses to run as root: then the clusters belong to the `postgres` OS user.
as_pg() { if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

secret() {  # secret NAME → a random value generated once and kept under $SECRETS
  cat "$(secret_file "$1")"
}

secret_file() {  # secret_file NAME → the file holding it (made once), for tools that read a password from a file
  local file="$SECRETS/$1"
  if [ ! -s "$file" ]; then
    (umask 077; openssl rand -hex 16 >"$file")
  fi
  printf '%s\n' "$file"
}

prepare_pg_root() {
  mkdir -p "$STATE"
  if ! is_root; then mkdir -p "$PG_ROOT"; return; fi
  if [ ! -e "$PG_ROOT" ]; then
    mkdir -p "$PG_ROOT"
    chown postgres:postgres "$PG_ROOT"
  fi
  # The state folder may sit under a directory `postgres` cannot traverse (e.g. /root):
  # keep the clusters elsewhere and leave a symlink so every path stays the same.
  if ! runuser -u postgres -- test -w "$PG_ROOT/"; then
    local alt
    alt="/var/lib/tributary/$(printf '%s' "$STATE" | sha1sum | cut -c1-12)/pg"
    warn "postgres cannot reach $PG_ROOT; keeping the clusters in $alt"
    mkdir -p "$alt"
    chown -R postgres:postgres "$(dirname "$alt")"
    rmdir "$PG_ROOT" 2>/dev/null || true
    ln -sfn "$alt" "$PG_ROOT"
    PG_ROOT="$alt"
  fi
}

socket_dir() {  # Unix socket paths are limited to ~107 bytes.
  local dir="$PG_ROOT/$1/run"
  if [ "${#dir}" -gt 90 ]; then
    dir="/tmp/tributary-$(printf '%s' "$STATE" | sha1sum | cut -c1-12)-$1"
  fi
  printf '%s\n' "$dir"
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/$1/data" status >/dev/null 2>&1; }

admin_psql() {  # admin_psql ID PORT DB [psql args...]: superuser over the private socket
  local id=$1 port=$2 db=$3; shift 3
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$(socket_dir "$id")" -p "$port" -U postgres -d "$db" "$@"
}

init_instance() {
  local id=$1 port=$2 role=$3
  local dir="$PG_ROOT/$id" sock
  sock="$(socket_dir "$id")"
  if [ -f "$dir/data/PG_VERSION" ]; then return; fi
  say "initialising PostgreSQL instance $id (port $port)"
  if is_root; then install -d -o postgres -g postgres "$dir" "$sock"; else mkdir -p "$dir" "$sock"; fi
  local pwfile="$dir/.pw"
  as_pg bash -c "umask 077; cat >'$pwfile'" <<<"$(secret pg_superuser_password)"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE/logs/initdb-$id.log" 2>&1 \
    || die "initdb for $id failed: see $STATE/logs/initdb-$id.log"
  rm -f "$pwfile"
  local wal=replica
  # Sources are followed into the consolidated database; after a cutover the consolidated database is
  # followed back into the source it replaced (rollback), so it decodes too.
  if [ "$role" = source ] || [ "$id" = consolidated ]; then wal=logical; fi
  as_pg bash -c "cat >>'$dir/data/postgresql.conf'" <<EOF

# --- tributary local stack ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
wal_level = $wal
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 256MB
max_wal_size = 2GB
checkpoint_timeout = 15min
shared_preload_libraries = 'pg_stat_statements'
track_io_timing = on
logging_collector = off
EOF
  # Loopback only, passwords only: the socket is for the stack's own admin work.
  as_pg bash -c "cat >'$dir/data/pg_hba.conf'" <<EOF
local all         all                trust
host  all         all  127.0.0.1/32  scram-sha-256
host  replication all  127.0.0.1/32  scram-sha-256
EOF
}

start_instance() {
  local id=$1 port=$2
  if pg_running "$id"; then return; fi
  if ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then
    die "port $port (instance $id) is already taken by another process"
  fi
  say "starting PostgreSQL instance $id on 127.0.0.1:$port"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/$id/data" -l "$PG_ROOT/$id/postgres.log" -w -t 60 start >/dev/null \
    || die "instance $id did not start: see $PG_ROOT/$id/postgres.log"
}

provision_instance() {  # role, database, grants — safe to repeat
  local id=$1 port=$2 db=$3 role=$4 pw
  pw="$(secret pg_password)"
  local attrs="LOGIN"
  # CREATEDB on sources too: the follow tests need scratch databases on an instance with wal_level=logical.
  if [ "$role" = source ] || [ "$id" = consolidated ]; then attrs="LOGIN REPLICATION CREATEDB"; else attrs="LOGIN CREATEDB"; fi
  admin_psql "$id" "$port" postgres -v pw="$pw" <<SQL
SELECT format('CREATE ROLE tributary %s', '$attrs') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary') \gexec
ALTER ROLE tributary WITH $attrs PASSWORD :'pw';
-- The follower applies changes as PostgreSQL's own apply workers do, with the target's triggers quiet
-- (session_replication_role = replica; docs/cdc.md): from PostgreSQL 15 a non-superuser may be allowed that.
SELECT 'GRANT SET ON PARAMETER session_replication_role TO tributary'
 WHERE current_setting('server_version_num')::int >= 150000 \gexec
SELECT 'CREATE DATABASE "$db" OWNER tributary' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
SQL
  # The least privilege discover, copy, stage and archive (without --drop-source) need: read every table and the
  # statistics, nothing else (docs/security.md). Tests run those commands as this role.
  admin_psql "$id" "$port" postgres -v pw="$(secret pg_reader_password)" <<SQL
SELECT 'CREATE ROLE tributary_reader LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tributary_reader') \gexec
ALTER ROLE tributary_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'pw';
GRANT pg_read_all_data, pg_read_all_stats TO tributary_reader;
SQL
  if [ "$role" = source ]; then
    # Sources are read, profiled and followed, never written by Tributary.
    admin_psql "$id" "$port" "$db" -c "GRANT pg_read_all_data, pg_read_all_stats, pg_monitor TO tributary" \
      -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  fi
  if [ "$id" = consolidated ]; then
    # An instance consolidated whole (Pagila in the demo) brings its extensions along (schema --whole); only a
    # superuser creates pg_stat_statements, so the administrator creates it in the target first, as the
    # preflight's exit 2 would ask (docs/runbooks/consolidate.md).
    admin_psql "$id" "$port" "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  fi
}

TLS="$STATE/tls"

ensure_tls() {  # a CA made at the first start-up, the server certificate it signs, and an unrelated CA for tests
  [ -s "$TLS/server.crt" ] && [ -s "$TLS/other-ca.crt" ] && return
  say "making the local stack's TLS CA and server certificate under $TLS"
  mkdir -p "$TLS"
  (
    cd "$TLS" && umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Tributary local stack CA" \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 -extfile server.ext \
      -out server.crt
    # A CA nobody here trusts: tests show a certificate it did not sign is refused.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Some other CA" -keyout other-ca.key \
      -out other-ca.crt
    rm -f server.csr server.ext
    chmod 0644 ca.crt other-ca.crt server.crt
  ) >"$STATE/logs/tls.log" 2>&1 || die "could not make the TLS certificates: see $STATE/logs/tls.log"
}

ensure_s3_keystore() {  # S3Proxy's HTTPS endpoint (Jetty) takes the server certificate and key as a PKCS#12 keystore
  [ -s "$TLS/server.p12" ] && [ "$TLS/server.p12" -nt "$TLS/server.crt" ] && return
  (cd "$TLS" && umask 077
   openssl pkcs12 -export -in server.crt -inkey server.key -certfile ca.crt -name s3proxy \
     -passout "file:$(secret_file s3_keystore_password)" -out server.p12
  ) >>"$STATE/logs/tls.log" 2>&1 || die "could not make S3Proxy's keystore: see $STATE/logs/tls.log"
}

enable_tls() {  # enable_tls ID PORT: the instance serves TLS with the stack's certificate (clients choose to verify)
  local id=$1 port=$2 data="$PG_ROOT/$1/data"
  if [ "$(admin_psql "$id" "$port" postgres -Atc 'SHOW ssl')" = on ]; then return; fi
  install -m 0600 "$TLS/server.key" "$data/server.key"
  install -m 0644 "$TLS/server.crt" "$data/server.crt"
  if is_root; then chown postgres:postgres "$data/server.key" "$data/server.crt"; fi
  admin_psql "$id" "$port" postgres -c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET ssl_cert_file = 'server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = 'server.key'" -c "SELECT pg_reload_conf()" >/dev/null
}

s3proxy_jar() {
  local jar="$STATE/tools/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
  if [ ! -f "$jar" ]; then
    say "fetching S3Proxy $S3PROXY_VERSION from Maven Central"
    mkdir -p "$STATE/tools"
    mvn -q -B dependency:copy -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
      -DoutputDirectory="$STATE/tools" >"$STATE/logs/s3proxy-fetch.log" 2>&1 \
      || die "could not fetch S3Proxy: see $STATE/logs/s3proxy-fetch.log"
  fi
  printf '%s\n' "$jar"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_daemon() {  # start_daemon NAME CMD...: detached, pid and log under $STATE
  local name=$1; shift
  local pidfile="$STATE/run/$name.pid"
  if pid_alive "$pidfile"; then return; fi
  setsid nohup "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

stop_daemon() {
  local pidfile="$STATE/run/$1.pid"
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

wait_http() {  # wait_http NAME URL [CURL OPTION...]: any HTTP answer means the server is up
  local code name=$1 url=$2
  shift 2
  for _ in $(seq 120); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)"
    [ "$code" != 000 ] && return 0
    sleep 0.5
  done
  die "$name did not answer at $url: see $STATE/logs/$name.log"
}

start_s3() {  # plain HTTP on S3_PORT (the demo, most tests) and HTTPS on S3_TLS_PORT, one server, one bucket store
  local jar ak sk conf="$STATE/s3/s3proxy.conf"
  jar="$(s3proxy_jar)"
  ak="$(secret s3_access_key)"; sk="$(secret s3_secret_key)"
  ensure_s3_keystore
  mkdir -p "$STATE/s3/data"
  (umask 077; cat >"$conf.new" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.secure-endpoint=https://127.0.0.1:$S3_TLS_PORT
s3proxy.keystore-path=$TLS/server.p12
s3proxy.keystore-password=$(secret s3_keystore_password)
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$ak
s3proxy.credential=$sk
jclouds.provider=filesystem
jclouds.filesystem.basedir=$STATE/s3/data
EOF
)
  # A server started with other settings (e.g. before it served HTTPS) is restarted with these.
  if ! cmp -s "$conf.new" "$conf" && pid_alive "$STATE/run/s3proxy.pid"; then say "restarting S3Proxy (new settings)"; stop_daemon s3proxy; fi
  mv "$conf.new" "$conf"
  if ! pid_alive "$STATE/run/s3proxy.pid"; then
    say "starting S3Proxy on 127.0.0.1:$S3_PORT and https://127.0.0.1:$S3_TLS_PORT (data in $STATE/s3/data)"
  fi
  start_daemon s3proxy java -Xmx256m -jar "$jar" --properties "$conf"
  wait_http s3proxy "http://127.0.0.1:$S3_PORT/"
  wait_http s3proxy "https://127.0.0.1:$S3_TLS_PORT/" --cacert "$TLS/ca.crt"
}

start_pushgateway() {
  mkdir -p "$STATE/pushgateway"
  if ! pid_alive "$STATE/run/pushgateway.pid"; then say "starting Pushgateway on 127.0.0.1:$PUSHGATEWAY_PORT"; fi
  start_daemon pushgateway prometheus-pushgateway --web.listen-address="127.0.0.1:$PUSHGATEWAY_PORT" \
    --persistence.file="$STATE/pushgateway/metrics.db" --persistence.interval=30s
  wait_http pushgateway "http://127.0.0.1:$PUSHGATEWAY_PORT/-/ready"
}

# Prometheus scrapes the Pushgateway as the chart's ServiceMonitor does: honor_labels keeps the workers' own
# job=<command>, source and table labels, which the alert rules and the dashboard select on.
start_prometheus() {
  mkdir -p "$STATE/prometheus/data"
  cat >"$STATE/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 5s, evaluation_interval: 5s}
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{targets: ['127.0.0.1:$PUSHGATEWAY_PORT']}]
EOF
  if ! pid_alive "$STATE/run/prometheus.pid"; then say "starting Prometheus on 127.0.0.1:$PROMETHEUS_PORT"; fi
  start_daemon prometheus prometheus --config.file="$STATE/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STATE/prometheus/data" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  wait_http prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
}

ensure_logical_wal() {  # a consolidated cluster made before it had to decode: switch it on once
  local id=$1 port=$2
  [ "$(admin_psql "$id" "$port" postgres -Atc 'SHOW wal_level')" = logical ] && return 0
  say "setting wal_level=logical on $id (restart)"
  admin_psql "$id" "$port" postgres -c "ALTER SYSTEM SET wal_level = logical"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/$id/data" -m fast -w -t 60 -l "$PG_ROOT/$id/postgres.log" restart >/dev/null
}

# --- PgBouncer: the applications (and the tests' write load) reach the sources only through it, so a
# cutover can PAUSE them, repoint a database entry and RESUME. One [databases] entry per source, in a file of
# its own (databases.ini, %include-d) that cutover and rollback rewrite before RELOAD. Passwords live only in
# the userlist (mode 0600), never in argv or the log.
PGBOUNCER_DIR="$STATE/pgbouncer"

pgbouncer_databases() {  # the initial entries: every source points at itself
  local spec id port db role
  echo "; Written by scripts/stack.sh; rewritten by tributary_cutover / tributary_rollback (the switch)."
  echo "[databases]"
  for spec in "${INSTANCES[@]}"; do
    IFS=: read -r id port db role <<<"$spec"
    [ "$role" = source ] || continue
    echo "$id = host=127.0.0.1 port=$port dbname=$db"
  done
}

start_pgbouncer() {
  mkdir -p "$PGBOUNCER_DIR"
  (umask 077
   printf '"%s" "%s"\n"%s" "%s"\n' tributary "$(secret pg_password)" pgbouncer_admin "$(secret pgbouncer_admin_password)" \
     >"$PGBOUNCER_DIR/userlist.txt")
  # The switch state outlives restarts: written once, then owned by cutover and rollback.
  [ -f "$PGBOUNCER_DIR/databases.ini" ] || pgbouncer_databases >"$PGBOUNCER_DIR/databases.ini"
  cat >"$PGBOUNCER_DIR/pgbouncer.ini" <<EOF
%include $PGBOUNCER_DIR/databases.ini

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $PGBOUNCER_DIR/userlist.txt
admin_users = pgbouncer_admin
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
; while PAUSEd, clients wait (up to this many seconds) instead of being refused
query_wait_timeout = 120
ignore_startup_parameters = extra_float_digits,options
pidfile = $STATE/run/pgbouncer.pid
logfile = $STATE/logs/pgbouncer.log
EOF
  pid_alive "$STATE/run/pgbouncer.pid" && return 0
  say "starting PgBouncer on 127.0.0.1:$PGBOUNCER_PORT (databases: $PGBOUNCER_DIR/databases.ini)"
  # -d: daemonize and write the pidfile; pgbouncer refuses to run as root.
  if is_root; then
    chown -R postgres:postgres "$PGBOUNCER_DIR"
    touch "$STATE/logs/pgbouncer.log"; chown postgres:postgres "$STATE/logs/pgbouncer.log" "$STATE/run"
  fi
  as_pg /usr/sbin/pgbouncer -d -q "$PGBOUNCER_DIR/pgbouncer.ini" || die "PgBouncer did not start: see $STATE/logs/pgbouncer.log"
  for _ in $(seq 50); do ss -ltn "sport = :$PGBOUNCER_PORT" 2>/dev/null | grep -q LISTEN && return 0; sleep 0.2; done
  die "PgBouncer does not listen on 127.0.0.1:$PGBOUNCER_PORT: see $STATE/logs/pgbouncer.log"
}

write_env() {
  local pw ak sk file="$STATE/env" spec id port db role upper
  pw="$(secret pg_password)"; ak="$(secret s3_access_key)"; sk="$(secret s3_secret_key)"
  (umask 077; {
    echo "# Written by scripts/stack.sh: connection URIs of this machine's local stack. Secrets: keep private."
    echo "export TRIBUTARY_STATE='$STATE'"
    for spec in "${INSTANCES[@]}"; do
      IFS=: read -r id port db role <<<"$spec"
      upper="$(tr '[:lower:]' '[:upper:]' <<<"$id")"
      echo "export TRIBUTARY_CONN_$upper='postgresql://tributary:$pw@127.0.0.1:$port/$db'"
      echo "export AIRFLOW_CONN_$upper='postgresql://tributary:$pw@127.0.0.1:$port/$db'"
      echo "export PSQL_ADMIN_$upper='host=$(socket_dir "$id") port=$port user=postgres dbname=$db'"
      echo "export TRIBUTARY_CONN_${upper}_READER='postgresql://tributary_reader:$(secret pg_reader_password)@127.0.0.1:$port/$db'"
    done
    echo "export TRIBUTARY_CONN_S3='s3://$ak:$sk@127.0.0.1:$S3_PORT?region=us-east-1&scheme=http'"
    # The same store over HTTPS, verified against the stack's CA (cafile=, docs/security.md).
    echo "export TRIBUTARY_CONN_S3_TLS='s3://$ak:$sk@127.0.0.1:$S3_TLS_PORT?region=us-east-1&scheme=https&cafile=$TLS/ca.crt'"
    echo "export AIRFLOW_CONN_S3='{\"conn_type\": \"aws\", \"login\": \"$ak\", \"password\": \"$sk\", \"extra\": {\"endpoint_url\": \"http://127.0.0.1:$S3_PORT\", \"region_name\": \"us-east-1\"}}'"
    echo "export TRIBUTARY_PUSHGATEWAY='127.0.0.1:$PUSHGATEWAY_PORT'"
    echo "export TRIBUTARY_TLS_CA='$TLS/ca.crt'"
    echo "export TRIBUTARY_TLS_OTHER_CA='$TLS/other-ca.crt'"
    echo "export TRIBUTARY_PROMETHEUS='http://127.0.0.1:$PROMETHEUS_PORT'"
    # PgBouncer: its admin console (cutover/rollback switch it) and each source as the applications reach it.
    echo "export TRIBUTARY_CONN_PGBOUNCER='postgresql://pgbouncer_admin:$(secret pgbouncer_admin_password)@127.0.0.1:$PGBOUNCER_PORT/pgbouncer'"
    echo "export AIRFLOW_CONN_PGBOUNCER='postgresql://pgbouncer_admin:$(secret pgbouncer_admin_password)@127.0.0.1:$PGBOUNCER_PORT/pgbouncer'"
    echo "export TRIBUTARY_PGBOUNCER_DATABASES='$PGBOUNCER_DIR/databases.ini'"
    for spec in "${INSTANCES[@]}"; do
      IFS=: read -r id port db role <<<"$spec"
      [ "$role" = source ] || continue
      upper="$(tr '[:lower:]' '[:upper:]' <<<"$id")"
      echo "export APP_CONN_$upper='postgresql://tributary:$pw@127.0.0.1:$PGBOUNCER_PORT/$id'"
    done
    echo "export TRIBUTARY_WORKER='$REPO/bin/tributary'"
    echo "export TRIBUTARY_CONFIG='$REPO/config/migration.yaml'"
  } >"$file")
}

cmd_up() {
  ensure_packages postgresql postgresql-contrib prometheus-pushgateway prometheus pgbouncer curl openssl iproute2 maven openjdk-17-jdk-headless
  PG_BIN="$(pg_bindir)"
  mkdir -p "$STATE"/{logs,run,tools}
  echo "$OFFSET" >"$STATE/port_offset"
  (umask 077; mkdir -p "$SECRETS")
  prepare_pg_root
  ensure_tls
  local spec id port db role
  for spec in "${INSTANCES[@]}"; do
    IFS=: read -r id port db role <<<"$spec"
    init_instance "$id" "$port" "$role"
    start_instance "$id" "$port"
    provision_instance "$id" "$port" "$db" "$role"
    enable_tls "$id" "$port"
    if [ "$id" = consolidated ]; then ensure_logical_wal "$id" "$port"; fi
  done
  start_s3
  start_pushgateway
  start_prometheus
  start_pgbouncer
  write_env
  cmd_status
}

cmd_down() {
  stop_daemon pgbouncer
  stop_daemon s3proxy
  stop_daemon prometheus
  stop_daemon pushgateway
  [ -d "$PG_ROOT" ] || return 0
  PG_BIN="$(pg_bindir)"
  local spec id port db role
  for spec in "${INSTANCES[@]}"; do
    IFS=: read -r id port db role <<<"$spec"
    if [ -f "$PG_ROOT/$id/data/PG_VERSION" ] && pg_running "$id"; then
      say "stopping PostgreSQL instance $id"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/$id/data" -m fast -w stop >/dev/null
    fi
  done
}

cmd_restart_s3() {  # S3Proxy alone, e.g. to show that the archive outlives its process
  stop_daemon s3proxy
  start_s3
}

cmd_destroy() {  # everything local goes, including clusters kept outside the state folder
  cmd_down
  if [ -L "$STATE/pg" ]; then rm -rf "$(dirname "$PG_ROOT")"; fi  # /var/lib/tributary/<hash>
  rm -rf "$STATE"
  say "removed $STATE"
}

cmd_status() {
  PG_BIN="$(pg_bindir)"
  local spec id port db role state down=0
  printf '%-14s %-9s %-22s %-6s %s\n' SERVICE KIND ADDRESS STATE DATA >&2
  for spec in "${INSTANCES[@]}"; do
    IFS=: read -r id port db role <<<"$spec"
    state=down
    [ -f "$PG_ROOT/$id/data/PG_VERSION" ] && pg_running "$id" && state=up
    [ "$state" = up ] || down=1
    printf '%-14s %-9s %-22s %-6s %s\n' "$id" "pg-$role" "127.0.0.1:$port/$db" "$state" "$PG_ROOT/$id/data" >&2
  done
  state=down; pid_alive "$STATE/run/s3proxy.pid" && state=up; [ "$state" = up ] || down=1
  printf '%-14s %-9s %-22s %-6s %s\n' s3 s3proxy "127.0.0.1:$S3_PORT" "$state" "$STATE/s3/data" >&2
  printf '%-14s %-9s %-22s %-6s %s\n' s3-tls s3proxy "127.0.0.1:$S3_TLS_PORT" "$state" "$TLS/ca.crt" >&2
  state=down; pid_alive "$STATE/run/pushgateway.pid" && state=up; [ "$state" = up ] || down=1
  printf '%-14s %-9s %-22s %-6s %s\n' pushgateway metrics "127.0.0.1:$PUSHGATEWAY_PORT" "$state" "$STATE/pushgateway" >&2
  state=down; pid_alive "$STATE/run/prometheus.pid" && state=up; [ "$state" = up ] || down=1
  printf '%-14s %-9s %-22s %-6s %s\n' prometheus metrics "127.0.0.1:$PROMETHEUS_PORT" "$state" "$STATE/prometheus" >&2
  state=down; pid_alive "$STATE/run/pgbouncer.pid" && state=up; [ "$state" = up ] || down=1
  printf '%-14s %-9s %-22s %-6s %s\n' pgbouncer pooler "127.0.0.1:$PGBOUNCER_PORT" "$state" "$STATE/pgbouncer/databases.ini" >&2
  return $down
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  destroy) cmd_destroy ;;
  restart-s3) cmd_restart_s3 ;;
  *) die "usage: $0 up|down|status|destroy|restart-s3" 2 ;;
esac
