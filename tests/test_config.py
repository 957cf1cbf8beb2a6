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
    assert [j.name for j in jobs] == ["src_eu.public.users", "src_pagila.public.film"]
    assert jobs[0].key == ("id",) and jobs[0].target_table == "public.users"
    assert set(conf.connections_for_consolidate()) == {"src_eu", "src_pagila", "consolidated"}


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
    assert "$.consolidate.tables[1].source" in where  # src_pagila is no longer declared


def test_unknown_key_is_named_not_its_parent():
    bad = copy.deepcopy(GOOD)
    bad["defaults"]["chunk_size"] = 1000
    assert [w for w, _ in problems_of(bad)] == ["$.defaults.chunk_size"]


def test_kms_without_key_id_is_rejected_at_the_archive():
    bad = copy.deepcopy(GOOD)
    bad["targets"]["archive"]["encryption"] = "aws:kms"
    [(where, what)] = problems_of(bad)
    assert where == "$.targets.archive" and "kms_key_id" in what


def test_two_tables_into_one_target_need_remapping(tmp_path):
    bad = copy.deepcopy(GOOD)
    bad["consolidate"]["tables"].append({"source": "src_us", "table": "public.users", "key": ["id"]})
    [(where, what)] = problems_of(bad)
    assert where == "$.consolidate.tables[2]" and "public.users" in what


def test_load_reports_yaml_syntax_errors_with_a_line(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("version: 1\nsources: [\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(f)
    assert "line" in err.value.problems[0][0]


@pytest.mark.parametrize(
    "pattern, expected",
    [("*", 2), ("", 2), ("public.users", 1), ("public.f*", 1), ("src_pagila.*", 1), ("nope.*", 0)],
)
def test_table_filter_globs_schema_table_or_source_schema_table(pattern, expected):
    jobs = config.load(REPO / "config" / "migration.yaml").consolidate_tables()
    assert len(config.select(jobs, pattern)) == expected
