"""The analysis pipeline: text → understanding (nlu) → order draft (triage), as a chain of named components.

``config/pipeline.yaml`` lists the components in order::

    components:
      - name: normalize_text
      - name: category_keyword
        config: {top_k: 3}

Each name is looked up in ``hotline.registry.components``; its factory gets the ``PipelineContext`` and the
``config`` mapping and returns a callable ``Case -> Case``. Swapping a model means changing one line of that file.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from hotline.case import Case
from hotline.city import CityConfig, cached_city
from hotline.registry import components
from hotline.settings import Settings, get_settings

Component = Callable[[Case], Case]

# Modules whose import registers the shipped components. Listed here, not discovered, so start-up is predictable.
COMPONENT_MODULES: tuple[str, ...] = (
    "nlu.components",
    "triage.components",
)


@dataclass
class PipelineContext:
    """What a component factory may use: settings, the city, and a shared cache for loaded resources."""

    settings: Settings
    city: CityConfig
    cache: dict[str, Any] = field(default_factory=dict)

    def shared(self, key: str, build: Callable[[], Any]) -> Any:
        """Build a resource once per pipeline (a gazetteer, a model) and share it between components."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


class Pipeline:
    """An ordered chain of components; calling it analyses one case."""

    def __init__(self, steps: Iterable[tuple[str, Component]], context: PipelineContext):
        self.steps = list(steps)
        self.context = context

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.steps]

    def __call__(self, case: Case) -> Case:
        if case.received_at is None:
            case.received_at = datetime.now(timezone.utc)
        for name, step in self.steps:
            case = step(case)
            case.trace.append(name)
        return case

    def analyse(self, text: str, **fields: Any) -> Case:
        """Convenience: build a ``Case`` from text and run the whole chain."""
        return self(Case(text=text, **fields))

    def timed(self, case: Case) -> tuple[Case, dict[str, float]]:
        """Run the chain and return per-component wall time in milliseconds (for benchmarks)."""
        timings: dict[str, float] = {}
        for name, step in self.steps:
            start = time.perf_counter()
            case = step(case)
            case.trace.append(name)
            timings[name] = (time.perf_counter() - start) * 1000
        return case, timings


def import_component_modules() -> None:
    """Import the modules that register the shipped components."""
    for module in COMPONENT_MODULES:
        importlib.import_module(module)


def load_pipeline(settings: Settings | None = None, config_path: Path | None = None) -> Pipeline:
    """Assemble the pipeline described by ``config_path`` (default: ``settings.pipeline_config``)."""
    settings = settings or get_settings()
    import_component_modules()
    path = config_path or settings.pipeline_config
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    context = PipelineContext(settings=settings, city=cached_city(settings.city_dir.resolve()))
    steps: list[tuple[str, Component]] = []
    for entry in spec["components"]:
        name = entry["name"]
        factory = components.get(name)
        steps.append((name, factory(context, **(entry.get("config") or {}))))
    return Pipeline(steps, context)
