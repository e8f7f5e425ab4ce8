"""From taxonomy leaves to the ``CategoryGuess`` objects the pipeline carries, and onto a ``Case``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hotline.case import URGENCY_ORDER, Case, CategoryGuess
from nlu.taxonomy import Leaf, Taxonomy

REVIEW_LOW_CONFIDENCE = "诉求类别置信度较低（{confidence:.2f}），请人工确认类别"
REVIEW_NO_MATCH = "未能识别诉求类别，请人工选择类别"
REVIEW_UNUSABLE = "内容为空或不含中文，无法自动分类，请人工处理"
NOTE_TRUNCATED = "内容过长，仅按前 {chars} 字分类"


def guess_from_leaf(leaf: Leaf, confidence: float, reasons: Sequence[str] = ()) -> CategoryGuess:
    """A ``CategoryGuess`` with every field taken from the leaf."""
    return CategoryGuess(
        code=leaf.code,
        name=leaf.name,
        path=list(leaf.path),
        domain=leaf.domain,
        confidence=round(float(confidence), 4),
        reasons=list(reasons),
        kind=leaf.kind,
        department_type=leaf.department_type,
        urgency=leaf.urgency,  # type: ignore[arg-type]
        deadline_hours=leaf.deadline_hours,
        deadline_basis=leaf.deadline_basis,
    )


def leaf_in_domain(taxonomy: Taxonomy, cue_scores: Mapping[str, float], domain: str) -> Leaf:
    """The best cue-word leaf (``KeywordClassifier.scores``) inside ``domain``, else the domain's 其他/其他 leaf."""
    in_domain = [(score, code) for code, score in cue_scores.items() if taxonomy[code].domain == domain]
    return taxonomy[max(in_domain)[1]] if in_domain else taxonomy.default_leaf(domain)


def cue_city_code(taxonomy: Taxonomy, cue_scores: Mapping[str, float], domain: str) -> str | None:
    """The 部件/事件 code the cue words name inside ``domain`` (its best cue-word leaf, when that is one), else None."""
    leaf = leaf_in_domain(taxonomy, cue_scores, domain)
    return leaf.code if leaf.kind != "服务" and leaf.code in cue_scores else None


def apply_guesses(
    case: Case,
    guesses: Sequence[CategoryGuess],
    review_below: float,
    *,
    usable: bool = True,
    truncated_at: int | None = None,
    raise_urgency: bool = True,
) -> Case:
    """Fill ``case.category``/``category_candidates`` and mark the case for review when unsure.

    A confident guess whose leaf has a default urgency above normal raises the case's urgency (reason in Chinese).
    """
    case.category_candidates = list(guesses)
    case.category = guesses[0] if guesses else None
    if truncated_at is not None:
        case.notes["category_truncated"] = NOTE_TRUNCATED.format(chars=truncated_at)
    if not usable:
        case.needs_review(REVIEW_UNUSABLE)
        return case
    if case.category is None:
        case.needs_review(REVIEW_NO_MATCH)
        return case
    if case.category.confidence < review_below:
        case.needs_review(REVIEW_LOW_CONFIDENCE.format(confidence=case.category.confidence))
    elif raise_urgency and URGENCY_ORDER[case.category.urgency] > URGENCY_ORDER["normal"]:
        case.raise_urgency(case.category.urgency, f"类别「{case.category.name}」默认紧急程度")
    return case
