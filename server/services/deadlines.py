"""Due dates on Chinese working days: public holidays skipped, adjusted working days (调休) honoured."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CalendarDay


def _tz():
    return ZoneInfo(current_app.config["TIMEZONE"])


def _office_days(start, end):
    """Office-kept exceptions between two dates: {date: is_workday}."""
    rows = db.session.execute(
        select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end)).scalars()
    return {r.day: r.is_workday for r in rows}


# Holidays on fixed solar dates (《全国年节及纪念日放假办法》): 元旦, 劳动节, 国庆节. The lunar ones
# (春节, 清明, 端午, 中秋) and the adjusted working days come from the library or the office's list.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def is_workday(day, office_days=None):
    """The office's list first, then the holiday library, then weekends and fixed-date holidays."""
    if office_days is not None and day in office_days:
        return office_days[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # The library covers only years whose schedule the State Council has published.
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def add_workdays(start_day, n, office_days=None):
    """The n-th working day after start_day (start_day itself does not count)."""
    day = start_day
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day, office_days):
            counted += 1
    return day


def due_at(start, value, kind):
    """When a case started at `start` (aware) falls due: clock hours, or N working days at day's end."""
    if kind == "hours":
        return start + timedelta(hours=value)
    if kind != "workdays":
        raise ValueError(f"unknown deadline kind {kind}")
    tz = _tz()
    local = start.astimezone(tz)
    # A generous window: N working days never span more than N*3 + 30 calendar days.
    office = _office_days(local.date(), local.date() + timedelta(days=value * 3 + 30))
    day = add_workdays(local.date(), value, office)
    end = time.fromisoformat(current_app.config["WORKDAY_END"])
    return datetime.combine(day, end, tzinfo=tz).astimezone(start.tzinfo)


def describe(value, kind):
    """'3个工作日' or '24小时', for reasons and the UI."""
    return f"{value}个工作日" if kind == "workdays" else f"{value}小时"


def set_office_day(day: date, is_work: bool, note=None):
    """Add or change an office-kept holiday or working day."""
    row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
    row.is_workday = is_work
    row.note = note
    db.session.add(row)
    return row
