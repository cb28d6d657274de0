"""Deadlines on Chinese working days: the 2026 National Day holiday and its 调休 Saturday, clock hours,
the weekend fallback for 2027 (not yet in chinese_calendar), office-kept days overriding both, and the
WORKDAY_END local due time.

The 2026 facts asserted here are what chinesecalendar says (checked in test_library_2026_national_day):
Oct 1–7 are holidays, Oct 8 (Thu) is a working day, Sun Sep 20 and Sat Oct 10 are adjusted working days.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import CalendarDay
from server.services import deadlines

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_library_2026_national_day():
    for day in range(1, 8):
        assert chinese_calendar.is_holiday(date(2026, 10, day)), f"2026-10-{day}"
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6 and chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_holiday(date(2026, 10, 11))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


@pytest.mark.parametrize("day, expected", [
    (date(2026, 10, 1), False), (date(2026, 10, 5), False), (date(2026, 10, 7), False),
    (date(2026, 10, 8), True), (date(2026, 10, 10), True), (date(2026, 10, 11), False),
    (date(2026, 9, 20), True), (date(2026, 9, 26), False),
    (date(2027, 1, 1), False), (date(2027, 1, 2), False), (date(2027, 1, 3), False), (date(2027, 1, 4), True),
])
def test_is_workday(day, expected):
    assert deadlines.is_workday(day) is expected


@pytest.mark.parametrize("n, expected", [(1, date(2026, 10, 8)), (2, date(2026, 10, 9)),
                                         (3, date(2026, 10, 10)), (4, date(2026, 10, 12)),
                                         (5, date(2026, 10, 13))])
def test_add_workdays_across_national_day(n, expected):
    assert deadlines.add_workdays(date(2026, 9, 30), n) == expected


def test_add_workdays_over_sunday_adjusted_day():
    # Fri Sep 18 + 1 → Sun Sep 20 (调休), not Mon Sep 21.
    assert deadlines.add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_due_across_national_day(app_ctx):
    assert deadlines.due_at(_local(2026, 9, 30), 1, "workdays") == _local(2026, 10, 8, 18)
    assert deadlines.due_at(_local(2026, 9, 30), 4, "workdays") == _local(2026, 10, 12, 18)


def test_due_on_adjusted_saturday(app_ctx):
    due = deadlines.due_at(_local(2026, 9, 30, 15, 45), 3, "workdays")
    assert due == _local(2026, 10, 10, 18)
    assert due.astimezone(SHANGHAI).weekday() == 5
    # From Friday Oct 9 one working day later is that Saturday too.
    assert deadlines.due_at(_local(2026, 10, 9), 1, "workdays") == _local(2026, 10, 10, 18)


def test_due_started_during_holiday(app_ctx):
    assert deadlines.due_at(_local(2026, 10, 3), 1, "workdays") == _local(2026, 10, 8, 18)


def test_due_uses_local_date_and_start_timezone(app_ctx):
    start = datetime(2026, 10, 8, 17, 0, tzinfo=timezone.utc)  # already Oct 9 01:00 in Liuzhou
    due = deadlines.due_at(start, 1, "workdays")
    assert due == _local(2026, 10, 10, 18)
    assert due.tzinfo == timezone.utc and (due.hour, due.minute) == (10, 0)


def test_due_time_follows_workday_end(app_ctx):
    app_ctx.config["WORKDAY_END"] = "17:30"
    due = deadlines.due_at(_local(2026, 9, 30), 2, "workdays")
    assert due == _local(2026, 10, 9, 17, 30)
    assert due.astimezone(SHANGHAI).time().isoformat() == "17:30:00"


@pytest.mark.parametrize("hours", [4, 24, 72])
def test_hours_deadline_ignores_holidays(hours):
    start = _local(2026, 9, 30, 20)
    assert deadlines.due_at(start, hours, "hours") == start + timedelta(hours=hours)


def test_hours_deadline_exact():
    assert deadlines.due_at(_local(2026, 9, 30, 20), 24, "hours") == _local(2026, 10, 1, 20)


@pytest.mark.parametrize("day, expected", [
    (date(2027, 5, 1), False), (date(2027, 5, 3), True), (date(2027, 10, 1), False),
    (date(2027, 10, 3), False), (date(2027, 10, 4), True), (date(2027, 10, 9), False),
])
def test_fallback_knows_fixed_date_holidays_and_weekends(day, expected):
    assert deadlines.is_workday(day) is expected


def test_december_runs_into_2027_with_weekend_fallback(app_ctx):
    # Dec 31 (library: workday), Fri Jan 1 2027 (fallback: 元旦), Sat/Sun skipped, Mon Jan 4, Tue Jan 5.
    assert deadlines.due_at(_local(2026, 12, 30), 3, "workdays") == _local(2027, 1, 5, 18)
    assert deadlines.due_at(_local(2026, 12, 30), 5, "workdays") == _local(2027, 1, 7, 18)
    assert deadlines.due_at(_local(2027, 3, 5), 1, "workdays") == _local(2027, 3, 8, 18)


def test_office_holiday_overrides_fallback(app_ctx):
    deadlines.set_office_day(date(2027, 1, 4), False, "元旦调整")
    db.session.commit()
    assert deadlines.due_at(_local(2026, 12, 30), 3, "workdays") == _local(2027, 1, 6, 18)
    deadlines.set_office_day(date(2027, 1, 1), True, "调休上班")
    db.session.commit()
    assert deadlines.due_at(_local(2026, 12, 30), 3, "workdays") == _local(2027, 1, 5, 18)


def test_office_workday_overrides_fallback_weekend(app_ctx):
    deadlines.set_office_day(date(2027, 1, 3), True, "调休上班")
    db.session.commit()
    assert deadlines.due_at(_local(2026, 12, 30), 3, "workdays") == _local(2027, 1, 4, 18)


def test_office_days_override_library(app_ctx):
    deadlines.set_office_day(date(2026, 10, 10), False)
    db.session.commit()
    assert deadlines.due_at(_local(2026, 9, 30), 3, "workdays") == _local(2026, 10, 12, 18)
    deadlines.set_office_day(date(2026, 10, 5), True)
    db.session.commit()
    assert deadlines.due_at(_local(2026, 9, 30), 1, "workdays") == _local(2026, 10, 5, 18)


def test_office_day_before_start_has_no_effect(app_ctx):
    deadlines.set_office_day(date(2026, 9, 29), False)  # before the start: no effect
    db.session.commit()
    assert deadlines.due_at(_local(2026, 9, 30), 1, "workdays") == _local(2026, 10, 8, 18)


def test_set_office_day_updates_in_place(app_ctx):
    deadlines.set_office_day(date(2027, 1, 4), False, "first")
    db.session.commit()
    deadlines.set_office_day(date(2027, 1, 4), True, "second")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 1
    row = db.session.get(CalendarDay, date(2027, 1, 4))
    assert row.is_workday is True and row.note == "second"
    assert deadlines.due_at(_local(2026, 12, 30), 3, "workdays") == _local(2027, 1, 5, 18)


def test_unknown_kind_raises():
    with pytest.raises(ValueError):
        deadlines.due_at(_local(2026, 6, 1), 3, "weeks")


@pytest.mark.parametrize("value, kind, text", [(3, "workdays", "3个工作日"), (24, "hours", "24小时")])
def test_describe(value, kind, text):
    assert deadlines.describe(value, kind) == text
