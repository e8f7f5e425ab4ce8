"""Pipeline component ``location_gazetteer``: find, normalise and place the location in a case.

Registered in ``hotline.registry.components``; ``config/pipeline.yaml`` lists it as ``- name: location_gazetteer``.
Config keys (all optional): ``gazetteer`` (path; default the city's ``files.gazetteer`` or
``<city_dir>/gazetteer.yaml``),
``grids`` (path; default the city's ``files.grids`` or ``<city_dir>/grids.geojson`` when present),
``review_below`` (confidence under which the case goes to an agent, default 0.6), ``parser`` (use the trained address
parser for unknown names when its model is installed, default true), ``max_candidates`` (default 5),
``place_optional_kinds`` (category kinds for which a missing place is normal, default ``["服务"]``: a 社保 or 教育
question has no place to send anyone to, so "no place found" must not send it to review; a place that IS mentioned
is still filled in).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline.case import Case
from hotline.registry import components
from nlu.location.resolver import NO_PLACE_REASON
from nlu.location.service import build_resolver

Component = Callable[[Case], Case]


def _city_file(context: Any, name: str) -> Path | None:
    """The city's configured data file, else ``<city_dir>/<default name>`` when it exists."""
    configured = None
    city = getattr(context, "city", None)
    if city is not None:
        configured = city.file(name)
    if configured is not None:
        return Path(configured)
    default = Path(context.settings.city_dir) / {"gazetteer": "gazetteer.yaml", "grids": "grids.geojson"}[name]
    return default if default.exists() else None


@components.register("location_gazetteer")
def make_location_gazetteer(context: Any, gazetteer: str | None = None, grids: str | None = None,
                            review_below: float = 0.6, parser: bool = True, max_candidates: int = 5,
                            place_optional_kinds: tuple[str, ...] | list[str] = ("服务",)) -> Component:
    """Factory: a component that fills ``case.location`` / ``case.location_candidates`` and review reasons."""
    gazetteer_path = Path(gazetteer) if gazetteer else _city_file(context, "gazetteer")
    if gazetteer_path is None:
        raise FileNotFoundError("location_gazetteer: the city has no gazetteer file (city.yaml files.gazetteer)")
    grids_path = Path(grids) if grids else _city_file(context, "grids")
    models_dir = Path(context.settings.models_dir) if parser else None
    key = f"location.resolver:{gazetteer_path}:{grids_path}:{models_dir}:{review_below}"
    resolver = context.shared(key, lambda: build_resolver(gazetteer_path, grids_path, models_dir, review_below))

    def locate(case: Case) -> Case:
        resolution = resolver.resolve(case.analysis_text, hint=case.location_hint)
        case.location = resolution.place
        case.location_candidates = resolution.candidates[:max_candidates]
        optional = place_is_optional(case, place_optional_kinds)
        for reason in resolution.review:
            if optional and reason == NO_PLACE_REASON:
                case.notes["location_optional"] = f"{case.category.kind}类诉求，无需事发地点"
                continue
            case.needs_review(reason)
        case.notes["location_mentions"] = [
            {"raw": m.raw, "source": m.source, "kind": m.kind or _kinds(m)} for m in resolution.mentions
        ]
        return case

    return locate


def place_is_optional(case: Case, kinds: tuple[str, ...] | list[str]) -> bool:
    """True when the case's category is of a kind (服务 by default) that needs no place of the event."""
    return case.category is not None and case.category.kind in kinds


def _kinds(mention: Any) -> str:
    kinds = {getattr(t, "kind", None) or getattr(t, "level", "") for t, _ in mention.targets}
    return "/".join(sorted(k for k in kinds if k))
