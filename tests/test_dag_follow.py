"""tributary_follow (phase 5 set-up): imports cleanly, one task per source owning the whole hold, in its pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from tributary import config, follow, pools

DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS / "tributary_follow.py"), include_examples=False)
    assert bag.import_errors == {}
    return bag.dags["tributary_follow"]


def test_one_set_up_task_per_source_holds_the_snapshot_alone(dag):
    cfg = config.load()
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    sources = cfg.source_ids
    assert set(up) == {"select_sources", "outcome", "report", *(f"select_{s}" for s in sources),
                       *(follow.task_id(s) for s in sources)}
    for source in sources:
        task = dag.get_task(follow.task_id(source))
        # prepare, copies, release, post-data and catch-up in this one task: nothing else can run beside the hold
        assert up[follow.task_id(source)] == {f"select_{source}"}
        assert (task.pool, task.pool_slots) == (pools.pool_name(source), pools.slots(cfg, source))
        assert follow.task_id(source) in up["outcome"]
    assert all(t.retries == 0 for t in dag.tasks)  # a failed set-up is undone; a person triggers it again
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params == {"sources": "", "tables": "", "dry_run": False, "snapshot_timeout_seconds": 300}
    assert dag.schedule is None and dag.max_active_runs == 1
    assert len((DAGS / "tributary_follow.py").read_text().splitlines()) < 60  # thin: declarations only


def test_the_sources_param_must_name_declared_sources(monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    import airflow.sdk

    for given, message in (("", "must name declared sources"), ("src_eu, nope", "unknown: nope")):
        monkeypatch.setattr(airflow.sdk, "get_current_context", lambda given=given: {"params": {"sources": given}})
        with pytest.raises(AirflowFailException, match=message):
            follow.task_select()
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: {"params": {"sources": "src_pagila, src_eu"}})
    assert follow.task_select() == ["src_pagila", "src_eu"]
