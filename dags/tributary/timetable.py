"""The warehouse phase's schedule: one run per trading day of an exchange, only in low-trading windows.

A run's data interval is one **trading day**: from the moment the previous session's low-trading
window opened to the moment this session's window opens (``after_close`` local time, never before
the session's real close). Weekends and holidays have no session, so their data (crypto trades,
vendor feeds) folds into the next trading day: the intervals are contiguous and nothing is missed.
Each run starts when its interval ends, i.e. right after the close it belongs to, and loads that
session's partition. The partition label is the session date (the local date of the interval end).

The low-trading window is [after_close on a session day, before_open on the next session day) plus
the whole of weekends and holidays. Runs only start inside it: when the scheduler comes back during
trading hours with catch-up off, the missed trading day is kept but its run waits for the next window.

Backfills (``airflow backfill create --from-date A --to-date B``) create one run per session whose
date lies in [A, B] (dates taken in UTC as typed; both ends inclusive).

Registered with Airflow by ``dags/tributary/plugins/tributary_timetables.py`` (custom timetables must
be plugins to serialize). Nothing here touches the calendar until a run is being planned.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pendulum

from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

DEFAULTS = {"exchange": "XNYS", "timezone": "America/New_York", "after_close": "17:30", "before_open": "08:00"}
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# How far the exchange calendar reaches; exchange-calendars refuses dates outside its bounds.
_CALENDAR_START = "2000-01-01"
_CALENDAR_YEARS_AHEAD = 2


@functools.lru_cache(maxsize=8)
def _calendar(exchange: str, end_year: int):
    import exchange_calendars as xcals  # pandas-heavy: only when a run is planned, never at parse time

    end = f"{end_year}-12-31"
    try:
        return xcals.get_calendar(exchange, start=_CALENDAR_START, end=end)
    except ValueError:  # some calendars cannot start that early: take their own earliest date
        return xcals.get_calendar(exchange, end=end)


def _hhmm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _utc(value: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(value).in_timezone("UTC")


def _now() -> pendulum.DateTime:  # one seam for the tests' clock
    return pendulum.now("UTC")


class LowTradingWindowTimetable(Timetable):
    """Daily runs aligned to an exchange's sessions, started only after the close (see module doc)."""

    periodic = True
    run_ordering = ("data_interval_end", "logical_date")

    def __init__(
        self,
        exchange: str = DEFAULTS["exchange"],
        timezone: str = DEFAULTS["timezone"],
        after_close: str = DEFAULTS["after_close"],
        before_open: str = DEFAULTS["before_open"],
    ) -> None:
        self.exchange = exchange
        self.timezone = timezone
        self.after_close = after_close
        self.before_open = before_open
        self.description = (
            f"Each {exchange} trading day, after {after_close} {timezone}; "
            f"never between {before_open} and {after_close} on a session day"
        )

    # ---- Airflow's timetable protocol ------------------------------------------------------------

    @classmethod
    def from_config(cls, warehouse: dict[str, Any] | None) -> "LowTradingWindowTimetable":
        """From migration.yaml's ``warehouse`` section (exchange, timezone, window.after_close/before_open)."""
        warehouse = warehouse or {}
        window = warehouse.get("window") or {}
        return cls(
            exchange=warehouse.get("exchange", DEFAULTS["exchange"]),
            timezone=warehouse.get("timezone", DEFAULTS["timezone"]),
            after_close=window.get("after_close", DEFAULTS["after_close"]),
            before_open=window.get("before_open", DEFAULTS["before_open"]),
        )

    def serialize(self) -> dict[str, Any]:
        return {"exchange": self.exchange, "timezone": self.timezone, "after_close": self.after_close,
                "before_open": self.before_open}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> "LowTradingWindowTimetable":
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LowTradingWindowTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.serialize().items())))

    @property
    def summary(self) -> str:
        return f"{self.exchange} after {self.after_close} ({self.timezone})"

    def validate(self) -> None:
        from airflow.exceptions import AirflowTimetableInvalid

        problems = []
        for name in ("after_close", "before_open"):
            if not _HHMM.match(str(getattr(self, name))):
                problems.append(f"{name} {getattr(self, name)!r} is not HH:MM")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone {self.timezone!r} is not an IANA time zone")
        if not problems and _hhmm(self.before_open) >= _hhmm(self.after_close):
            problems.append(f"before_open {self.before_open} must be earlier in the day than after_close {self.after_close}")
        import exchange_calendars as xcals

        if self.exchange not in xcals.get_calendar_names():
            problems.append(f"exchange {self.exchange!r} is not an exchange-calendars calendar (e.g. XNYS, XLON, XETR)")
        if problems:
            raise AirflowTimetableInvalid("; ".join(problems))

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        """A manual run loads the latest trading day that has ended by the time it was triggered."""
        session = self.latest_complete_session(run_after)
        return self.data_interval(session)

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            session = self.next_session(self.session_of(last_automated_data_interval.end))
        elif restriction.earliest is not None:
            session = self.first_session_on_or_after(_utc(restriction.earliest).date())
        else:
            return None  # no start date and nothing run yet: nothing to schedule from
        now = _now()
        if not restriction.catchup:
            # Skip missed trading days, but keep the latest complete one (it is what the user expects loaded).
            session = max(session, self.latest_complete_session(now))
        if restriction.earliest is not None:
            session = max(session, self.first_session_on_or_after(_utc(restriction.earliest).date()))
        if restriction.latest is not None and session > _utc(restriction.latest).date():
            return None
        interval = self.data_interval(session)
        run_after = interval.end
        if not restriction.catchup and run_after < now and not self.is_low_trading(now):
            run_after = self.next_window_open(now)  # never start a late run in the middle of trading
        return DagRunInfo(run_after=run_after, data_interval=interval, partition_date=None, partition_key=None)

    # ---- the calendar arithmetic (public: the DAG, the docs' examples and the tests use it) -----

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def calendar(self):
        return _calendar(self.exchange, dt.date.today().year + _CALENDAR_YEARS_AHEAD)

    def is_session(self, day: dt.date) -> bool:
        return bool(self.calendar.is_session(day.isoformat()))

    def next_session(self, session: dt.date) -> dt.date:
        return self.calendar.next_session(session.isoformat()).date()

    def previous_session(self, session: dt.date) -> dt.date:
        return self.calendar.previous_session(session.isoformat()).date()

    def first_session_on_or_after(self, day: dt.date) -> dt.date:
        return self.calendar.date_to_session(day.isoformat(), direction="next").date()

    def last_session_on_or_before(self, day: dt.date) -> dt.date:
        return self.calendar.date_to_session(day.isoformat(), direction="previous").date()

    def _local(self, day: dt.date, hhmm: str) -> pendulum.DateTime:
        return _utc(dt.datetime.combine(day, _hhmm(hhmm), tzinfo=self.tz))

    def window_open(self, session: dt.date) -> pendulum.DateTime:
        """When the low-trading window after ``session`` opens: after_close local time, never before the close."""
        close = _utc(self.calendar.session_close(session.isoformat()).to_pydatetime())
        return max(self._local(session, self.after_close), close)

    def window_close(self, session: dt.date) -> pendulum.DateTime:
        """When trading resumes on ``session``: before_open local time, never after the open."""
        opened = _utc(self.calendar.session_open(session.isoformat()).to_pydatetime())
        return min(self._local(session, self.before_open), opened)

    def data_interval(self, session: dt.date) -> DataInterval:
        """The trading day ``session``: from the previous session's window opening to its own."""
        return DataInterval(self.window_open(self.previous_session(session)), self.window_open(session))

    def session_of(self, interval_end: dt.datetime) -> dt.date:
        """The trading day whose interval ends at ``interval_end`` (the partition label)."""
        local_day = _utc(interval_end).in_timezone(self.timezone).date()
        return self.last_session_on_or_before(local_day)

    def latest_complete_session(self, at: dt.datetime) -> dt.date:
        """The most recent session whose trading day has ended (its window opened) by ``at``."""
        session = self.last_session_on_or_before(_utc(at).in_timezone(self.timezone).date())
        while self.window_open(session) > _utc(at):
            session = self.previous_session(session)
        return session

    def is_low_trading(self, at: dt.datetime) -> bool:
        """True on weekends and holidays, and between after_close and the next before_open."""
        at = _utc(at)
        day = at.in_timezone(self.timezone).date()
        if not self.is_session(day):
            return True
        return at >= self.window_open(day) or at < self.window_close(day)

    def next_window_open(self, at: dt.datetime) -> pendulum.DateTime:
        """The next moment at or after ``at`` that lies in a low-trading window."""
        if self.is_low_trading(at):
            return _utc(at)
        return self.window_open(self.last_session_on_or_before(_utc(at).in_timezone(self.timezone).date()))


def shortest_window(warehouse: dict[str, Any] | None) -> dt.timedelta:
    """The shortest low-trading window of migration.yaml's ``warehouse`` section: a weekday night, from
    ``after_close`` to the next day's ``before_open`` (clock arithmetic only, cheap at parse time).

    The DAGs' ``execution_timeout``: a worker call that outlasts one whole window would run into trading
    hours, so it is stopped (its ledger makes the next try resume) rather than left to load a busy source."""
    window = (warehouse or {}).get("window") or {}
    close = _hhmm(window.get("after_close", DEFAULTS["after_close"]))
    opens = _hhmm(window.get("before_open", DEFAULTS["before_open"]))
    minutes = (opens.hour * 60 + opens.minute) - (close.hour * 60 + close.minute)
    return dt.timedelta(minutes=minutes % (24 * 60) or 24 * 60)

