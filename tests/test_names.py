"""The DAGs' name parser follows the same examples as the worker's (docs/qualified-names.json)."""

import json
from pathlib import Path

import pytest

from tributary import config, names

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "docs" / "qualified-names.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['parts']}:{v['input']!r}")
def test_qualified_names_follow_the_shared_vectors(vector):
    if vector["names"] is None:
        with pytest.raises(ValueError):
            names.parse(vector["input"], vector["parts"])
        return
    assert list(names.parse(vector["input"], vector["parts"])) == vector["names"]
    assert names.qualified(*vector["names"]) == vector["canonical"]
    assert list(names.parse(vector["canonical"], vector["parts"])) == vector["names"]


def test_a_bad_name_says_what_and_where():
    with pytest.raises(ValueError, match=r"--table .public.my\\u0009table. must be schema.table .*position 10"):
        names.parse("public.my\ttable", 2, "--table")


def test_config_jobs_keep_odd_names_whole(tmp_path):
    """consolidate.tables with quoted names: the default target keeps the quoted table name intact."""
    cfg = config.MigrationConfig(path=tmp_path / "m.yaml", raw={
        "sources": [{"id": "src_eu", "target_schema": "Eu Data"}],
        "targets": {"consolidated": {"connection": "consolidated"}},
        "control": {"connection": "consolidated"},
        "consolidate": {"tables": [{"source": "src_eu", "table": '"Sp1eCial .Char"."Tabl e.1testing"'}]},
    })
    [job] = cfg.consolidate_tables()
    assert job.target_table == 'Eu Data."Tabl e.1testing"'
    assert job.table == '"Sp1eCial .Char"."Tabl e.1testing"'
    assert names.parse(job.target_table) == ("Eu Data", "Tabl e.1testing")


def test_a_name_written_with_needless_quotes_is_filtered_in_its_written_back_form(tmp_path):
    cfg = config.MigrationConfig(path=tmp_path / "m.yaml", raw={
        "sources": [{"id": "src_eu"}], "targets": {"consolidated": {"connection": "consolidated"}},
        "control": {"connection": "consolidated"},
        "consolidate": {"tables": [{"source": "src_eu", "table": '"public"."users"'}]},
    })
    [job] = cfg.consolidate_tables()
    assert (job.table, job.target_table) == ("public.users", "public.users")
    assert config.select([job], "src_eu.public.*") == [job]


def test_plan_tables_render_quoted_names(tmp_path):
    cfg = config.MigrationConfig(path=tmp_path / "m.yaml", raw={
        "sources": [{"id": "src_eu"}], "targets": {"consolidated": {"connection": "consolidated"}},
        "control": {"connection": "consolidated"}})
    plan = {"tables": [{"instance": "src_eu", "schema": "public", "table": 'with "q"\nline', "class": "application",
                        "destination": {"kind": "consolidated", "table": 'public."with ""q""\nline"'}}]}
    [job] = cfg.plan_tables(plan)
    assert names.parse(job.table) == ("public", 'with "q"\nline')
    assert config.matches(job.name, 'src_eu.public."with*')


def test_config_rejects_a_table_name_the_worker_would_reject(tmp_path):
    data = {
        "version": 1, "control": {"connection": "consolidated"}, "sources": [{"id": "src_eu"}],
        "targets": {"consolidated": {"connection": "consolidated"}},
        "consolidate": {"tables": [{"source": "src_eu", "table": 'public.a=b'}]},
    }
    with pytest.raises(config.ConfigError) as err:
        config.validate(data)
    assert "$.consolidate.tables[0].table" in str(err.value)


def test_key_segment_keeps_every_name_one_segment_as_the_worker_writes_it():
    """The same examples as ArchiveKeysKeepEveryNameOneSegmentTest (Java's S3Location.segment)."""
    from tributary import names

    assert names.key_segment("market.fills") == "market.fills"
    assert names.key_segment('Tabl e."1"testing$ünï') == 'Tabl e."1"testing$ünï'
    assert names.key_segment("a/b") == "a%2Fb"
    assert names.key_segment("a%2Fb") == "a%252Fb"
    assert names.key_segment("with\n  AS (x") == "with%0A  AS (x"
    assert names.key_segment("\u0085") == "%C2%85"
    assert [names.key_segment(n) for n in (".", "..", "...")] == ["%2E", "%2E%2E", "..."]


def test_warehouse_staging_prefix_keeps_a_table_one_segment():
    from types import SimpleNamespace

    from tributary import warehouse

    cfg = SimpleNamespace(warehouse={"staging_prefix": "wh/"})
    job = {"source": "src_eu", "table": 'app."a/b"'}
    assert warehouse._staging_prefix(cfg, job, {"partition": "2026-06-01"}) == 'wh/src_eu/app."a%2Fb"/2026-06-01'
