"""The warehouse timetable: trading days of NYSE, runs only in low-trading windows.

Dates are real 2026 NYSE facts (exchange-calendars): Thanksgiving Thu 26 Nov (closed) and the early
close Fri 27 Nov (13:00); DST starts Sun 8 Mar and ends Sun 1 Nov in America/New_York, so 17:30
local is 22:30 UTC in winter and 21:30 UTC in summer.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pendulum
import pytest

from airflow.timetables.base import DataInterval, TimeRestriction

from tributary import timetable as tt
from tributary.timetable import LowTradingWindowTimetable

REPO = Path(__file__).resolve().parents[1]
UTC = "UTC"


def utc(*args) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=UTC)


@pytest.fixture
def nyse() -> LowTradingWindowTimetable:
    return LowTradingWindowTimetable()  # defaults: XNYS, America/New_York, 17:30 / 08:00


@pytest.fixture
def clock(monkeypatch):
    """Set the timetable's idea of 'now' (catch-up off depends on it)."""

    def set_now(at: pendulum.DateTime) -> None:
        monkeypatch.setattr(tt, "_now", lambda: at)

    return set_now


def next_after(table, session: dt.date, *, catchup=True):
    return table.next_dagrun_info(
        last_automated_data_interval=table.data_interval(session),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=catchup),
    )


def test_next_run_skips_thanksgiving_and_waits_for_the_window_after_the_early_close(nyse):
    info = next_after(nyse, dt.date(2026, 11, 25))  # Wednesday before Thanksgiving
    assert nyse.session_of(info.data_interval.end) == dt.date(2026, 11, 27)  # Thursday 26 is a holiday
    # Thanksgiving folds into Friday's trading day: the intervals stay contiguous.
    assert info.data_interval == DataInterval(utc(2026, 11, 25, 22, 30), utc(2026, 11, 27, 22, 30))
    # The early close (13:00) does not start the run early: the window opens at 17:30 local.
    assert info.run_after == utc(2026, 11, 27, 22, 30)
    assert nyse.is_low_trading(utc(2026, 11, 26, 15, 0))  # the holiday itself is a low-trading window


def test_friday_is_followed_by_monday_and_the_weekend_belongs_to_monday(nyse):
    info = next_after(nyse, dt.date(2026, 10, 23))  # Friday, summer time
    assert nyse.session_of(info.data_interval.end) == dt.date(2026, 10, 26)
    assert info.data_interval == DataInterval(utc(2026, 10, 23, 21, 30), utc(2026, 10, 26, 21, 30))
    assert info.run_after == info.data_interval.end
    saturday_noon = utc(2026, 10, 24, 16, 0)
    assert info.data_interval.start <= saturday_noon < info.data_interval.end
    assert nyse.is_low_trading(saturday_noon)


def test_dst_end_in_autumn_moves_the_run_one_hour_later_in_utc(nyse):
    friday = next_after(nyse, dt.date(2026, 10, 29))
    monday = next_after(nyse, dt.date(2026, 10, 30))  # clocks go back on Sunday 1 November
    assert friday.run_after == utc(2026, 10, 30, 21, 30)  # 17:30 EDT
    assert monday.run_after == utc(2026, 11, 2, 22, 30)  # 17:30 EST
    assert monday.data_interval.start == friday.data_interval.end  # contiguous across the change
    assert monday.data_interval.end - monday.data_interval.start == pendulum.duration(hours=73)


def test_dst_start_in_spring_moves_the_run_one_hour_earlier_in_utc(nyse):
    friday = next_after(nyse, dt.date(2026, 3, 5))
    monday = next_after(nyse, dt.date(2026, 3, 6))  # clocks go forward on Sunday 8 March
    assert friday.run_after == utc(2026, 3, 6, 22, 30)  # 17:30 EST
    assert monday.run_after == utc(2026, 3, 9, 21, 30)  # 17:30 EDT
    assert monday.data_interval.start == friday.data_interval.end
    assert monday.data_interval.end - monday.data_interval.start == pendulum.duration(hours=71)
    # Local wall-clock times stay put: 08:00 before the open is 12:00 UTC after the change.
    assert not nyse.is_low_trading(utc(2026, 3, 9, 12, 0))
    assert nyse.is_low_trading(utc(2026, 3, 9, 11, 59))


def test_low_trading_window_boundaries_on_a_session_day(nyse):
    day = dt.date(2026, 10, 27)  # a Tuesday in EDT: window until 12:00 UTC, from 21:30 UTC
    assert nyse.is_low_trading(utc(2026, 10, 27, 11, 59))
    assert not nyse.is_low_trading(utc(2026, 10, 27, 12, 0))
    assert not nyse.is_low_trading(utc(2026, 10, 27, 21, 29))
    assert nyse.is_low_trading(utc(2026, 10, 27, 21, 30))
    assert nyse.window_open(day) == utc(2026, 10, 27, 21, 30)
    assert nyse.next_window_open(utc(2026, 10, 27, 15, 0)) == utc(2026, 10, 27, 21, 30)


def test_catchup_off_keeps_the_latest_trading_day_but_never_starts_it_during_trading(nyse, clock):
    clock(utc(2026, 12, 3, 18, 0))  # Thursday 13:00 in New York: trading
    info = nyse.next_dagrun_info(
        last_automated_data_interval=nyse.data_interval(dt.date(2026, 11, 20)),  # scheduler was off a while
        restriction=TimeRestriction(earliest=utc(2026, 1, 1), latest=None, catchup=False),
    )
    assert nyse.session_of(info.data_interval.end) == dt.date(2026, 12, 2)  # Wednesday, the latest complete day
    assert info.run_after == utc(2026, 12, 3, 22, 30)  # deferred to Thursday's window

    clock(utc(2026, 12, 5, 15, 0))  # Saturday: a low-trading window, so the missed day runs at once
    info = nyse.next_dagrun_info(
        last_automated_data_interval=nyse.data_interval(dt.date(2026, 12, 1)),
        restriction=TimeRestriction(earliest=utc(2026, 1, 1), latest=None, catchup=False),
    )
    assert nyse.session_of(info.data_interval.end) == dt.date(2026, 12, 4)
    assert info.run_after == info.data_interval.end


def test_backfill_range_yields_one_run_per_session_both_ends_inclusive(nyse):
    restriction = TimeRestriction(earliest=utc(2026, 11, 24), latest=utc(2026, 11, 30), catchup=True)
    infos, last = [], None
    while (info := nyse.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)) is not None:
        infos.append(info)
        last = info.data_interval
    sessions = [nyse.session_of(i.data_interval.end) for i in infos]
    assert sessions == [dt.date(2026, 11, d) for d in (24, 25, 27, 30)]
    for a, b in zip(infos, infos[1:]):
        assert a.data_interval.end == b.data_interval.start


def test_manual_run_loads_the_latest_complete_trading_day(nyse):
    assert nyse.infer_manual_data_interval(run_after=utc(2026, 10, 27, 15, 0)) == nyse.data_interval(dt.date(2026, 10, 26))
    assert nyse.infer_manual_data_interval(run_after=utc(2026, 10, 27, 21, 30)) == nyse.data_interval(dt.date(2026, 10, 27))


def test_config_window_and_exchange_are_used():
    london = LowTradingWindowTimetable.from_config(
        {"exchange": "XLON", "timezone": "Europe/London", "window": {"after_close": "18:00", "before_open": "07:00"}}
    )
    london.validate()
    # 25 Dec and 26 Dec 2026 (Boxing Day, observed Mon 28 Dec) close the LSE.
    info = next_after(london, dt.date(2026, 12, 24))
    assert london.session_of(info.data_interval.end) == dt.date(2026, 12, 29)
    assert info.run_after == utc(2026, 12, 29, 18, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"exchange": "NOPE"}, "exchange 'NOPE'"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus'"),
        ({"after_close": "25:00"}, "after_close '25:00'"),
        ({"after_close": "07:00", "before_open": "08:00"}, "must be earlier"),
    ],
)
def test_invalid_settings_are_rejected_by_name(kwargs, message):
    from airflow.exceptions import AirflowTimetableInvalid

    with pytest.raises(AirflowTimetableInvalid, match=message):
        LowTradingWindowTimetable(**kwargs).validate()


def test_serialization_round_trip_through_the_registered_plugin(monkeypatch):
    """Airflow 3 stores DAGs serialized: a custom timetable must be a registered plugin to survive."""
    from airflow import plugins_manager
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable

    plugins_folder = os.environ.get("AIRFLOW__CORE__PLUGINS_FOLDER")
    assert plugins_folder and Path(plugins_folder).resolve() == REPO / "dags" / "tributary" / "plugins", (
        "tests run with the plugins folder scripts/airflow_env.sh sets"
    )
    assert "tributary.timetable.LowTradingWindowTimetable" in plugins_manager.get_timetables_plugins()

    original = LowTradingWindowTimetable("XNYS", "America/New_York", "18:15", "07:45")
    encoded = encode_timetable(original)
    assert encoded["__type"] == "tributary.timetable.LowTradingWindowTimetable"
    decoded = decode_timetable(encoded)
    assert decoded == original and decoded is not original
    assert decoded.data_interval(dt.date(2026, 10, 27)) == original.data_interval(dt.date(2026, 10, 27))
    assert decoded.window_open(dt.date(2026, 10, 27)) == utc(2026, 10, 27, 22, 15)
