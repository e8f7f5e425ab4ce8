"""Measures the centres are judged by (考核指标): 立案率, 派遣率, 结案率, 按期结案率, 返工率, 满意度, handling time.

Cohort definition: the orders **received** (``created_at``) in ``[start, end)``, as they stand now. Merged reports
(``status = merged``) are not cases and are left out of every figure. Definitions (also in ``docs/triage.md``):

- intakes: non-merged orders;
- registered (立案): status in registered/dispatched/handling/handled/verified/returned, or ever delivered
  (``delivered_at`` set — covers closed cases and cases taken back after 退单);
- dispatched (派遣): delivered to the department (``delivered_at`` set);
- closed (结案): dispatched and status closed or followed_up;
- on time (按期): closed with no deadline or ``closed_at <= deadline``;
- reworked (返工): closed with ``rework_count > 0``;
- answered follow-ups (回访有效): ``followed_up_at`` set and ``satisfied`` not null; satisfied: ``satisfied`` true;
- handling hours: ``closed_at - created_at`` of closed cases, mean and median.

Rates: 立案率 = registered / intakes; 派遣率 = dispatched / registered; 结案率 = closed / dispatched;
按期结案率 = on time / closed; 返工率 = reworked / closed; 满意度 = satisfied / answered. A rate with a zero
denominator is ``None`` (shown as "—"). Everything is SQL (conditional aggregates, and window functions for the
median), the same statements on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from triage.lifecycle import Status
from triage.models import WorkOrder

GroupBy = Literal["department", "street", "category", "domain", "period", "none"]
Period = Literal["day", "week", "month"]

_REGISTERED_NOW = (Status.REGISTERED, Status.DISPATCHED, Status.HANDLING, Status.HANDLED, Status.VERIFIED, Status.RETURNED)
_CLOSED = (Status.CLOSED, Status.FOLLOWED_UP)

MEASURE_LABELS: dict[str, str] = {
    "intakes": "受理量",
    "registered": "立案数",
    "dispatched": "派遣数",
    "closed": "结案数",
    "registration_rate": "立案率",
    "dispatch_rate": "派遣率",
    "closure_rate": "结案率",
    "on_time_rate": "按期结案率",
    "rework_rate": "返工率",
    "satisfaction_rate": "满意度",
    "avg_handling_hours": "平均处置时长(小时)",
    "median_handling_hours": "处置时长中位数(小时)",
    "reporters": "反映人次",
}


@dataclass
class KpiRow:
    """The measures of one group (one department, street, category, domain or period; or everything)."""

    key: str | None
    label: str | None
    intakes: int
    reporters: int
    registered: int
    dispatched: int
    closed: int
    on_time: int
    reworked: int
    answered: int
    satisfied: int
    registration_rate: float | None
    dispatch_rate: float | None
    closure_rate: float | None
    on_time_rate: float | None
    rework_rate: float | None
    satisfaction_rate: float | None
    avg_handling_hours: float | None
    median_handling_hours: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the conditions, as SQL -------------------------------------------------------------------------------------------


def _values(statuses: tuple[Status, ...]) -> list[str]:
    return [s.value for s in statuses]


def is_dispatched() -> ColumnElement[bool]:
    return WorkOrder.delivered_at.is_not(None)


def is_registered() -> ColumnElement[bool]:
    return or_(WorkOrder.status.in_(_values(_REGISTERED_NOW)), is_dispatched())


def is_closed() -> ColumnElement[bool]:
    return and_(WorkOrder.status.in_(_values(_CLOSED)), is_dispatched())


def is_on_time() -> ColumnElement[bool]:
    return and_(is_closed(), or_(WorkOrder.deadline.is_(None), WorkOrder.closed_at <= WorkOrder.deadline))


def is_reworked() -> ColumnElement[bool]:
    return and_(is_closed(), WorkOrder.rework_count > 0)


def is_answered() -> ColumnElement[bool]:
    return and_(WorkOrder.followed_up_at.is_not(None), WorkOrder.satisfied.is_not(None))


def is_satisfied() -> ColumnElement[bool]:
    return and_(is_answered(), WorkOrder.satisfied.is_(True))


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def handling_hours(dialect: str) -> ColumnElement[float]:
    """``closed_at - created_at`` in hours, per dialect."""
    if dialect == "postgresql":
        return func.extract("epoch", WorkOrder.closed_at - WorkOrder.created_at) / 3600.0
    return (func.julianday(WorkOrder.closed_at) - func.julianday(WorkOrder.created_at)) * 24.0


# -- grouping ---------------------------------------------------------------------------------------------------------


def period_start(dialect: str, period: Period, tz: ZoneInfo) -> ColumnElement[str]:
    """The local start date (``YYYY-MM-DD``) of the day, ISO week (Monday) or month an order was received in.

    PostgreSQL converts with ``AT TIME ZONE`` (exact for every zone). SQLite shifts by the zone's current UTC offset,
    exact for zones without daylight saving time (all of China).
    """
    if dialect == "postgresql":
        local = func.timezone(tz.key, WorkOrder.created_at)
        return func.to_char(func.date_trunc(period, local), "YYYY-MM-DD")
    offset = datetime.now(tz).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    local = func.datetime(WorkOrder.created_at, f"{minutes:+d} minutes")
    if period == "day":
        return func.date(local)
    if period == "week":
        return func.date(local, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", local)


def _group_columns(group_by: GroupBy, dialect: str, period: Period, tz: ZoneInfo) -> tuple[Any, Any]:
    """(key, label) columns of a grouping; ``(None, None)`` for no grouping (one row for everything)."""
    columns: dict[str, Callable[[], tuple[Any, Any]]] = {
        "department": lambda: (WorkOrder.department_id, func.max(WorkOrder.department_name)),
        "street": lambda: (WorkOrder.street, func.max(WorkOrder.street)),
        "category": lambda: (WorkOrder.category_code, func.max(WorkOrder.category_name)),
        "domain": lambda: (WorkOrder.category_domain, func.max(WorkOrder.category_domain)),
    }
    if group_by == "none":
        return None, None
    if group_by == "period":
        start = period_start(dialect, period, tz)
        return start, func.max(start)
    if group_by not in columns:
        raise ValueError(f"group_by must be one of {sorted([*columns, 'period'])}")
    return columns[group_by]()


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def compute(
    session: Session,
    *,
    group_by: GroupBy = "none",
    period: Period = "day",
    start: datetime | None = None,
    end: datetime | None = None,
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai"),
) -> list[KpiRow]:
    """The measures of the orders received in ``[start, end)``, one row per group (ordered by key)."""
    dialect = session.get_bind().dialect.name
    key, label = _group_columns(group_by, dialect, period, tz)
    grouped = key is not None
    if not grouped:
        key, label = literal_column("'all'"), literal_column("'合计'")
    filters: list[ColumnElement[bool]] = [WorkOrder.status != Status.MERGED.value]
    if start is not None:
        filters.append(WorkOrder.created_at >= start)
    if end is not None:
        filters.append(WorkOrder.created_at < end)
    hours = handling_hours(dialect)
    stmt = (
        select(
            key.label("k"),
            label.label("label"),
            func.count().label("intakes"),
            func.coalesce(func.sum(WorkOrder.reporter_count), 0).label("reporters"),
            _count(is_registered()).label("registered"),
            _count(is_dispatched()).label("dispatched"),
            _count(is_closed()).label("closed"),
            _count(is_on_time()).label("on_time"),
            _count(is_reworked()).label("reworked"),
            _count(is_answered()).label("answered"),
            _count(is_satisfied()).label("satisfied"),
            func.avg(case((is_closed(), hours), else_=None)).label("avg_hours"),
        )
        .where(*filters)
    )
    if grouped:
        stmt = stmt.group_by(key).order_by(key)
    medians = _median_hours(session, key if grouped else None, hours, filters)
    rows = []
    for r in session.execute(stmt):
        rows.append(
            KpiRow(
                key=None if r.k is None else str(r.k),
                label=None if r.label is None else str(r.label),
                intakes=int(r.intakes),
                reporters=int(r.reporters),
                registered=int(r.registered),
                dispatched=int(r.dispatched),
                closed=int(r.closed),
                on_time=int(r.on_time),
                reworked=int(r.reworked),
                answered=int(r.answered),
                satisfied=int(r.satisfied),
                registration_rate=_rate(r.registered, r.intakes),
                dispatch_rate=_rate(r.dispatched, r.registered),
                closure_rate=_rate(r.closed, r.dispatched),
                on_time_rate=_rate(r.on_time, r.closed),
                rework_rate=_rate(r.reworked, r.closed),
                satisfaction_rate=_rate(r.satisfied, r.answered),
                avg_handling_hours=None if r.avg_hours is None else round(float(r.avg_hours), 2),
                median_handling_hours=medians.get(str(r.k) if grouped and r.k is not None else None),
            )
        )
    return rows


def _median_hours(session: Session, key: Any, hours: Any, filters: list[ColumnElement[bool]]) -> dict[str | None, float]:
    """Median handling hours per group (``key`` None: overall, under the key None): the middle row(s) by
    ``ROW_NUMBER`` within each group — window functions, SQLite ≥ 3.25 and PostgreSQL alike."""
    partition = {"partition_by": key} if key is not None else {}
    ranked = (
        select(
            (key if key is not None else literal_column("NULL")).label("k"),
            cast(hours, Float).label("h"),
            func.row_number().over(order_by=hours, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .where(*filters, is_closed())
        .subquery()
    )
    stmt = (
        select(ranked.c.k, func.avg(ranked.c.h))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.k)
    )
    return {None if k is None else str(k): round(float(h), 2) for k, h in session.execute(stmt)}
