"""Urgency from cue words: 燃气, 起火, 受伤 … make a case urgent or an emergency whatever its category says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from hotline.case import Case

DEFAULT_CUES = Path(__file__).resolve().parent / "data" / "urgency_cues.yaml"
_NEGATION_WINDOW = 2  # characters between a negation and its cue ("没有起火", "没有人受伤")


@dataclass(frozen=True)
class CueGroup:
    level: str
    cues: tuple[str, ...]
    reason: str
    handover: str | None = None


class UrgencyCues:
    """Scans text for cue groups; a cue preceded closely by a negation (没有起火) does not count."""

    def __init__(self, groups: list[CueGroup], negations: list[str]):
        self.groups = groups
        self.negations = tuple(negations)

    @classmethod
    def from_file(cls, path: Path = DEFAULT_CUES) -> UrgencyCues:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups = [
            CueGroup(level, tuple(g["cues"]), g["reason"], g.get("handover"))
            for level in ("emergency", "urgent")
            for g in raw.get(level, [])
        ]
        return cls(groups, raw.get("negations", []))

    def _negated(self, text: str, start: int) -> bool:
        window = text[max(0, start - len(max(self.negations, key=len, default="")) - _NEGATION_WINDOW) : start]
        return any(neg in window for neg in self.negations)

    def _has_unnegated(self, text: str, cue: str) -> bool:
        start = text.find(cue)
        while start != -1:
            if not self._negated(text, start):
                return True
            start = text.find(cue, start + 1)
        return False

    def matches(self, text: str) -> list[tuple[CueGroup, str]]:
        """For each cue group found in ``text`` (and not negated): the group and the first cue that hit."""
        found = []
        for group in self.groups:
            cue = next((c for c in group.cues if self._has_unnegated(text, c)), None)
            if cue is not None:
                found.append((group, cue))
        return found

    def apply(self, case: Case) -> Case:
        """Raise the case's urgency for its category's default and for every cue found."""
        if case.category is not None and case.category.urgency != "normal":
            case.raise_urgency(case.category.urgency, f"类别“{case.category.name}”默认{_LABEL[case.category.urgency]}")
        for group, cue in self.matches(case.analysis_text):
            case.raise_urgency(group.level, f"{group.reason}（“{cue}”）")  # type: ignore[arg-type]
            if group.level == "emergency" and group.handover and case.emergency_handover is None:
                case.emergency_handover = group.handover
        return case


_LABEL = {"normal": "一般", "urgent": "紧急", "emergency": "特急"}
