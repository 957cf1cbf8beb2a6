"""Airflow plugin: registers Tributary's custom timetable so DAGs using it can be serialized.

Airflow loads this file from ``[core] plugins_folder`` (= dags/tributary/plugins, set by
scripts/airflow_env.sh, the Airflow image and the Helm chart). The scheduler and API server only put
the plugins folder on ``sys.path``, not the DAGs folder, so the folder holding the ``tributary``
package is added here: the timetable keeps one import path (``tributary.timetable``) everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

_DAGS_FOLDER = str(Path(__file__).resolve().parents[2])
if _DAGS_FOLDER not in sys.path:
    sys.path.append(_DAGS_FOLDER)

from airflow.plugins_manager import AirflowPlugin  # noqa: E402

from tributary.timetable import LowTradingWindowTimetable  # noqa: E402


class TributaryTimetablesPlugin(AirflowPlugin):
    name = "tributary_timetables"
    timetables = [LowTradingWindowTimetable]
