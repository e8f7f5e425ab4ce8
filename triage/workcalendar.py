"""Working hours on the city's calendar: 处置时限 counted in working hours skip nights, weekends and holidays,
and count 调休 weekend working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml


def _dates(entries: list[object]) -> set[date]:
    days: set[date] = set()
    for entry in entries:
        if isinstance(entry, dict):
            day, last = entry["from"], entry["to"]
            while day <= last:
                days.add(day)
                day += timedelta(days=1)
        else:
            days.add(entry)  # type: ignore[arg-type]
    return days


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo
    periods: tuple[tuple[time, time], ...]
    holidays: frozenset[date]
    workdays: frozenset[date]

    @classmethod
    def from_file(cls, path: Path) -> WorkCalendar:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        periods = tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in raw["working_hours"])
        return cls(ZoneInfo(raw["timezone"]), periods, frozenset(_dates(raw.get("holidays", []))), frozenset(_dates(raw.get("workdays", []))))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time ``days`` working days later (returned in UTC)."""
        local = start.astimezone(self.tz)
        day, counted = local.date(), 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.tz).astimezone(ZoneInfo("UTC"))

    def add_limit(self, start: datetime, hours: float) -> datetime:
        """A 处置时限 of ``hours`` on this calendar: whole multiples of 24 are working days (72 → 3个工作日), as
        centres state them; anything shorter is counted in office hours."""
        if hours >= 24 and hours % 24 == 0:
            return self.add_working_days(start, int(hours // 24))
        return self.add_working_hours(start, hours)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant ``hours`` working hours after ``start`` (returned in UTC)."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(self.tz)
        day = local.date()
        while True:
            if self.is_working_day(day):
                for begin, end in self.periods:
                    lo = datetime.combine(day, begin, self.tz)
                    hi = datetime.combine(day, end, self.tz)
                    lo = max(lo, local)
                    if lo >= hi:
                        continue
                    if lo + remaining <= hi:
                        return (lo + remaining).astimezone(ZoneInfo("UTC"))
                    remaining -= hi - lo
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)
