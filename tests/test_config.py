"""migration.yaml validation: the committed file passes; a bad one names the JSON path of the bad key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tributary import config

REPO = Path(__file__).resolve().parents[1]
GOOD = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())


def problems_of(data) -> list[tuple[str, str]]:
    with pytest.raises(config.ConfigError) as err:
        config.validate(data)
    return err.value.problems


def test_committed_config_is_valid_and_lists_the_phase2_tables():
    conf = config.load(REPO / "config" / "migration.yaml")
    jobs = conf.consolidate_tables()
    names = [j.name for j in jobs]
    assert names[:2] == ["src_eu.public.users", "src_us.public.users"]  # many-to-one: one target table
    assert "src_pagila.public.film" in names and "src_pagila.public.language" in names
    assert jobs[0].key == ("id",) and jobs[0].target_table == jobs[1].target_table == "public.users"
    assert {j.target for j in jobs} == {"consolidated"}
    assert set(conf.connections_for_consolidate()) == {"src_eu", "src_us", "src_pagila", "consolidated"}


def _merge_config() -> dict:
    bad = copy.deepcopy(GOOD)
    bad.setdefault("tables", [])
    return bad


def test_bad_conflict_combinations_are_named():
    bad = _merge_config()
    bad["tables"] += [
        {"match": "*.public.users", "conflict_strategy": "manual", "source_wins": bad["sources"][0]["id"]},
        {"match": "*.public.trades", "conflict_strategy": "source-wins", "last_write_column": "updated_at"},
        {"match": "*.public.orders", "key_remapping": "none", "references": {"user_id": f"{bad['sources'][0]['id']}.public.users"}},
        {"match": "*.public.fills", "references": {"user_id": "src_nowhere.public.users"}},
    ]
    found = dict(problems_of(bad))
    n = len(bad["tables"]) - 4
    assert "not manual" in found[f"$.tables[{n}].source_wins"]
    assert "last-write-wins" in found[f"$.tables[{n + 1}].last_write_column"]
    assert "key_remapping: none" in found[f"$.tables[{n + 2}].references"]
    assert "src_nowhere" in found[f"$.tables[{n + 3}].references.user_id"]


def test_split_gives_each_table_one_owner_and_targets_that_are_not_sources():
    good = _merge_config()
    src = "src_pagila"  # a monolith shared out over two service databases
    good["consolidate"]["split"] = [{"source": src, "targets": {"svc_a": ["public.actor"], "svc_b": ["public.rental"]}}]
    config.validate(good)  # valid: no exception
    conf = config.MigrationConfig(path=REPO / "x.yaml", raw=good)
    assert {(j.table, j.target) for j in conf.split_tables()} == {("public.actor", "svc_a"), ("public.rental", "svc_b")}
    assert {"svc_a", "svc_b"} <= set(conf.connections_for_consolidate())

    bad = copy.deepcopy(good)
    bad["consolidate"]["split"][0]["targets"]["svc_b"].append("public.actor")
    bad["consolidate"]["split"][0]["targets"][src] = ["public.x"]
    found = dict(problems_of(bad))
    assert "already has an owner" in found["$.consolidate.split[0].targets.svc_b[1]"]
    assert "is a source" in found[f"$.consolidate.split[0].targets.{src}"]


def test_unknown_source_in_consolidate_names_its_path():
    bad = copy.deepcopy(GOOD)
    bad["consolidate"]["tables"][1]["source"] = "src_nowhere"
    [(where, what)] = problems_of(bad)
    assert where == "$.consolidate.tables[1].source" and "src_nowhere" in what


def test_bad_source_id_names_its_path():
    bad = copy.deepcopy(GOOD)
    bad["sources"][1]["id"] = "US-East"  # ids must be lower-case identifiers (TRIBUTARY_CONN_<ID>)
    where = [w for w, _ in problems_of(bad)]
    assert where == ["$.sources[1].id"]


def test_duplicate_source_id_names_the_second_one():
    bad = copy.deepcopy(GOOD)
    bad["sources"][2]["id"] = "src_eu"
    where = [w for w, _ in problems_of(bad)]
    assert where[0] == "$.sources[2].id"
    assert "$.consolidate.tables[13].source" in where  # src_pagila (film) is no longer declared


def test_unknown_key_is_named_not_its_parent():
    bad = copy.deepcopy(GOOD)
    bad["defaults"]["chunk_size"] = 1000
    assert [w for w, _ in problems_of(bad)] == ["$.defaults.chunk_size"]


def test_kms_without_key_id_is_rejected_at_the_archive():
    bad = copy.deepcopy(GOOD)
    bad["targets"]["archive"]["encryption"] = "aws:kms"
    [(where, what)] = problems_of(bad)
    assert where == "$.targets.archive" and "kms_key_id" in what


@pytest.mark.parametrize("cse, ok", [
    ({"keyring": "raw-aes", "key_env": "TRIBUTARY_ARCHIVE_KEY"}, True),
    ({"keyring": "kms", "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/k"}, True),
    ({"keyring": "raw-aes"}, False),                                     # where would the key come from?
    ({"keyring": "raw-aes", "key_env": "archive key"}, False),           # not an environment variable name
    ({"keyring": "raw-aes", "key_env": "K", "key": "c2VjcmV0"}, False),  # key material never in the file
    ({"keyring": "kms"}, False),
    ({"keyring": "kms", "kms_key_id": "k", "key_env": "K"}, False),
    (True, False),                                                       # the old reserved boolean
])
def test_client_side_encryption_names_a_keyring_never_a_key(cse, ok):
    data = copy.deepcopy(GOOD)
    data["targets"]["archive"]["client_side_encryption"] = cse
    if ok:
        config.validate(data)
    else:
        assert any(where.startswith("$.targets.archive") for where, _ in problems_of(data))


def test_many_to_one_is_allowed_but_one_source_table_listed_twice_is_not(tmp_path):
    ok = copy.deepcopy(GOOD)
    ok["consolidate"]["tables"].append({"source": "src_pagila", "table": "public.actor", "target_table": "public.film"})
    config.validate(ok)  # several sources into one target table: tributary resolve remaps keys
    bad = copy.deepcopy(GOOD)
    bad["consolidate"]["tables"].append({"source": "src_us", "table": "public.users", "key": ["id"]})
    [(where, what)] = problems_of(bad)
    assert where == "$.consolidate.tables[14]" and "listed twice" in what


def test_load_reports_yaml_syntax_errors_with_a_line(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("version: 1\nsources: [\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(f)
    assert "line" in err.value.problems[0][0]


@pytest.mark.parametrize(
    "pattern, expected",
    [("*", 14), ("", 14), ("public.users", 2), ("src_us.public.users", 1), ("public.f*", 1), ("src_pagila.*", 2), ("nope.*", 0)],
)
def test_table_filter_globs_schema_table_or_source_schema_table(pattern, expected):
    jobs = config.load(REPO / "config" / "migration.yaml").consolidate_tables()
    assert len(config.select(jobs, pattern)) == expected


def test_globs_match_as_the_worker_matches_them():
    """config/glob-cases.json is also run by the worker's TableGlobMatchesLikeFnmatchTest: one meaning of a glob."""
    import fnmatch
    import json

    cases = json.loads((REPO / "config" / "glob-cases.json").read_text())["cases"]
    assert len(cases) >= 20
    for case in cases:
        assert fnmatch.fnmatchcase(case["name"], case["glob"]) is case["match"], case


def test_an_archive_must_outlive_the_hold_and_expire_by_its_tag():
    """The worker's ConfigRules says the same (ValidateConfigNamesBadKeyTest): a drop must never outlive its archive."""
    short = copy.deepcopy(GOOD)
    short["targets"]["archive"].update(retention_days=10, drop_source_hold_days=30)
    assert [w for w, _ in problems_of(short)] == ["$.targets.archive.retention_days"]
    untagged = copy.deepcopy(GOOD)
    untagged["targets"]["archive"].update(lifecycle=True, object_tags=False)
    assert [w for w, _ in problems_of(untagged)] == ["$.targets.archive.lifecycle"]


def test_neither_the_control_schema_nor_the_warehouse_is_a_source():
    bad = copy.deepcopy(GOOD)
    bad["control"]["connection"] = "src_eu"
    bad["targets"]["warehouse"]["connection"] = "src_us"
    assert {w for w, _ in problems_of(bad)} == {"$.control.connection", "$.targets.warehouse.connection"}


def test_an_application_name_per_source_is_accepted_and_two_applications_never_share_a_target_schema():
    good = copy.deepcopy(GOOD)
    good["sources"][0]["application"] = "trading"
    good["sources"][1].update(application="trading", target_schema="trading")
    good["sources"][0]["target_schema"] = "trading"
    good["sources"][2]["application"] = "pagila"
    config.validate(good)  # one application in one schema: fine
    bad = copy.deepcopy(good)
    bad["sources"][2]["target_schema"] = "trading"
    ((where, what),) = problems_of(bad)
    assert where == "$.sources[2].target_schema"
    assert "'trading' is also the target_schema of src_eu ($.sources[0]), another application" in what
    bad["sources"][2]["application"] = 7  # not an identifier
    assert "$.sources[2].application" in [w for w, _ in problems_of(bad)]


@pytest.mark.parametrize("schedule, ok", [("*/15 * * * *", True), ("@hourly", True), ("0 6 * * 1-5", True),
                                          ("61 * * * *", False), ("every hour", False), ("@sometimes", False)])
def test_the_reconcile_schedule_is_a_cron_expression_airflow_accepts(schedule, ok):
    data = copy.deepcopy(GOOD)
    data["reconcile"]["schedule"] = schedule
    if ok:
        config.validate(data)
    else:
        assert [w for w, _ in problems_of(data)] == ["$.reconcile.schedule"]


def test_the_replay_refuses_a_slowdown_that_allows_nothing_and_an_unknown_reaction():
    data = copy.deepcopy(GOOD)
    data["cutover"]["replay"].update(max_slowdown=1, on_slower="ignore")
    assert sorted(w for w, _ in problems_of(data)) == ["$.cutover.replay.max_slowdown", "$.cutover.replay.on_slower"]
