"""The document that flows through the analysis pipeline: a citizen's words and everything understood from them.

Each pipeline component reads a ``Case`` and fills in one part of it (category, location, urgency, department,
deadline). The triage side turns a finished ``Case`` into a stored work order. Plain dataclasses on purpose: the
pipeline is hot code, and these are not API schemas (those live in ``connectors.api.schemas``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

Urgency = Literal["normal", "urgent", "emergency"]
URGENCY_ORDER: dict[str, int] = {"normal": 0, "urgent": 1, "emergency": 2}


@dataclass
class CategoryGuess:
    """One candidate category (a taxonomy leaf) with the evidence behind it."""

    code: str
    """Taxonomy leaf code, e.g. ``BJ0101`` (部件 上水井盖), ``SJ0101`` (事件), ``FW…`` (service matter)."""
    name: str
    path: list[str]
    """From the domain (一级分类) down to the leaf, e.g. ``["城乡建设", "市政设施", "井盖"]``."""
    domain: str
    """One of the 15 一级分类 of the unified 12345 taxonomy."""
    confidence: float
    reasons: list[str] = field(default_factory=list)
    """Cue words or features that drove the choice, shown to the agent."""
    kind: str = "服务"
    """部件 (component), 事件 (event) or 服务 (service matter)."""
    department_type: str | None = None
    urgency: Urgency = "normal"
    deadline_hours: float | None = None
    deadline_basis: str = "calendar"
    """``calendar`` hours, or ``working`` hours on the city's working-day calendar."""


@dataclass
class Place:
    """A place the citizen mentioned, normalised against the gazetteer."""

    raw: str
    normalized: str
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    """乡镇/街道."""
    community: str | None = None
    road: str | None = None
    poi: str | None = None
    adcode: str | None = None
    """Administrative code down to 乡镇/街道 (9 digits) where known, else the district's (6)."""
    grid: str | None = None
    """万米单元网格 id."""
    lon: float | None = None
    lat: float | None = None
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    in_jurisdiction: bool = True


@dataclass
class DepartmentChoice:
    """Where the order goes, and why."""

    id: str
    name: str
    confidence: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Case:
    """A citizen's report on its way to becoming a work order."""

    text: str
    """The citizen's own words, exactly as received (never altered)."""
    channel: str = "web"
    title: str = ""
    location_hint: str | None = None
    """A location the client supplied separately (a form field, a map pick)."""
    category_hint: str | None = None
    """A taxonomy code the client chose (an Open311 ``service_code``, a form's category list)."""
    received_at: datetime | None = None

    clean_text: str = ""
    """``text`` normalised for analysis (width, whitespace, control characters)."""
    category: CategoryGuess | None = None
    category_candidates: list[CategoryGuess] = field(default_factory=list)
    location: Place | None = None
    location_candidates: list[Place] = field(default_factory=list)
    urgency: Urgency = "normal"
    urgency_reasons: list[str] = field(default_factory=list)
    emergency_handover: str | None = None
    """110 / 119 / 120 / 12319 when the case must also go to an emergency line at once."""
    department: DepartmentChoice | None = None
    deadline: datetime | None = None
    review_reasons: list[str] = field(default_factory=list)
    """Why an agent must look at this case before dispatch (empty → may be dispatched automatically)."""
    notes: dict[str, Any] = field(default_factory=dict)
    """Free-form component output that has no field yet (kept in the order's analysis snapshot)."""
    trace: list[str] = field(default_factory=list)
    """Names of the components that ran, in order."""

    @property
    def analysis_text(self) -> str:
        """The text components analyse: title and body, cleaned."""
        return self.clean_text or self.text

    def raise_urgency(self, level: Urgency, reason: str) -> None:
        """Raise (never lower) the urgency, recording why."""
        if URGENCY_ORDER[level] > URGENCY_ORDER[self.urgency]:
            self.urgency = level
        if reason not in self.urgency_reasons:
            self.urgency_reasons.append(reason)

    def needs_review(self, reason: str) -> None:
        """Mark the case for an agent's review."""
        if reason not in self.review_reasons:
            self.review_reasons.append(reason)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (datetimes as ISO 8601)."""
        data = asdict(self)
        for key in ("received_at", "deadline"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data
