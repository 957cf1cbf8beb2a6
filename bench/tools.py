"""The contenders, one function each. Every function runs one tool once, into an empty target database,
and returns a `Run`: wall seconds (what a user waits for), rows found in the target afterwards, and for
the worker its peak RSS. The harness creates the empty target before and checks the rows after, untimed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import datagen
from bench.stack import Database

TABLE = "public.trades"
WARMUP = "public.bench_warmup"


@dataclass
class Run:
    seconds: float
    rows: int | None = None              # rows in the target afterwards (checked by the harness)
    peak_rss_bytes: int | None = None    # the worker JVM's peak resident set size
    detail: dict = field(default_factory=dict)


class ToolFailed(RuntimeError):
    pass


def _check(proc_name: str, code: int, stderr: str) -> None:
    if code != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise ToolFailed(f"{proc_name} exited {code}:\n{tail}")


def _pipe(producer: tuple[list[str], dict], consumer: tuple[list[str], dict], out_file=None) -> None:
    """producer | consumer, each with its own environment (two different databases)."""
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        first = subprocess.Popen(producer[0], env=producer[1], stdout=subprocess.PIPE, stderr=err1)
        second = subprocess.Popen(consumer[0], env=consumer[1], stdin=first.stdout,
                                  stdout=out_file or subprocess.DEVNULL, stderr=err2)
        first.stdout.close()  # the consumer owns the pipe now; a dead consumer gives the producer SIGPIPE
        code2 = second.wait()
        code1 = first.wait()
        for name, code, err in ((producer[0][0], code1, err1), (consumer[0][0], code2, err2)):
            err.seek(0)
            _check(name, code, err.read().decode(errors="replace"))


PSQL = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]


# --- 1. the raw limit --------------------------------------------------------------------------------
def raw_copy(source: Database, target: Database, **_) -> Run:
    """COPY … TO STDOUT (FORMAT binary) | COPY … FROM STDIN (FORMAT binary), then the primary key."""
    started = time.monotonic()
    datagen.create_empty(target, TABLE)
    _pipe((PSQL + ["-c", f"COPY {TABLE} TO STDOUT (FORMAT binary)"], source.libpq_env()),
          (PSQL + ["-c", f"COPY {TABLE} FROM STDIN (FORMAT binary)"], target.libpq_env()))
    target.sql(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
    return Run(time.monotonic() - started)


# --- 2. pg_dump | psql -------------------------------------------------------------------------------
def pg_dump_psql(source: Database, target: Database, **_) -> Run:
    started = time.monotonic()
    _pipe((["pg_dump", "--no-owner", "--no-privileges", "-t", TABLE], source.libpq_env()),
          (PSQL + ["-f", "-"], target.libpq_env()))
    return Run(time.monotonic() - started)


# --- 3. pgcopydb clone -------------------------------------------------------------------------------
def pgcopydb_clone(source: Database, target: Database, workdir: Path, **_) -> Run:
    """pgcopydb clone with 2 table jobs and 2 index jobs; URIs through its environment variables."""
    work = workdir / "pgcopydb"
    shutil.rmtree(work, ignore_errors=True)
    env = dict(os.environ, PGCOPYDB_SOURCE_PGURI=source.uri, PGCOPYDB_TARGET_PGURI=target.uri)
    argv = ["pgcopydb", "clone", "--table-jobs", "2", "--index-jobs", "2", "--dir", str(work),
            "--no-owner", "--no-acl", "--skip-extensions"]
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    _check("pgcopydb clone", done.returncode, done.stderr)
    return Run(seconds)


# --- 4./5. the worker --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Worker:
    """bin/tributary with a benchmark config; what it can do is read from its own --help."""

    launcher: Path
    config: Path
    env: dict
    commands: frozenset
    copy_options: frozenset

    @classmethod
    def prepare(cls, repo: Path, workdir: Path, source: Database, target_instance: Database,
                s3_uri: str | None) -> "Worker":
        launcher = repo / "bin" / "tributary"
        config = workdir / "bench-migration.yaml"
        config.write_text(_config_yaml(s3_uri is not None))
        env = dict(os.environ, TRIBUTARY_CONN_BENCH_SRC=source.uri,
                   TRIBUTARY_CONN_BENCH_DST=target_instance.with_name("bench_target").uri,
                   TRIBUTARY_CONFIG=str(config))
        env.pop("TRIBUTARY_PUSHGATEWAY", None)  # the benchmark's runs are not production metrics
        if s3_uri:
            env["TRIBUTARY_CONN_BENCH_S3"] = s3_uri
        top = subprocess.run([str(launcher), "--help"], env=env, capture_output=True, text=True)
        _check("tributary --help", top.returncode, top.stderr + top.stdout)
        commands = frozenset(re.findall(r"^\s{2}([a-z][a-z-]+)\s", top.stdout, re.M))
        copy_help = subprocess.run([str(launcher), "copy", "--help"], env=env, capture_output=True, text=True)
        options = frozenset(re.findall(r"(--[a-z][a-z-]+)", copy_help.stdout))
        return cls(launcher, config, env, commands, options)

    def set_up_control_schema(self) -> None:
        """Creates the control schema in the fresh target, untimed: a migration sets it up once, not
        per table. The worker creates it on first use, so copy a one-row table (public.bench_warmup)."""
        self.run("copy", "--source", "bench_src", "--table", WARMUP, "--run-id", f"bench-warmup-{time.time_ns()}")

    def options_of(self, command: str) -> frozenset:
        done = subprocess.run([str(self.launcher), command, "--help"], env=self.env, capture_output=True, text=True)
        return frozenset(re.findall(r"(--[a-z][a-z-]+)", done.stdout))

    def run(self, *args: str, ok_codes=(0,)) -> tuple[dict, int, float, int]:
        """Runs one worker command; returns (JSON result, exit code, seconds, peak RSS in bytes).

        bin/tributary execs java, so the child's own rusage (wait4) is the JVM's.
        """
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            proc = subprocess.Popen([str(self.launcher), *args], env=self.env, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        lines = [line for line in stdout.splitlines() if line.strip()]
        result = {}
        if lines:
            try:
                result = json.loads(lines[-1])
            except json.JSONDecodeError:
                result = {}
        if proc.returncode not in ok_codes:
            _check(f"tributary {args[0]}", proc.returncode, stderr + "\n" + (lines[-1] if lines else ""))
        return result, proc.returncode, seconds, usage.ru_maxrss * 1024


def _config_yaml(with_s3: bool) -> str:
    warehouse = ""
    if with_s3:
        warehouse = ("  warehouse:\n    connection: bench_dst\n    dialect: postgres\n"
                     "    staging_connection: bench_s3\n    staging_bucket: " + STAGE_BUCKET + "\n"
                     "    staging_prefix: stage\n")
    return ("# Written by the benchmark (bench/tools.py): one source, one target; control schema in the target.\n"
            "version: 1\nproject: tributary-bench\n"
            "control:\n  connection: bench_dst\n  schema: tributary\n"
            "sources:\n  - id: bench_src\n    description: benchmark source (trades)\n"
            "targets:\n  consolidated:\n    connection: bench_dst\n" + warehouse +
            # what `tributary schema` builds when no --schemas are given
            "consolidate:\n  tables:\n    - source: bench_src\n      table: public.trades\n      key: [id]\n")


def _copy_args(worker: Worker, run_id: str, table: str) -> tuple[list[str], str]:
    args = ["copy", "--source", "bench_src", "--table", table, "--run-id", run_id, "--progress-every", "60"]
    if os.environ.get("BENCH_CHUNK_ROWS"):  # e.g. the 5 M-row chunk count (20) at 1 M rows: 50000
        args += ["--chunk-rows", os.environ["BENCH_CHUNK_ROWS"]]
    if "--parallelism" in worker.copy_options:
        return args + ["--parallelism", "2"], "copy --parallelism 2"
    return args, "copy"


def _worker_copy(worker: Worker, run_id: str, table: str = TABLE) -> tuple[float, int, dict, list[str]]:
    """`tributary copy` alone: into an empty database it creates the table, copies and verifies every chunk
    (both databases checksum it) and adds the primary key — the issue's "data + primary key"."""
    args, label = _copy_args(worker, run_id, table)
    result, _, seconds, rss = worker.run(*args)
    return seconds, rss, result, [label]


def _worker_copy_as_dag(worker: Worker, run_id: str, table: str = TABLE) -> tuple[float, int, dict, list[str]]:
    """The worker's copy as the consolidate DAG runs it: schema pre-data, copy, schema post-data (three worker
    processes) when this build has `tributary schema`; else copy alone."""
    if "schema" not in worker.commands:
        return _worker_copy(worker, run_id, table)
    options = worker.options_of("schema")  # untimed: read once, before the clock starts
    seconds, rss = _schema_phase(worker, options, "pre-data", table)
    args, label = _copy_args(worker, run_id, table)
    result, _, s, r = worker.run(*args)
    seconds, rss = seconds + s, max(rss, r)
    s, r = _schema_phase(worker, options, "post-data", table)
    return seconds + s, max(rss, r), result, ["schema pre-data", label, "schema post-data"]


def _schema_phase(worker: Worker, options: frozenset, phase: str, table: str) -> tuple[float, int]:
    args = ["schema", "--phase", phase]
    # --table is SOURCE:SCHEMA.TABLE for schema (several sources may feed one target table)
    for flag, value in (("--source", "bench_src"), ("--table", f"bench_src:{table}")):
        if flag in options:
            args += [flag, value]
    _, _, seconds, rss = worker.run(*args)
    return seconds, rss


def tributary_copy(source: Database, target: Database, worker: Worker, run_id: str, **_) -> Run:
    seconds, rss, result, steps = _worker_copy(worker, run_id)
    return Run(seconds, peak_rss_bytes=rss,
               detail={"steps": steps, "verified_inline": bool(result.get("verified")),
                       "format": result.get("format"), "chunks": result.get("chunks")})


def tributary_copy_dag(source: Database, target: Database, worker: Worker, run_id: str, **_) -> Run:
    seconds, rss, result, steps = _worker_copy_as_dag(worker, run_id)
    return Run(seconds, peak_rss_bytes=rss,
               detail={"steps": steps, "verified_inline": bool(result.get("verified"))})


def tributary_copy_verified(source: Database, target: Database, worker: Worker, run_id: str, **_) -> Run:
    """Copy, then the independent target checksum the consolidate DAG runs (a second worker process),
    compared with the copy's source checksum (computed by the source database in the copy's snapshot)."""
    seconds, rss, result, steps = _worker_copy(worker, run_id)
    check, code, s, r = worker.run("checksum", "--conn", "bench_dst", "--table", TABLE)
    agreed = check.get("checksum") == result.get("checksum") and check.get("rows") == result.get("rows")
    if not agreed:
        raise ToolFailed(f"target checksum {check} disagrees with the copy's source checksum {result}")
    return Run(seconds + s, peak_rss_bytes=max(rss, r),
               detail={"steps": steps + ["checksum (target)"], "checksum": check.get("checksum")})


# --- diff --------------------------------------------------------------------------------------------
def tributary_diff(source: Database, target: Database, worker: Worker, **_) -> Run:
    result, code, seconds, rss = worker.run("diff", "--source", "bench_src", "--target", "bench_diff",
                                            "--table", TABLE, "--max-differences", "1000", ok_codes=(0, 3))
    keys = sorted(d["key"]["id"] for d in result.get("differences", []))
    return Run(seconds, peak_rss_bytes=rss, detail={"differences": len(keys), "keys": keys,
                                                    "passes": result.get("passes"), "exit_code": code})


def reladiff(source: Database, target: Database, python: Path, **_) -> Run:
    """reladiff (the maintained data-diff fork) with its defaults (hashdiff: checksum bisection by key
    range, 32 segments per pass, one thread per database), comparing every column.

    The password reaches psycopg2 through PGPASSWORD, never argv.
    """
    env = dict(source.libpq_env(), COLUMNS="100000")
    env.pop("PGDATABASE", None)
    # --skip-sort-results: reladiff 0.6 sorts differing rows by all columns and fails on NULLs
    # ("'<' not supported between NoneType and str"); the order does not matter here.
    argv = [str(python), "-m", "reladiff", source.uri_without_password(), TABLE,
            target.uri_without_password(), TABLE, "-k", "id", "--json", "--skip-sort-results"]
    for column in datagen.COLUMNS[1:]:
        argv += ["-c", column]
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    _check("reladiff", done.returncode, done.stderr + done.stdout)
    if " ERROR " in done.stderr or "Traceback" in done.stderr:  # reladiff exits 0 on some errors
        _check("reladiff", 1, done.stderr)
    keys = set()
    # JSONL, ["-"|"+", [key, columns…]] per row; rich may still wrap long lines, so decode the stream.
    decoder, text, pos = json.JSONDecoder(), done.stdout, 0
    while (start := text.find("[", pos)) >= 0:
        item, pos = decoder.raw_decode(text, start)
        keys.add(int(item[1][0]))
    return Run(seconds, detail={"differences": len(keys), "keys": sorted(keys)})


# --- stage -------------------------------------------------------------------------------------------
def copy_to_zstd(source: Database, workdir: Path, **_) -> Run:
    """The export limit: text COPY TO STDOUT | zstd into a local file."""
    path = workdir / "trades.copy.zst"
    started = time.monotonic()
    with open(path, "wb") as out:
        _pipe((PSQL + ["-c", f"COPY {TABLE} TO STDOUT"], source.libpq_env()), (["zstd", "-q", "-c"], dict(os.environ)),
              out_file=out)
    seconds = time.monotonic() - started
    size = path.stat().st_size
    path.unlink()
    return Run(seconds, detail={"bytes": size})


STAGE_BUCKET = "tributary-bench"


def remove_staged_objects(state: Path) -> None:
    """The staged Parquet is only measured, not kept: S3Proxy's filesystem backend keeps a bucket as a
    folder under .stack/s3/data, so removing the benchmark's prefix there frees the disk."""
    shutil.rmtree(state / "s3" / "data" / STAGE_BUCKET / "bench", ignore_errors=True)


def tributary_stage(source: Database, worker: Worker, **_) -> Run:
    options = worker.options_of("stage")
    args = ["stage"]
    run = f"bench-{time.time_ns()}"
    # the flags the warehouse DAG passes (dags/tributary/warehouse.py), as far as this build has them
    for flag, value in (("--source", "bench_src"), ("--table", TABLE), ("--prefix", f"bench/{run}"),
                        ("--run-id", run)):
        if flag in options:
            args += [flag, value]
    result, _, seconds, rss = worker.run(*args)
    files = result.get("files") or []
    return Run(seconds, rows=result.get("rows"), peak_rss_bytes=rss,
               detail={"rows": result.get("rows"), "bytes": result.get("bytes"), "files": len(files),
                       "manifest": result.get("manifest")})


def pgcopydb_version() -> str:
    done = subprocess.run(["pgcopydb", "--version"], capture_output=True, text=True)
    match = re.search(r"pgcopydb version (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


# --- CDC apply ---------------------------------------------------------------------------------------
CDC_TABLE = "public.cdc_changes"
CDC_SLOT = "tributary_bench_src"  # follow's default slot (and publication) name for the source bench_src
_CDC_DDL = ("CREATE TABLE public.cdc_changes (id bigint PRIMARY KEY, account int NOT NULL, qty numeric(18,4) NOT NULL,"
            " note text NOT NULL);")
_INSERTS_PER_TX, _UPDATES_PER_TX, _DELETES_PER_TX = 1000, 100, 1000


def cdc_prepare(source: Database, target: Database, worker: Worker, workdir: Path) -> None:
    """Untimed: the followed table, empty, on both sides; a slot prepared and released at once (both sides are
    empty, no copy needs its snapshot), so the changes made next are all in the stream."""
    cdc_clean(source)
    source.sql(_CDC_DDL)
    target.sql(_CDC_DDL)
    stop = workdir / "cdc-prepare.stop"
    stop.touch()
    worker.run("follow", "--source", "bench_src", "--table", CDC_TABLE, "--prepare", "--stop-file", str(stop))


def cdc_clean(source: Database) -> None:
    source.sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{CDC_SLOT}';"
               f" DROP PUBLICATION IF EXISTS {CDC_SLOT}; DROP TABLE IF EXISTS {CDC_TABLE};")


def cdc_changes(source: Database, changes: int) -> dict:
    """The stream to apply, made on the source with SQL: half of `changes` inserts in transactions of 1,000 rows,
    a quarter updates (two columns) in transactions of 100 rows, a quarter deletes in transactions of 1,000 rows."""
    inserts = changes // 2
    updates = changes // 4
    deletes = changes - inserts - updates
    script = []
    for lo in range(1, inserts + 1, _INSERTS_PER_TX):
        hi = min(inserts, lo + _INSERTS_PER_TX - 1)
        script.append(f"INSERT INTO {CDC_TABLE} SELECT g, g % 997, g * 1.5, md5(g::text) FROM generate_series({lo}, {hi}) g;")
    for lo in range(1, updates + 1, _UPDATES_PER_TX):
        hi = min(updates, lo + _UPDATES_PER_TX - 1)
        script.append(f"UPDATE {CDC_TABLE} SET qty = qty + 1, note = 'updated' WHERE id BETWEEN {lo} AND {hi};")
    # deletes from the top, so updated and deleted rows differ
    for hi in range(inserts, inserts - deletes, -_DELETES_PER_TX):
        lo = max(inserts - deletes + 1, hi - _DELETES_PER_TX + 1)
        script.append(f"DELETE FROM {CDC_TABLE} WHERE id BETWEEN {lo} AND {hi};")
    source.sql("\n".join(script))
    return {"inserts": inserts, "updates": updates, "deletes": deletes, "transactions": len(script)}


def tributary_follow(worker: Worker) -> Run:
    """`tributary follow --until-caught-up --drop-slot`: streams the slot and applies every change into the target
    (whole source transactions in batches, the position recorded in the same target transaction). Timed: the
    follow's own seconds (its result line: connect, stream, apply, commit), not the JVM start around it — a
    follower runs for hours, its start is not part of its apply rate; the wall time is in the detail."""
    result, _, wall, rss = worker.run("follow", "--source", "bench_src", "--table", CDC_TABLE, "--until-caught-up",
                                      "--drop-slot", "--progress-every", "60")
    return Run(float(result["seconds"]), rows=result.get("rows"),
               detail={"wall_seconds": round(wall, 3), "transactions": result.get("transactions"),
                       "status": result.get("status"), "peak_rss_mb": round(rss / 2**20, 1)})


def recorded_freezes(target_instance: Database) -> list[dict]:
    """The last cutover and rollback recorded in this stack's control schema (consolidated database,
    tributary.cutover_switches), e.g. by tests/test_e2e_cutover.py: make bench does not run Airflow."""
    consolidated = target_instance.with_name("consolidated")
    if consolidated.sql("SELECT to_regclass('tributary.cutover_switches') IS NOT NULL") != "t":
        return []
    rows = consolidated.sql(
        "SELECT json_build_object('direction', direction, 'freeze_seconds', freeze_seconds, 'steps', steps,"
        " 'paused_at', paused_at, 'sources', sources) FROM (SELECT DISTINCT ON (direction) * FROM"
        " tributary.cutover_switches WHERE status = 'switched' ORDER BY direction, switch_id DESC) last")
    return [json.loads(line) for line in rows.splitlines() if line.strip()]
