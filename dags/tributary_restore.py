"""Bring an archived table back: recreate it from the catalog's DDL, load the Parquet rows, verify.

Manual only (no schedule). Params: the catalog entry (an archive id from `tributary catalog search`,
or instance.schema.table for its newest verified archive), the target connection and table name.
Objects in an archive storage class (GLACIER, DEEP_ARCHIVE) are restored by S3 first: `thaw` asks
for it and, while S3 is still restoring, ends with exit 4: a reschedule-mode sensor pokes again later.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from tributary import archive, config, worker

CONFIG = config.load()
CONNECTIONS = archive.restore_connections(CONFIG)
TARGETS = archive.restore_targets(CONFIG)

with DAG(
    dag_id="tributary_restore",
    description="Restore an archived table from S3 into a PostgreSQL connection; verify its checksum against the catalog",
    schedule=None,
    catchup=False,
    tags=["tributary", "phase-4", "restore"],
    default_args={**worker.task_defaults(CONFIG, seconds=30), "retry_exponential_backoff": False},
    params={
        "catalog_entry": Param("", type="string",
                               description="Archive id (tributary catalog search) or instance.schema.table (newest verified)."),
        "target_connection": Param(TARGETS[0], type="string", enum=TARGETS,
                                   description="Where to restore (targets.archive.restore_targets adds more)."),
        "target_table": Param("", type="string",
                              description="schema.table to create; empty = the archived table's own name."),
    },
    doc_md=__doc__,
) as dag:
    argv = task(task_id="restore_args", retries=0, multiple_outputs=True)(archive.restore_args)()
    # S3 restores from GLACIER take hours: a sensor in reschedule mode pokes every 15 minutes for up to 48 hours
    # (exit 4 = not yet) and holds no worker slot in between.
    thaw = worker.worker_sensor(task_id="thaw", argv=argv["thaw"], connection_ids=CONNECTIONS,
                                poke_interval=worker.retry_delay(minutes=15), timeout=timedelta(hours=48))
    loaded = worker.worker_task(task_id="load", argv=argv["load"], connection_ids=CONNECTIONS,
                                secret_env=archive.key_secret_env(CONFIG))
    thaw >> loaded
    task(task_id="outcome", retries=0)(archive.restore_outcome)(loaded)
