"""The migration report: built from small, realistic state folders in tmp_path (no database needed),
plus one build from the real local state (``stack``)."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tributary import report

NO_DB = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens on port 1: "not reachable", fast


def _plan_table(instance, schema, table, klass, rows, nbytes, *, flagged=False, conflicts=(), reasons=None):
    dest = {
        "application": {"kind": "consolidated", "connection": "consolidated", "table": f"{schema}.{table}"},
        "broker": {"kind": "warehouse", "connection": "warehouse", "dialect": "postgres", "table": f"{schema}.{table}"},
        "unknown": {"kind": "archive", "connection": "s3",
                    "location": f"s3://tributary-archive/archive/{instance}/{schema}/{table}/"},
    }[klass]
    return {
        "instance": instance, "schema": schema, "table": table, "kind": "table", "class": klass,
        "confidence": 0.97, "reasons": reasons or [f"{table} looks like {klass} data"], "decided_by": "model",
        "flagged_for_review": flagged, "destination": dest, "key": ["id"], "rows": rows, "bytes": nbytes,
        "estimated_copy_seconds": 0.1, "conflicts": list(conflicts), "skip": False,
    }


def _outcome_row(source, table, rows, src, dst, verified):
    return {"table": table, "source": source, "target_table": table, "rows": rows, "target_rows": rows,
            "source_checksum": src, "target_checksum": dst, "verified": verified, "status": "copied"}


@pytest.fixture
def state(tmp_path) -> Path:
    """A state folder after discovery and one consolidate run: 2 verified, 1 mismatched, 1 hostile name."""
    st = tmp_path / "state"
    (st / "plan").mkdir(parents=True)
    (st / "reports").mkdir()
    tables = [
        _plan_table("src_eu", "public", "users", "application", 5000, 1_212_416, conflicts=[0]),
        _plan_table("src_us", "public", "users", "application", 4000, 991_232, conflicts=[0]),
        _plan_table("src_pagila", "public", "film", "application", 1000, 704_512),
        _plan_table("src_eu", "public", "<script>alert(1)</script>", "application", 10, 8192,
                    reasons=["name has <b>tags</b> & ampersands"]),
        _plan_table("src_eu", "market", "ticks", "broker", 200_000, 22_011_904, flagged=True),
        _plan_table("src_eu", "public", "tmp_import_2019", "unknown", 3000, 466_944),
    ]
    conflicts = [{
        "kind": "key_overlap", "table": "public.users", "instances": ["src_eu", "src_us"],
        "detail": {"column": "id"}, "count": 4000, "sample": [1, 2, 3],
        "resolution": {"strategy": "key-remapping", "method": "offset", "column": "id", "stride": 100000,
                       "offsets": {"src_eu": 0, "src_us": 100000}, "rewrite_foreign_keys": ["public.trades(user_id)"]},
        "overridable_by": "tables[match=*.public.users].key_remapping",
    }, {
        "kind": "duplicate_natural_key", "table": "public.users", "instances": ["src_eu", "src_us"],
        "detail": {"columns": ["email"]}, "count": 333,
        "sample": [{"key": "sophie.bakker7986@web.example", "rows": {"src_eu": 12, "src_us": 9001}}],
        "resolution": {"strategy": "last-write-wins", "column": "updated_at"},
    }]
    plan = {"format": 1, "generated_at": "2026-11-22T03:19:39+00:00", "run_id": "manual__discover",
            "config": "config/migration.yaml",
            "instances": [{"id": i, "database": "trading", "tables": 2} for i in ("src_eu", "src_us", "src_pagila")],
            "tables": tables, "conflicts": conflicts,
            "summary": {"tables": len(tables), "conflicts": 1, "flagged_for_review": 1}}
    (st / "plan" / "plan.json").write_text(json.dumps(plan))
    outcome = {"dag_id": "tributary_consolidate", "run_id": "manual__consolidate", "all_verified": False, "tables": [
        _outcome_row("src_eu", "public.users", 5000, "c3ee5e82248d696e", "c3ee5e82248d696e", True),
        _outcome_row("src_pagila", "public.film", 1000, "4300b1f691e4bded", "4300b1f691e4bded", True),
        _outcome_row("src_us", "public.users", 4000, "1111111111111111", "2222222222222222", False),
        _outcome_row("src_eu", "public.<script>alert(1)</script>", 10, "aa", "aa", True),
    ], "merge": {"tables": [{"target_table": "public.users", "sources": ["src_eu", "src_us"], "key_column": "id",
                             "offsets": {"src_eu": 0, "src_us": 100000}, "strategy": "last-write-wins",
                             "duplicates": 333, "open": 2, "key_map_rows": 333}],
                 "duplicates": 333, "open_conflicts": 2}}
    (st / "reports" / "consolidate-outcome.json").write_text(json.dumps(outcome))
    return st


def _model(st: Path, control=None):
    return report.build_model(st, control or report.ControlSchema(False, "test: no database"))


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


# ------------------------------------------------------------------------------------------ headline


def test_headline_numbers(state):
    h = _model(state)["headline"]
    assert h["tables"] == 6
    assert h["verified"] == 3
    assert h["bad"] == 1
    assert h["flagged"] == 1
    assert h["not_run"] == 2  # the broker and the unknown table
    assert h["rows_moved"] == 5000 + 1000 + 10  # verified tables only; the mismatched 4000 do not count
    assert h["tone"] == "bad"


def test_headline_is_on_the_page(state):
    html = report.build(state, NO_DB).read_text()
    cards = {m.group(1): m.group(2) for m in re.finditer(r'id="h-(\w+)"><div class="n">([^<]*)</div>', html)}
    assert cards["verified"] == "3" and cards["bad"] == "1" and cards["flagged"] == "1" and cards["notrun"] == "2"
    assert "6.0k" in cards["rows"]
    assert "attention: tables failed verification" in html


def test_build_writes_the_page_in_the_state_folder(state):
    path = report.build(state, NO_DB)
    assert path == state / "reports" / "migration-report.html"
    assert path.read_text().startswith("<!DOCTYPE html>")


# ------------------------------------------------------------------------------------------ per table


def _row(html: str, instance: str, table: str) -> str:
    for tr in re.findall(r"<tr class=\"[^\"]*\" data-state=\"[^\"]*\">.*?</tr>", html, flags=re.S):
        if f"<td>{instance}</td>" in tr and f">{table}" in tr:
            return tr
    raise AssertionError(f"no row for {instance} {table}")


def test_mismatched_table_shows_as_not_verified(state):
    model = _model(state)
    us = next(t for t in model["tables"] if t["instance"] == "src_us" and t["table"] == "public.users")
    assert us["state"] == "mismatch"
    assert model["tables"][0] is us  # problems first
    html = report.build(state, NO_DB).read_text()
    row = _row(html, "src_us", "public.users")
    assert 'data-state="mismatch"' in row and "no: mismatch" in row and "#c62828" in row
    assert "yes" not in re.sub(r"<[^>]+>", " ", row).split()
    ok = _row(html, "src_eu", "public.users")
    assert 'data-state="verified"' in ok and ">yes<" in ok


def test_control_schema_supplies_timings_and_a_ledger_mismatch(state):
    control = report.ControlSchema(True, table_status=[
        {"table_id": 1, "source": "src_eu", "source_table": "public.users", "target": "consolidated",
         "target_table": "public.users", "status": "copied", "rows": 5000, "source_checksum": "c3ee5e82248d696e",
         "target_checksum": "c3ee5e82248d696e", "bytes": 663_148, "seconds": 0.25, "updated_at": "2026-11-22"},
        # only in the ledger (no outcome file row): a copy whose checksums differ
        {"table_id": 2, "source": "src_eu", "source_table": "market.ticks", "target": "consolidated",
         "target_table": "market.ticks", "status": "copied", "rows": 100, "source_checksum": "aa",
         "target_checksum": "bb", "bytes": 10, "seconds": 1.0, "updated_at": "2026-11-22"},
    ])
    model = _model(state, control)
    users = next(t for t in model["tables"] if t["instance"] == "src_eu" and t["table"] == "public.users")
    assert users["rows_per_second"] == pytest.approx(20_000) and users["bytes"] == 663_148
    ticks = next(t for t in model["tables"] if t["table"] == "market.ticks")
    assert ticks["state"] == "mismatch" and ticks["evidence"] == "control schema"
    assert model["headline"]["bad"] == 2
    assert model["headline"]["bytes_moved"] == 663_148


def test_tables_from_outcomes_appear_without_a_plan(state):
    (state / "plan" / "plan.json").unlink()
    model = _model(state)
    assert {(t["instance"], t["table"]) for t in model["tables"]} >= {("src_eu", "public.users"), ("src_pagila", "public.film")}
    html = report.render(model)
    assert "not run yet (no plan)" in html


def test_warehouse_partitions_add_up_and_one_bad_partition_fails_the_table(state):
    # as warehouse.write_result leaves them: one file per partition (one DAG run each)
    partitions = state / "reports" / "warehouse"
    partitions.mkdir()
    for day, row, ok in (("2026-10-23", _outcome_row("src_eu", "market.ticks", 100, "a", "a", True), True),
                         ("2026-10-26", _outcome_row("src_eu", "market.ticks", 50, "b", "c", False), False)):
        (partitions / f"{day}.json").write_text(json.dumps(
            {"dag_id": "tributary_warehouse", "run_id": f"scheduled__{day}", "partition": day,
             "all_verified": ok, "tables": [{**row, "partition": day}]}))
    model = _model(state)
    ticks = next(t for t in model["tables"] if t["table"] == "market.ticks")
    assert ticks["rows"] == 150 and ticks["state"] == "mismatch" and ticks["source_checksum"] == "2 partitions"
    phase = next(p for p in model["phases"] if p["phase"] == "warehouse")
    assert phase["ran"] and phase["run_id"] == "scheduled__2026-10-26" and phase["all_verified"] is False
    assert phase["extras"]["partitions"] == 2
    assert (phase["tables"], phase["verified"], phase["bad"]) == (1, 0, 1)  # counted per table, not per partition


def test_what_resolve_did_is_on_the_page(state):
    merge = _model(state)["merge"]
    assert merge["duplicates"] == 333 and merge["open"] == 2
    assert merge["tables"][0]["offsets"] == "src_eu +0, src_us +100000"
    html = report.build(state, NO_DB).read_text()
    section = html[html.index('id="conflicts"'):html.index('id="archive"')]
    assert "tributary resolve" in section and "last-write-wins" in section and "333" in section
    assert "src_us +100000" in section


def test_a_dry_run_outcome_without_numbers_still_renders(state):
    row = {**_outcome_row("src_eu", "public.tmp_import_2019", "-", None, None, "dry-run")}
    (state / "reports" / "archive-outcome.json").write_text(json.dumps(
        {"dag_id": "tributary_archive", "run_id": "manual__dry", "all_verified": False, "tables": [row]}))
    html = report.build(state, NO_DB).read_text()
    assert "public.tmp_import_2019" in html


# ------------------------------------------------------------------------------------------ safety


def test_everything_is_escaped(state):
    html = report.build(state, NO_DB).read_text()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>tags</b>" not in html and "&lt;b&gt;tags&lt;/b&gt; &amp; ampersands" in html


def test_hostile_label_in_the_chart_is_escaped_and_well_formed():
    svg = report.bar_chart_svg([("x</text><script>alert(1)</script>", 10.0, "#000"), ("a & b", 5.0, "#111")])
    root = ET.fromstring(str(svg))
    assert root.tag == "svg" and "<script" not in str(svg)
    texts = ["".join(t.itertext()) for t in root.iter("text")]
    assert "x</text><script>alert(1)</script>" in texts and "a & b" in texts


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("href", "src", "srcset", "action", "xlink:href", "data")]


def test_page_is_self_contained(state):
    html = report.build(state, NO_DB).read_text()
    assert not re.search(r"(?i)https?://", html)
    assert not re.search(r"(?i)@import|url\(", html)
    refs = _Refs()
    refs.feed(html)
    assert "script" not in refs.tags and "link" not in refs.tags and "img" not in refs.tags
    assert all(r.startswith("#") or not re.match(r"(?i)^[a-z][a-z0-9+.-]*:|^//", r) for r in refs.refs), refs.refs


# ------------------------------------------------------------------------------------------ charts


def test_throughput_chart_is_present_and_well_formed(state):
    control = report.ControlSchema(True, table_status=[
        {"table_id": 1, "source": "src_eu", "source_table": "public.users", "target": "consolidated",
         "target_table": "public.users", "status": "copied", "rows": 5000, "source_checksum": "x",
         "target_checksum": "x", "bytes": 1, "seconds": 0.5, "updated_at": "1"},
        {"table_id": 2, "source": "src_pagila", "source_table": "public.film", "target": "consolidated",
         "target_table": "public.film", "status": "copied", "rows": 1000, "source_checksum": "y",
         "target_checksum": "y", "bytes": 1, "seconds": 0.25, "updated_at": "1"},
    ])
    html = report.render(_model(state, control))
    svgs = _svgs(html)
    assert len(svgs) == 3  # state bar, throughput, bytes by destination
    for svg in svgs:
        ET.fromstring(svg)  # well-formed XML
    throughput = next(s for s in svgs if "rows per second" in s)
    root = ET.fromstring(throughput)
    bars = [r for r in root.iter("rect")]
    assert len(bars) == 2
    widths = sorted(float(b.get("width")) for b in bars)
    assert widths[1] == pytest.approx(widths[0] * 2.5)  # 10,000 rows/s vs 4,000 rows/s
    assert any("src_eu · public.users" in "".join(t.itertext()) for t in root.iter("text"))


def test_stacked_bar_segments_share_one_scale():
    svg = report.stacked_bar_svg([("planned", [("consolidated", 300.0, "#1"), ("archive", 100.0, "#2")]),
                                  ("moved", [("consolidated", 100.0, "#1"), ("archive", 0.0, "#2")])], width=610)
    root = ET.fromstring(str(svg))
    bars = [float(r.get("width")) for r in root.iter("rect") if r.get("height") == "26"]
    assert len(bars) == 3  # the zero segment draws nothing
    assert bars[0] == pytest.approx(3 * bars[1]) and bars[2] == pytest.approx(bars[1])  # one scale for both rows
    legend = ["".join(t.itertext()) for t in root.iter("text")]
    assert "consolidated" in legend and "archive" in legend


def test_empty_charts_still_parse():
    ET.fromstring(str(report.bar_chart_svg([])))
    ET.fromstring(str(report.stacked_bar_svg([("moved", [])])))


# ------------------------------------------------------------------------------------------ missing inputs


def test_empty_state_folder_renders_not_run_yet(tmp_path):
    path = report.build(tmp_path / "empty", NO_DB)
    html = path.read_text()
    assert html.count("not run yet") >= 6  # discover, four phases, tables, charts, archive, GX, reasons
    assert "The control schema was not reachable" in html
    assert "nothing moved yet" in html
    for svg in _svgs(html):
        ET.fromstring(svg)


def test_unreachable_database_is_said_and_no_secret_leaks(state):
    secret_uri = "postgresql://tributary:s3cret-pw@127.0.0.1:1/consolidated"
    html = report.build(state, secret_uri).read_text()
    assert "The control schema was not reachable" in html
    assert "s3cret-pw" not in html


def test_broken_input_file_is_reported_not_raised(state):
    (state / "reports" / "archive-outcome.json").write_text("{not json")
    html = report.build(state, NO_DB).read_text()
    assert "archive-outcome.json: unreadable" in html


def test_email_addresses_in_conflict_samples_are_masked(state):
    html = report.build(state, NO_DB).read_text()
    assert "sophie.bakker7986" not in html
    assert "s***@web.example" in html and "duplicate natural key" in html


def test_conflicts_and_reasons_are_shown(state):
    html = report.build(state, NO_DB).read_text()
    assert "key-remapping" in html and "src_us +100,000" in html and "public.trades(user_id)" in html
    assert "tables[match=*.public.users].key_remapping" in html
    assert "<details" in html and "looks like application data" in html


# ------------------------------------------------------------------------------------------ GX


def _gx_result(st: Path, table: str, success: bool, when: str, failures=()):
    schema, name = table.split(".")
    rel = Path("consolidated") / schema / name / "run" / when.replace(":", "")
    results = [{"success": True, "expectation_config": {"type": "expect_table_row_count_to_equal",
                                                        "kwargs": {"value": 3}}, "result": {"observed_value": 3}}]
    results += [{"success": False, "expectation_config": {"type": "expect_column_values_to_not_be_null",
                                                          "kwargs": {"column": col}},
                 "result": {"unexpected_count": 1, "element_count": 3}} for col in failures]
    data = {"success": success, "suite_name": f"consolidated.{table}", "results": results,
            "statistics": {"evaluated_expectations": len(results), "successful_expectations": 1},
            "meta": {"validation_time": when, "batch_spec": {"schema_name": schema, "table_name": name}}}
    gx = st / "gx" / "project" / "gx" / "uncommitted"
    path = gx / "validations" / rel / f"consolidated-{table}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    page = gx / "data_docs" / "local_site" / "validations" / rel / f"consolidated-{table}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<html></html>")
    (gx / "data_docs" / "local_site" / "index.html").write_text("<html></html>")


def test_gx_results_latest_per_table_with_failures_and_relative_links(state):
    _gx_result(state, "public.users", False, "2026-11-22T01:00:00+00:00", failures=["id"])  # older, failed
    _gx_result(state, "public.users", True, "2026-11-22T02:00:00+00:00")
    _gx_result(state, "public.film", False, "2026-11-22T02:00:00+00:00", failures=["film_id"])
    model = _model(state)
    gx = {g["table"]: g for g in model["gx"]}
    assert gx["public.users"]["success"] is True
    assert gx["public.film"]["success"] is False
    assert gx["public.film"]["failures"] == ["expect_column_values_to_not_be_null(film_id): 1 unexpected of 3"]
    link = gx["public.film"]["docs"]
    assert not os.path.isabs(link) and (state / "reports" / link).resolve().is_file()
    assert model["headline"]["gx_failed"] == 1
    html = report.render(model)
    assert "expect_column_values_to_not_be_null(film_id)" in html and 'href="../gx/project/gx/uncommitted/' in html


def test_gx_results_name_odd_tables_as_they_parse_back(state):
    """A table asset's batch names the table (a dot inside a name is quoted); a query asset's (odd names: the gate
    reads ONLY the table) has no names, so the suite's name (suites.store_key: '/' written %2F) is read back."""
    from tributary import suites

    gx = state / "gx" / "project" / "gx" / "uncommitted" / "validations"
    for i, (suite, batch) in enumerate([(suites.suite_name("consolidated", 'app."a/b"'), {}),
                                        ("consolidated.x", {"schema_name": "Sp1eCial .Char", "table_name": "Tabl e.1"})]):
        path = gx / f"v{i}" / "run" / "20261122T010000" / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"success": True, "suite_name": suite, "results": [], "statistics": {},
                                    "meta": {"validation_time": "2026-11-22T01:00:00+00:00", "batch_spec": batch}}))
    tables = {g["table"] for g in _model(state)["gx"]}
    assert {'app."a/b"', '"Sp1eCial .Char"."Tabl e.1"'} <= tables, tables


# ------------------------------------------------------------------------------------------ CLI


def test_module_cli_prints_the_path(state, capsys):
    assert report.main(["--state", str(state)]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(state / "reports" / "migration-report.html") and Path(out).is_file()


# ------------------------------------------------------------------------------------------ real state


@pytest.mark.stack
def test_builds_from_the_real_local_state(tmp_path, consolidated_uri):
    from tributary import paths

    out = report.build(paths.state_dir(), consolidated_uri, output=tmp_path / "migration-report.html")
    html = out.read_text()
    assert "The control schema was not reachable" not in html
    assert "<h1>Tributary migration report</h1>" in html
    for svg in _svgs(html):
        ET.fromstring(svg)
    refs = _Refs()
    refs.feed(html)
    assert not [r for r in refs.refs if re.match(r"(?i)^https?:|^//", r)]


def test_every_phase_dag_ends_with_the_report_task():
    """report.add_to: each phase DAG's only leaf is `report`, run whatever happened upstream."""
    from airflow.dag_processing.dagbag import DagBag

    from tributary import paths

    bag = DagBag(dag_folder=str(paths.REPO_ROOT / "dags"), include_examples=False)
    assert bag.import_errors == {}
    # tributary_restore is an on-demand tool, not a phase: it has no migration report of its own
    for dag in (d for d in bag.dags.values() if d.dag_id != "tributary_restore"):
        leaves = [t.task_id for t in dag.tasks if not t.downstream_list]
        assert leaves == ["report"], dag.dag_id
        assert dag.get_task("report").trigger_rule == "all_done", dag.dag_id


def test_report_task_fails_when_another_task_of_the_run_failed():
    from tributary.report import _bad_tasks

    states = {"manual__1": {"plan": "success", "outcome": "failed", "table.gx_gate": "failed",
                            "expectations": "upstream_failed", "report": "running"}}
    assert _bad_tasks(states, "report") == ["expectations", "outcome", "table.gx_gate"]
    assert _bad_tasks({"manual__1": {"plan": "success", "expectations": "skipped"}}, "report") == []


def test_tables_to_review_come_first_with_the_guess_the_reasons_and_the_line_that_settles_them(state):
    """Issue 21: the page opens (before the phases) with the flagged tables: best guess, reasons, migration.yaml line."""
    plan_file = state / "plan" / "plan.json"
    plan = json.loads(plan_file.read_text())
    for t in plan["tables"]:
        if t["flagged_for_review"]:
            t.update(model_class="broker", confidence=0.58, settle='- {match: "src_eu.market.ticks", class: broker}',
                     reasons=["confidence 58% is below the review threshold 70%; the model's best guess is broker",
                              "appended to and read"])
    plan_file.write_text(json.dumps(plan))
    model = _model(state)
    assert [(t["table"], t["model_class"]) for t in model["review"]] == [("market.ticks", "broker")]
    html = report.render(model)
    review = html.index('id="review-first"')
    assert review < html.index('id="phases"')
    section = html[review:html.index('id="phases"')]
    assert "market.ticks" in section and "<b>broker</b>" in section and "0.58" in section
    assert "appended to and read" in section
    assert "- {match: &#34;src_eu.market.ticks&#34;, class: broker}" in section or \
        '- {match: "src_eu.market.ticks", class: broker}' in section
    # and in the classification section each class lists its flagged tables first
    for group in model["reasons"]:
        flags = [t["flagged"] for t in group["tables"]]
        assert flags == sorted(flags, reverse=True), group["class"]
    assert any(t["flagged"] for g in model["reasons"] for t in g["tables"])


def test_the_dual_runs_reconciliation_and_the_cutovers_replay_are_on_the_page(state):
    """Phase 5: the last reconciliation pass per table (confirmed mismatches first) and the replay comparison."""
    control = report.ControlSchema(True, reconcile=[
        {"source": "src_eu", "source_table": "public.users", "target_table": "public.users", "mode": "changed",
         "rows_compared": 40, "candidates": 3, "transient": 3, "confirmed": 0, "unsettled": 0, "mismatch_rate": 0.0,
         "mismatches": [], "finished_at": "2026-12-07T16:00:00+00:00"},
        {"source": "src_eu", "source_table": "public.trades", "target_table": "public.trades", "mode": "full",
         "rows_compared": 1000, "candidates": 2, "transient": 0, "confirmed": 2, "unsettled": 1, "mismatch_rate": 0.002,
         "mismatches": [{"key": {"id": "7"}, "kind": "different", "columns": ["<price>"]}],
         "finished_at": "2026-12-07T16:00:00+00:00"}],
        replay=[{"source": "src_eu", "verdict": "slower", "max_slowdown": 2.0, "checked_at": "2026-12-07T16:05:00+00:00",
                 "note": None, "skipped": [{"query": "SELECT nextval($1)", "reason": "calls a function with effects"}],
                 "statements": [{"query": "SELECT * FROM trades WHERE id = $1", "calls": 900, "slower": True,
                                 "parameters": ["$1 sampled from id (9 values)"], "slowdown_p50": 3.1, "slowdown_p95": 4.2,
                                 "source": {"p50_ms": 0.4, "p95_ms": 0.5, "runs": 9},
                                 "consolidated": {"p50_ms": 1.24, "p95_ms": 2.1, "runs": 9}}]}])
    model = _model(state, control)
    rc = model["reconcile"]
    assert (rc["compared"], rc["confirmed"], rc["unsettled"]) == (1040, 2, 1)
    assert [r["source_table"] for r in rc["rows"]] == ["public.trades", "public.users"]  # mismatches first
    html = report.render(model)
    assert 'id="dual-run"' in html and "2</b> mismatches confirmed past the follower" in html
    assert "SELECT * FROM trades WHERE id = $1" in html and "4.2x" in html and "&lt;price&gt;" in html
    assert "1 statements not replayed" in html and "calls a function with effects" in html


def test_without_a_dual_run_the_section_is_left_out(state):
    html = report.render(_model(state, report.ControlSchema(True)))
    assert 'id="dual-run"' not in html
