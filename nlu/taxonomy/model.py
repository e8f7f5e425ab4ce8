"""The taxonomy as typed objects: ``Leaf`` (one category a case can get) and ``Taxonomy`` (all of them, by code).

The data lives in ``nlu/taxonomy/data/taxonomy.yaml`` (see its header for the format); a city may add leaves and cue
words with its own extension file (``cities/<city>/taxonomy-extension.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["部件", "事件", "服务"]
DeadlineBasis = Literal["calendar", "working"]

KIND_PREFIX: dict[str, str] = {"部件": "BJ", "事件": "SJ", "服务": "FW"}
"""Leaf code prefix per kind: BJ + GB/T 30428.2 部件 code, SJ + 事件 code, FW + service-matter code."""

DEPARTMENT_TYPES: frozenset[str] = frozenset(
    "城管 市政 水务 燃气 供电 园林 交警 环保 住建 交通运输 人社 教育 卫健 市场监管 文旅 公安 民政 自然资源 "
    "农业农村 应急管理 通信 税务 街道办".split()
)
"""The shared vocabulary of department types (行业/条线) between the taxonomy and the city's departments."""

URGENCIES: frozenset[str] = frozenset({"normal", "urgent", "emergency"})


@dataclass(frozen=True)
class Leaf:
    """One category a case can be classified into."""

    code: str
    """``BJ0101`` / ``SJ0403`` / ``FW010203`` …"""
    kind: Kind
    name: str
    path: tuple[str, ...]
    """From the domain (一级分类) down to the leaf, e.g. ``("城乡建设", "公用设施", "上水井盖")``."""
    domain: str
    department_type: str
    urgency: str = "normal"
    deadline_hours: float | None = None
    deadline_basis: DeadlineBasis = "calendar"
    cues: tuple[str, ...] = ()
    """Cue words and synonyms (incl. spoken, 口语 and 方言 forms); own cues first, then inherited group cues."""
    group_cues: frozenset[str] = field(default_factory=frozenset)
    """The subset of ``cues`` inherited from the leaf's group (weaker evidence than its own cues)."""
    std_code: str | None = None
    """The code in the source standard (GB/T 30428.2 4-digit code for 部件/事件), else None."""
    extension: bool = False
    """True for leaves a city added in its extension file (not in the standard or the shared taxonomy)."""
    verified: bool = True
    """False where the code numbering was written from memory and awaits a check against the standard's text."""

    @property
    def group(self) -> str:
        """The leaf's parent (大类 / 二级) name."""
        return self.path[-2] if len(self.path) >= 2 else self.domain


@dataclass
class Taxonomy:
    """All leaves by code, plus the domain list and version."""

    version: str
    domains: list[str]
    leaves: dict[str, Leaf]
    standard: str = ""
    extension_version: str | None = None

    def get(self, code: str) -> Leaf | None:
        """The leaf with this code, or None."""
        return self.leaves.get(code)

    def __getitem__(self, code: str) -> Leaf:
        return self.leaves[code]

    def __contains__(self, code: object) -> bool:
        return code in self.leaves

    def __iter__(self) -> Iterator[Leaf]:
        return iter(self.leaves.values())

    def __len__(self) -> int:
        return len(self.leaves)

    def by_kind(self, kind: Kind) -> list[Leaf]:
        """The leaves of one kind, in file order."""
        return [leaf for leaf in self.leaves.values() if leaf.kind == kind]

    def in_domain(self, domain: str) -> list[Leaf]:
        """The leaves whose domain is ``domain``."""
        return [leaf for leaf in self.leaves.values() if leaf.domain == domain]

    def default_leaf(self, domain: str) -> Leaf:
        """The catch-all service leaf of a domain (its ``其他/其他`` leaf), used when only the domain is known."""
        candidates = [leaf for leaf in self.in_domain(domain) if leaf.kind == "服务"]
        for leaf in candidates:
            if leaf.path[1:] == ("其他", "其他"):
                return leaf
        if not candidates:
            raise KeyError(domain)
        return candidates[0]

    @property
    def full_version(self) -> str:
        """Version string including the city extension's, e.g. ``2026.11.0+foshan-nanhai.1``."""
        return self.version + (f"+{self.extension_version}" if self.extension_version else "")

    def codes(self) -> Iterable[str]:
        return self.leaves.keys()
