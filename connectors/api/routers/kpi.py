"""Measures (考核指标) over the orders received in a period: ``GET /v1/kpi`` (mounted for agents and admins)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel

from connectors.api.deps import Services
from connectors.api.errors import ApiError
from triage import kpi

router = APIRouter(prefix="/v1", tags=["kpi"])


class KpiReport(BaseModel):
    group_by: str
    period: str | None
    start: datetime | None
    end: datetime | None
    timezone: str
    labels: dict[str, str]
    rows: list[dict[str, Any]]


def parse_bound(value: str | None, tz: ZoneInfo, name: str) -> datetime | None:
    """``YYYY-MM-DD`` (local midnight in the city's zone) or an ISO 8601 datetime (local if it has no offset)."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=tz)
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(422, "bad_date", f"{name} 日期格式不正确：{value}", f"{name}: not an ISO 8601 date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


@router.get("/kpi", response_model=KpiReport, summary="立案率、派遣率、结案率、按期结案率、返工率、满意度、处置时长")
def get_kpi(
    svc: Services,
    group_by: Literal["department", "street", "category", "domain", "period", "none"] = "none",
    period: Literal["day", "week", "month"] = "day",
    from_: Annotated[str | None, Query(alias="from", description="first day (YYYY-MM-DD, city time) or ISO datetime")] = None,
    to: Annotated[str | None, Query(description="end, exclusive (YYYY-MM-DD, city time) or ISO datetime")] = None,
) -> KpiReport:
    tz = ZoneInfo(svc.city.timezone)
    start, end = parse_bound(from_, tz, "from"), parse_bound(to, tz, "to")
    if start and end and end <= start:
        raise ApiError(422, "bad_range", "结束时间必须晚于开始时间", "`to` must be after `from`")
    with svc.sessions() as session:
        rows = kpi.compute(session, group_by=group_by, period=period, start=start, end=end, tz=tz)
    return KpiReport(
        group_by=group_by,
        period=period if group_by == "period" else None,
        start=start,
        end=end,
        timezone=tz.key,
        labels=kpi.MEASURE_LABELS,
        rows=[r.as_dict() for r in rows],
    )
