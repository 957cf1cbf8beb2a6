"""Phase 2: consolidate the application tables of every instance into the consolidated PostgreSQL.

Runs when the plan Asset (tributary://plan) is updated, or by hand with Params. Tables: the plan's
application tables (else migration.yaml). ``schema_pre_data`` creates the unified tables first and
``schema_post_data`` their indexes, keys and foreign keys after the copies. ``resolve`` decides key offsets and settles duplicate natural keys
for target tables fed by several instances; each source table is copied by the worker with its keys and
foreign keys remapped; each target table is then checksummed, verified against the sum of its sources'
checksums, and gated by Great Expectations. Declarations only; the work is in dags/tributary/consolidate.py.
Parsing reads config/migration.yaml and nothing else.
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, Param, TriggerRule, task, task_group

from tributary import config, consolidate, pools, report, worker

CONFIG = config.load()
JOBS = [job.as_dict() for job in CONFIG.consolidate_tables()]
CONNECTIONS = CONFIG.connections_for_consolidate()
SOURCES = CONFIG.source_ids
TARGETS = sorted({CONFIG.consolidated_connection, CONFIG.control_connection, *(j.target for j in CONFIG.split_tables())})

with DAG(
    dag_id="tributary_consolidate",
    description="Resolve keys, copy application tables many-to-one, verify rows + checksums per target, GX gate",
    schedule=[Asset("tributary://plan")],
    catchup=False,
    max_active_runs=1,  # one writer per target table; re-runs resume through the worker's ledger
    tags=["tributary", "phase-2"],
    default_args=worker.task_defaults(CONFIG, seconds=30),  # retries, backoff, execution_timeout from the window
    params={
        "dry_run": Param(False, type="boolean", description="Select and resolve (recording nothing); copy nothing."),
        "table_filter": Param("*", type="string", description="Glob on schema.table (or source.schema.table)."),
        "parallelism": Param(
            None, type=["null", "integer"], minimum=1, maximum=64,
            description="Chunk workers per table copy, and index builds at once in schema post-data (empty: each"
                        " table's tables[].parallelism, else defaults.parallelism of migration.yaml).",
        ),
        "truncate": Param(
            False, type="boolean",
            description="Replace what earlier runs copied into the selected tables (copy --truncate; several sources"
                        " in one table: each replaces only its own rows). Needed after the resolution changed.",
        ),
        "tables_from": Param("plan", enum=["plan", "config"],
                             description="plan: the plan's application tables (if a plan exists); config: migration.yaml."),
    },
    doc_md=__doc__,
) as dag:
    selected = task(task_id="select_tables")(consolidate.select_tables)(JOBS)
    # What the mapped groups expand over (copy_args_<source>); a dry run maps nothing, so it cannot copy anything.
    checks = task(task_id="targets")(consolidate.target_checks)(selected)
    resolved = worker.worker_task(
        task_id="resolve",
        argv=task(task_id="resolve_args")(consolidate.resolve_argv)(selected),
        connection_ids=CONNECTIONS,
        **pools.all_sources_task(),  # reads every source in one call
    )
    pre_data = worker.worker_task(
        task_id="schema_pre_data",
        argv=task(task_id="schema_pre_data_args")(consolidate.schema_argv)(selected, "pre-data"),
        connection_ids=CONNECTIONS,
        **pools.all_sources_task(),
    )

    def copy_group(source):
        # One mapped group per source: Airflow fixes a task's pool when the DAG is parsed, not per map index, so
        # each source's copies get their own task in that source's pool (pools.py: slots = sessions).
        @task_group(group_id=consolidate.copy_group(source))
        def copy(argv):
            copied = worker.worker_task(
                task_id="copy", argv=argv, connection_ids=CONNECTIONS,
                max_active_tis_per_dagrun=CONFIG.default_parallelism,
                **pools.source_task(CONFIG, source, sessions=pools.copy_slots(CONFIG, source)),
            )
            [resolved, pre_data] >> copied  # keys decided and tables created before anything is copied
            return copied

        return copy.expand(argv=task(task_id=f"copy_args_{source}")(consolidate.copy_args)(selected, source))

    @task_group(group_id=consolidate.TARGET_GROUP)
    def target(entry, argv):
        # A source with no table in this run maps no copies (skipped): not a reason to skip the check.
        checked = worker.worker_task(task_id="checksum_target", argv=argv, connection_ids=TARGETS,
                                     trigger_rule=TriggerRule.NONE_FAILED)
        copies >> checked  # a target table is checked once every source table is in
        verified = task(task_id="verify", retries=0)(consolidate.verify)(entry, checked)
        return task(task_id="gx_gate", retries=0)(consolidate.gx_gate)(entry, verified)

    copies = [copy_group(source) for source in SOURCES]
    gates = target.expand_kwargs(checks)
    # Indexes, keys, validated FKs, views and sequences once the data is in (the order pg_dump uses).
    post_data = worker.worker_task(
        task_id="schema_post_data",
        argv=task(task_id="schema_post_data_args")(consolidate.schema_argv)(selected, "post-data"),
        connection_ids=CONNECTIONS,
        # A source without tables in this run skips its copies; a dry run skips the args (nothing was copied).
        trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        **pools.all_sources_task(),
    )
    copies >> post_data

    task(
        task_id="outcome",
        trigger_rule=TriggerRule.ALL_DONE,  # report failed tables too
        retries=0,
        outlets=[Asset("tributary://consolidated")],
    )(consolidate.finish)(selected, resolved) << [gates, post_data]

    report.add_to(dag)  # the HTML migration report: this run's artefact, built however the run ends
