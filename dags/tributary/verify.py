"""Verification: the source's and the target's own SQL row count and checksum must agree.

Both numbers come from XCom: the copy step's result (computed by the source database over the
SELECT that feeds the copy) and the target checksum step's result (computed by the target
database over what landed). Nothing here recomputes anything.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException


def _pick(result: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if result.get(k) is not None:
            return result[k]
    return None


def compare(job: dict[str, Any], copied: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """Return the verified outcome row, or raise AirflowFailException naming the table."""
    name = f"{job['source']}.{job['table']}"
    src_rows = _pick(copied, "source_rows", "rows")
    src_sum = _pick(copied, "source_checksum", "checksum")
    tgt_rows = _pick(target, "rows")
    tgt_sum = _pick(target, "checksum")
    row = {
        "table": job["table"],
        "source": job["source"],
        "target_table": job.get("target_table", job["table"]),
        "rows": src_rows,
        "target_rows": tgt_rows,
        "source_checksum": src_sum,
        "target_checksum": tgt_sum,
        "verified": False,
    }
    if src_rows is None or src_sum is None or tgt_rows is None or tgt_sum is None:
        raise AirflowFailException(f"{name}: cannot verify, a result lacks rows/checksum (copy={copied!r}, target={target!r})")
    problems = []
    if int(src_rows) != int(tgt_rows):
        problems.append(f"rows {src_rows} (source) != {tgt_rows} (target)")
    if str(src_sum) != str(tgt_sum):
        problems.append(f"checksum {src_sum} (source) != {tgt_sum} (target)")
    if problems:
        raise AirflowFailException(f"{name} -> {row['target_table']}: NOT verified: " + "; ".join(problems))
    row["verified"] = True
    return row
