"""Duplicates and related cases (合并/关联): many callers, one problem.

A new report repeats an open order when, all together:

1. **place** — same 万米单元网格, or within ``radius_m`` (lon/lat), or, with no coordinates, the same normalised road
   in the same street (``same_place``);
2. **time** — the open order was received within ``window_hours`` before the new report;
3. **open** — the earlier order is not closed, followed up, or itself merged (``OPEN_STATUSES``);
4. **problem** — the categories are the same or of one family (``CategoryRelation``, data in
   ``triage/data/duplicates/related_categories.yaml``) and the case is about a place (部件/事件); or the citizens'
   words are alike (``TEXT_SIMILARITIES``, score ≥ ``text_threshold``) — which catches the same problem told in
   other words when the classifier chose unrelated leaves, and is required for personal service matters (服务).

``make_duplicate_finder(settings, city)`` builds the finder the order service calls inside the order's transaction
(``triage.orders.OrderService._store``). Its database work is one indexed query: open orders (status, created_at
index) near the place (grid index, lon/lat box, or street index), newest first, at most ``max_candidates``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import and_, event, inspect, or_, select
from sqlalchemy.orm import Session

from hotline.case import Case, Place
from hotline.city import CityConfig
from triage.lifecycle import Status
from triage.models import WorkOrder
from triage.orders import DuplicateMatch

DATA_DIR = Path(__file__).resolve().parent / "data" / "duplicates"
RELATED_CATEGORIES = DATA_DIR / "related_categories.yaml"

OPEN_STATUSES: tuple[str, ...] = tuple(
    s.value
    for s in (
        Status.RECEIVED,
        Status.REGISTERED,
        Status.DISPATCHED,
        Status.HANDLING,
        Status.HANDLED,
        Status.VERIFIED,
        Status.RETURNED,
    )
)
"""Orders a new report may be merged into: every status before 结案, and not ``merged`` (no chains)."""

_METRES_PER_DEGREE_LAT = 111_320.0
_EARTH_RADIUS_M = 6_371_000.0


# -- settings ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateRules:
    """The finder's knobs. Read from ``Settings`` fields ``duplicate_*`` when present, else these defaults."""

    enabled: bool = True
    window_hours: float = 72.0
    """Only orders received this many hours before the new report count."""
    radius_m: float = 300.0
    """Two points closer than this are the same place (a 万米网格 cell is ~100 m across)."""
    text_method: str = "char_bigram_containment"
    """A name in ``TEXT_SIMILARITIES``."""
    text_threshold: float = 0.6
    """Text similarity at or above which two reports at one place are the same problem whatever their categories."""
    max_candidates: int = 200

    @classmethod
    def from_settings(cls, settings: Any) -> DuplicateRules:
        """Take every ``duplicate_<field>`` the settings object has; keep the default for the others."""
        values = {f: getattr(settings, f"duplicate_{f}") for f in cls.__dataclass_fields__ if hasattr(settings, f"duplicate_{f}")}
        return cls(**values)


# -- text similarity --------------------------------------------------------------------------------------------------

TextSimilarity = Callable[[str, str], float]
TEXT_SIMILARITIES: dict[str, TextSimilarity] = {}
"""Registry of text similarity measures, each ``(a, b) -> [0, 1]``."""

_NOT_CONTENT = re.compile(r"[^0-9a-z\u3400-\u9fff]")
_FILLERS = re.compile(r"(你好|您好|我要反映|我想反映|反映一下|请问|谢谢|麻烦|那个|就是|一下|的|了|啊|呢|吧|嗯|呀)")


def content_chars(text: str) -> str:
    """Text reduced to what carries meaning: NFKC, lower case, CJK/letters/digits only, common fillers dropped."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _FILLERS.sub("", _NOT_CONTENT.sub("", text))


def register_similarity(name: str) -> Callable[[TextSimilarity], TextSimilarity]:
    def add(func: TextSimilarity) -> TextSimilarity:
        TEXT_SIMILARITIES[name] = func
        return func

    return add


@lru_cache(maxsize=4096)
def _bigrams(text: str) -> Counter[str]:
    chars = content_chars(text)
    if len(chars) < 2:
        return Counter([chars]) if chars else Counter()
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def _cosine(ca: Counter[str], cb: Counter[str]) -> float:
    """Cosine of two count vectors (0 when either is empty)."""
    if not ca or not cb:
        return 0.0
    dot = sum(n * cb[g] for g, n in ca.items() if g in cb)
    return dot / math.sqrt(sum(n * n for n in ca.values()) * sum(n * n for n in cb.values()))


@register_similarity("char_bigram_cosine")
def char_bigram_cosine(a: str, b: str) -> float:
    """Cosine of character-bigram counts."""
    return _cosine(_bigrams(a), _bigrams(b))


@register_similarity("char_bigram_jaccard")
def char_bigram_jaccard(a: str, b: str) -> float:
    """Jaccard index of the character-bigram sets."""
    sa, sb = set(_bigrams(a)), set(_bigrams(b))
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


@register_similarity("char_bigram_containment")
def char_bigram_containment(a: str, b: str) -> float:
    """Share of the shorter text's character bigrams found in the other (overlap coefficient).

    Suits a short phone report set against a longer one about the same thing.
    """
    sa, sb = set(_bigrams(a)), set(_bigrams(b))
    return len(sa & sb) / min(len(sa), len(sb)) if sa and sb else 0.0


@lru_cache(maxsize=4096)
def _words(text: str) -> Counter[str]:
    from nlu.segment import words

    return Counter(w for w in words(content_chars(text)) if len(w) > 1 or w.isdigit())


@register_similarity("jieba_cosine")
def jieba_cosine(a: str, b: str) -> float:
    """Cosine of jieba word counts (words of one character dropped)."""
    return _cosine(_words(a), _words(b))


# -- category relation ------------------------------------------------------------------------------------------------


@dataclass
class CategoryRelation:
    """Whether two category codes name the same problem (same leaf, one family, or one 二级 group where allowed)."""

    families: dict[str, tuple[str, ...]] = field(default_factory=dict)
    merge_by_place: frozenset[str] = frozenset({"部件", "事件"})
    same_group_kinds: frozenset[str] = frozenset({"服务"})

    @classmethod
    def from_file(cls, path: Path = RELATED_CATEGORIES) -> CategoryRelation:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        families = {str(name): tuple(str(c) for c in codes) for name, codes in (raw.get("families") or {}).items()}
        return cls(
            families=families,
            merge_by_place=frozenset(raw.get("merge_by_place", ["部件", "事件"])),
            same_group_kinds=frozenset(raw.get("same_group_kinds", ["服务"])),
        )

    @staticmethod
    def _member(code: str, entry: str) -> bool:
        return code.startswith(entry[:-1]) if entry.endswith("*") else code == entry

    @staticmethod
    def kind_of(code: str) -> str:
        return {"BJ": "部件", "SJ": "事件"}.get(code[:2], "服务")

    def relation(self, a: str | None, b: str | None) -> str | None:
        """A short Chinese reason when ``a`` and ``b`` are the same problem family, else None."""
        if not a or not b:
            return None
        if a == b:
            return "同一类别"
        for name, entries in self.families.items():
            if any(self._member(a, e) for e in entries) and any(self._member(b, e) for e in entries):
                return f"同属“{name}”类问题"
        kind = self.kind_of(a)
        if kind == self.kind_of(b) and kind in self.same_group_kinds and len(a) > 4 and a[:-2] == b[:-2]:
            return "同一二级分类"
        return None

    def place_bound(self, code: str | None) -> bool:
        """True when a report of this category is about a place (部件/事件), so place + category make one case."""
        return code is not None and self.kind_of(code) in self.merge_by_place


# -- place ------------------------------------------------------------------------------------------------------------


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _order_road(order: WorkOrder) -> str | None:
    location = (order.analysis or {}).get("location") or {}
    return location.get("road") or None


def same_place(place: Place, order: WorkOrder, radius_m: float) -> str | None:
    """Why ``order`` is at the same place as ``place`` (grid, distance, or road when coordinates are missing), or None."""
    if place.grid and order.grid and place.grid == order.grid:
        return f"同一网格（{place.grid}）"
    if None not in (place.lon, place.lat, order.lon, order.lat):
        d = distance_m(place.lon, place.lat, order.lon, order.lat)  # type: ignore[arg-type]
        return f"相距约{d:.0f}米" if d <= radius_m else None
    road = _order_road(order)
    if place.road and road and place.road == road and place.street == order.street:
        return f"同一道路（{place.road}）"
    return None


# -- what each side says: categories and place mentions ---------------------------------------------------------------

CANDIDATE_FLOOR = 0.2
"""A category candidate below this confidence is not used to relate two reports."""


def _case_categories(case: Case) -> list[tuple[str, str, float]]:
    found = [(case.category.code, case.category.name, 1.0)] if case.category else []
    found += [(g.code, g.name, g.confidence) for g in case.category_candidates if g.confidence >= CANDIDATE_FLOOR]
    return found


def _order_categories(order: WorkOrder) -> list[tuple[str, str, float]]:
    found = [(order.category_code, order.category_name or "", 1.0)] if order.category_code else []
    for g in (order.analysis or {}).get("category_candidates") or []:
        if isinstance(g, dict) and g.get("code") and float(g.get("confidence") or 0) >= CANDIDATE_FLOOR:
            found.append((str(g["code"]), str(g.get("name") or ""), float(g["confidence"])))
    return found


def _case_place_mentions(case: Case) -> list[str]:
    places = ([case.location] if case.location else []) + list(case.location_candidates)
    return [p.raw for p in places if p.raw]


def _order_place_mentions(order: WorkOrder) -> list[str]:
    mentions = [order.location_raw] if order.location_raw else []
    for p in (order.analysis or {}).get("location_candidates") or []:
        if isinstance(p, dict) and p.get("raw"):
            mentions.append(str(p["raw"]))
    return mentions


def strip_places(text: str, mentions: Iterable[str]) -> str:
    """The text without the places it names: the place is compared on its own, the words should say *what* happened."""
    for mention in sorted(set(mentions), key=len, reverse=True):
        if len(mention) >= 2:
            text = text.replace(mention, " ")
    return text


# -- the finder -------------------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """One open order considered for a new report, with the evidence."""

    order: WorkOrder
    place_reason: str
    category_reason: str | None
    text_score: float


class SqlDuplicateFinder:
    """Finds the open order a new report repeats (the ``triage.orders.DuplicateFinder`` protocol)."""

    def __init__(self, rules: DuplicateRules, relation: CategoryRelation):
        if rules.text_method not in TEXT_SIMILARITIES:
            raise ValueError(f"unknown text similarity {rules.text_method!r}; known: {sorted(TEXT_SIMILARITIES)}")
        self.rules = rules
        self.relation = relation
        self.similarity = TEXT_SIMILARITIES[rules.text_method]

    def _near(self, place: Place) -> list[Any]:
        """SQL conditions for 'near the place' (any one suffices; checked exactly afterwards)."""
        near: list[Any] = []
        if place.grid:
            near.append(WorkOrder.grid == place.grid)
        if place.lon is not None and place.lat is not None:
            dlat = self.rules.radius_m / _METRES_PER_DEGREE_LAT
            dlon = dlat / max(0.01, math.cos(math.radians(place.lat)))
            near.append(and_(WorkOrder.lat.between(place.lat - dlat, place.lat + dlat),
                             WorkOrder.lon.between(place.lon - dlon, place.lon + dlon)))
        elif place.road and place.street:
            near.append(WorkOrder.street == place.street)
        return near

    def candidates(self, session: Session, case: Case, now: datetime) -> list[WorkOrder]:
        """Open orders received within the window near the case's place, newest first (one indexed query)."""
        place = case.location
        if place is None or not place.in_jurisdiction:
            return []
        near = self._near(place)
        if not near:
            return []
        since = now - timedelta(hours=self.rules.window_hours)
        stmt = (
            select(WorkOrder)
            .where(WorkOrder.status.in_(OPEN_STATUSES), WorkOrder.created_at >= since, WorkOrder.created_at <= now, or_(*near))
            .order_by(WorkOrder.created_at.desc())
            .limit(self.rules.max_candidates)
        )
        return list(session.execute(stmt).scalars())

    def _related(self, mine: list[tuple[str, str, float]], theirs: list[tuple[str, str, float]]) -> str | None:
        """A reason when a category of one report and a category of the other are one problem about a place.

        Top categories first; then any candidate with confidence ≥ ``CANDIDATE_FLOOR`` (the classifier often puts
        the right leaf second for short spoken reports). Catch-all leaves (其他) never relate.
        """
        pairs = [(a, b) for a in mine for b in theirs]
        pairs.sort(key=lambda ab: -(ab[0][2] + ab[1][2]))
        for (code_a, name_a, _), (code_b, name_b, _) in pairs:
            if "其他" in (name_a, name_b):
                continue
            reason = self.relation.relation(code_a, code_b)
            if reason and (self.relation.place_bound(code_a) or self.relation.place_bound(code_b)):
                return reason
        return None

    def judge(self, case: Case, orders: Iterable[WorkOrder]) -> list[Candidate]:
        """The orders that are the same problem as ``case``, best first (none when the case has no place)."""
        if case.location is None:
            return []
        mine = _case_categories(case)
        text = strip_places(case.analysis_text, _case_place_mentions(case))
        found: list[Candidate] = []
        for order in orders:
            place_reason = same_place(case.location, order, self.rules.radius_m)
            if place_reason is None:
                continue
            category_reason = self._related(mine, _order_categories(order))
            score = self.similarity(text, strip_places(order.text, _order_place_mentions(order)))
            if category_reason is not None or score >= self.rules.text_threshold:
                found.append(Candidate(order, place_reason, category_reason, score))
        found.sort(key=lambda c: (c.category_reason is not None, c.text_score, c.order.created_at), reverse=True)
        return found

    def find(self, session: Session, case: Case, now: datetime) -> DuplicateMatch | None:
        """The open order ``case`` repeats, or None."""
        if not self.rules.enabled:
            return None
        best = next(iter(self.judge(case, self.candidates(session, case, now))), None)
        if best is None:
            return None
        event.listen(session, "before_commit", _load_parent_links, once=True)
        reasons = [best.place_reason]
        if best.category_reason:
            reasons.append(best.category_reason)
        reasons.append(f"文字相似度{best.text_score:.2f}")
        hours = (now - best.order.created_at).total_seconds() / 3600
        reasons.append(f"{hours:.1f}小时内")
        score = 0.5 * (best.category_reason is not None) + 0.5 * best.text_score
        return DuplicateMatch(order_id=best.order.id, number=best.order.number, score=round(score, 3), reasons=reasons)


def _load_parent_links(session: Session) -> None:
    """Load ``duplicate_of`` on merged orders before commit, so views built after the session closes can show it.

    Stop-gap until ``OrderService._store`` loads it itself (asked of the lead); harmless afterwards.
    """
    for obj in list(session.identity_map.values()):
        if isinstance(obj, WorkOrder) and obj.duplicate_of_id is not None and "duplicate_of" in inspect(obj).unloaded:
            obj.duplicate_of  # noqa: B018


def make_duplicate_finder(settings: Any, city: CityConfig | None = None) -> SqlDuplicateFinder:
    """The finder configured by ``settings`` (``duplicate_*`` fields, defaults in ``DuplicateRules``)."""
    return SqlDuplicateFinder(DuplicateRules.from_settings(settings), CategoryRelation.from_file())


# -- measuring (``hotline eval duplicates``, ``bench/duplicates.py``) ---------------------------------------------------

REPOST_CORPUS = Path("data") / "tipdm2020-c-smart-gov-messages" / "attachment3_full_4326_messages_with_votes.csv"
"""Relative to the shared folder (``HOTLINE_SHARED_DIR``, default ``<repo>/../shared``)."""

CASES_FILE = DATA_DIR / "cases.yaml"

@dataclass(frozen=True)
class Message:
    """One 留言 of the repost corpus."""

    id: str
    title: str
    text: str


def load_messages(path: Path) -> list[Message]:
    """附件3 rows: 留言编号, 留言主题 and 留言详情 (whitespace padding removed)."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Message(row["留言编号"], row["留言主题"].strip(), re.sub(r"\s+", "", row["留言详情"] or ""))
            for row in csv.DictReader(fh)
        ]


def repost_groups(messages: Iterable[Message]) -> list[list[Message]]:
    """Messages posted more than once under one title (reposts of one problem).

    Read through by hand (2026-11-21): of the 104 groups, 101 remain after the 3 where a group is a single message
    repeated under ``title`` only in name; 3 of the 101 looked like two different problems under one title and are
    kept anyway (no corpus text is committed to list them), so recall is measured on slightly noisy positives.
    """
    groups: dict[str, list[Message]] = {}
    for m in messages:
        groups.setdefault(m.title, []).append(m)
    return [g for g in groups.values() if len(g) > 1]


def labelled_pairs(
    messages: list[Message], category_of: dict[str, str | None]
) -> tuple[list[tuple[Message, Message]], list[tuple[Message, Message]]]:
    """Positives: every pair inside a repost group. Negatives: each reposted message against every message of another
    title that the classifier put in the same category (same problem type, different problem)."""
    groups = repost_groups(messages)
    positives = [(g[i], g[j]) for g in groups for i in range(len(g)) for j in range(i + 1, len(g))]
    by_category: dict[str, list[Message]] = {}
    for m in messages:
        code = category_of.get(m.id)
        if code:
            by_category.setdefault(code, []).append(m)
    negatives: list[tuple[Message, Message]] = []
    seen: set[tuple[str, str]] = set()
    for g in groups:
        for m in g:
            for other in by_category.get(category_of.get(m.id) or "", []):
                key = tuple(sorted((m.id, other.id)))
                if other.title != m.title and key not in seen:
                    seen.add(key)  # type: ignore[arg-type]
                    negatives.append((m, other))
    return positives, negatives


@dataclass
class Operating:
    """Precision and recall of one method at one threshold."""

    method: str
    threshold: float
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall) if self.precision + self.recall else 0.0


def operating_points(method: str, pos: list[float], neg: list[float], thresholds: Iterable[float]) -> list[Operating]:
    """P/R of ``score >= threshold`` for each threshold."""
    points = []
    for t in thresholds:
        tp = sum(s >= t for s in pos)
        fp = sum(s >= t for s in neg)
        fn = len(pos) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        points.append(Operating(method, t, precision, tp / len(pos) if pos else 0.0, tp, fp, fn))
    return points


def score_pairs(method: str, pairs: list[tuple[Message, Message]]) -> list[float]:
    similarity = TEXT_SIMILARITIES[method]
    return [similarity(a.text, b.text) for a, b in pairs]


@dataclass
class CaseResult:
    note: str
    same: bool
    predicted: bool
    detail: str


def order_from_case(case: Case, number: str = "EVAL-1") -> WorkOrder:
    """An in-memory order built from an analysed case (what ``OrderService`` would store), for measuring the rules."""
    from triage.orders import _case_columns

    return WorkOrder(
        id=1, number=number, channel="eval", text=case.text, status=Status.REGISTERED.value, analysis=case.to_dict(),
        created_by="eval", created_at=case.received_at, **_case_columns(case),
    )


def evaluate_cases(analyse: Callable[[Case], Case], finder: SqlDuplicateFinder, path: Path = CASES_FILE) -> list[CaseResult]:
    """Run each hand-written pair through the pipeline and the finder's place/category/text rules."""
    from datetime import timezone

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    results = []
    now = datetime.now(timezone.utc)
    for pair in raw["pairs"]:
        first = analyse(Case(text=pair["a"], received_at=now))
        second = analyse(Case(text=pair["b"], received_at=now))
        found = finder.judge(second, [order_from_case(first)]) if second.location else []
        a_cat = first.category.code if first.category else None
        b_cat = second.category.code if second.category else None
        detail = f"{a_cat}/{b_cat} {first.location and first.location.normalized} | {second.location and second.location.normalized}"
        if found:
            detail += f" → {found[0].place_reason}; {found[0].category_reason}; 文字{found[0].text_score:.2f}"
        results.append(CaseResult(pair.get("note", ""), bool(pair["same"]), bool(found), detail))
    return results
