"""Read the taxonomy YAML (and a city's extension file) into a validated ``Taxonomy``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlu.taxonomy.model import DEPARTMENT_TYPES, KIND_PREFIX, URGENCIES, Kind, Leaf, Taxonomy

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.yaml"

_INHERITED = ("domain", "department_type", "urgency", "deadline_hours", "deadline_basis", "verified")


class TaxonomyError(ValueError):
    """The taxonomy or an extension file is malformed (unknown department type, duplicate code …)."""


def _leaf_code(kind: Kind, code: str) -> str:
    code = str(code)
    prefix = KIND_PREFIX[kind]
    return code if code.startswith(prefix) else prefix + code


def _walk(
    kind: Kind,
    node: dict[str, Any],
    inherited: dict[str, Any],
    path: tuple[str, ...],
    group_cues: tuple[str, ...],
    extension: bool,
    out: dict[str, Leaf],
) -> None:
    """Depth-first: carry inherited fields down and emit a ``Leaf`` for every node without children."""
    attrs = dict(inherited)
    attrs.update({k: node[k] for k in _INHERITED if k in node})
    name = str(node["name"])
    if kind == "服务" and not path:
        attrs["domain"] = name  # a service tree's top node is the domain (一级分类) itself
        here: tuple[str, ...] = (name,)
    else:
        here = (path or (attrs["domain"],)) + (name,)
    cues = tuple(str(c) for c in node.get("cues") or ())
    children = node.get("children") or []
    if children:
        default = next((c for c in children if c.get("name") == "其他"), children[0])
        for child in children:
            passed = group_cues + cues if child is default else ()
            _walk(kind, child, attrs, here, passed, extension, out)
        return
    code = _leaf_code(kind, node["code"])
    if code in out:
        raise TaxonomyError(f"duplicate leaf code {code}")
    if kind != "服务":
        here = (attrs["domain"],) + here[1:]  # a 部件/事件 leaf may sit in another domain than its 大类
    own = tuple(dict.fromkeys(cues))
    inherited_cues = tuple(c for c in dict.fromkeys(group_cues) if c not in own)
    leaf = Leaf(
        code=code,
        kind=kind,
        name=name,
        path=here,
        domain=attrs["domain"],
        department_type=attrs.get("department_type") or "街道办",
        urgency=attrs.get("urgency", "normal"),
        deadline_hours=attrs.get("deadline_hours"),
        deadline_basis=attrs.get("deadline_basis", "calendar"),
        cues=own + inherited_cues,
        group_cues=frozenset(inherited_cues),
        std_code=None if kind == "服务" else code[2:],
        extension=bool(node.get("extension", extension)),
        verified=bool(attrs.get("verified", True)),
    )
    out[code] = leaf


def _validate(taxonomy: Taxonomy) -> None:
    domains = set(taxonomy.domains)
    for leaf in taxonomy:
        if leaf.domain not in domains:
            raise TaxonomyError(f"{leaf.code}: domain {leaf.domain!r} is not one of the {len(domains)} domains")
        if leaf.department_type not in DEPARTMENT_TYPES:
            raise TaxonomyError(f"{leaf.code}: unknown department_type {leaf.department_type!r}")
        if leaf.urgency not in URGENCIES:
            raise TaxonomyError(f"{leaf.code}: unknown urgency {leaf.urgency!r}")
        if leaf.deadline_basis not in ("calendar", "working"):
            raise TaxonomyError(f"{leaf.code}: deadline_basis must be calendar or working")


def _read_trees(raw: dict[str, Any], defaults: dict[str, dict[str, Any]], extension: bool, out: dict[str, Leaf]) -> None:
    for kind in ("部件", "事件", "服务"):
        for top in raw.get(kind) or []:
            _walk(kind, top, dict(defaults.get(kind, {})), (), (), extension, out)  # type: ignore[arg-type]


def _apply_extension(base: Taxonomy, raw: dict[str, Any], defaults: dict[str, dict[str, Any]]) -> None:
    """Add a city's leaves and extra cue words to ``base`` in place."""
    added: dict[str, Leaf] = {}
    _read_trees(raw, defaults, True, added)
    clash = sorted(set(added) & set(base.leaves))
    if clash:
        raise TaxonomyError(f"extension redefines existing leaves: {clash}")
    base.leaves.update(added)
    for code, extra in (raw.get("add_cues") or {}).items():
        leaf = base.leaves.get(str(code))
        if leaf is None:
            raise TaxonomyError(f"add_cues names unknown leaf {code}")
        merged = tuple(dict.fromkeys(leaf.cues + tuple(str(c) for c in extra)))
        base.leaves[leaf.code] = Leaf(**{**leaf.__dict__, "cues": merged})
    base.extension_version = str(raw.get("version", "ext"))


def load_taxonomy(extension: Path | None = None, path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """Load the shipped taxonomy and, if given, a city's extension file on top of it."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = raw.get("defaults") or {}
    leaves: dict[str, Leaf] = {}
    _read_trees(raw, defaults, False, leaves)
    taxonomy = Taxonomy(
        version=str(raw["version"]), domains=list(raw["domains"]), leaves=leaves, standard=str(raw.get("standard", ""))
    )
    if extension is not None and extension.exists():
        _apply_extension(taxonomy, yaml.safe_load(extension.read_text(encoding="utf-8")) or {}, defaults)
    _validate(taxonomy)
    return taxonomy


@lru_cache(maxsize=8)
def cached_taxonomy(extension: Path | None = None) -> Taxonomy:
    """``load_taxonomy`` once per extension file and process."""
    return load_taxonomy(extension)
