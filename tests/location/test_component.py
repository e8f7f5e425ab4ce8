"""The ``location_gazetteer`` pipeline component fills the Case."""

from __future__ import annotations

import nlu.location.components  # noqa: F401  (registers the component)
from hotline.case import Case, CategoryGuess
from hotline.registry import components
from nlu.location.resolver import NO_PLACE_REASON


def test_component_fills_case(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    case = locate(Case(text="我要反映一下桂城街道海五路有个井盖丢了"))
    assert case.location.normalized == "广东省佛山市南海区桂城街道海五路"
    assert case.review_reasons == []
    assert case.notes["location_mentions"][1]["raw"] == "海五路"


def test_component_flags_missing_place(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    case = locate(Case(text="井盖丢了"))
    assert case.location is None and case.location_candidates == []
    assert "未识别到事发地点，请向市民确认具体位置" in case.review_reasons


def test_component_uses_hint(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    case = locate(Case(text="路灯坏了", location_hint="千灯湖公园"))
    assert case.location.poi == "千灯湖公园"


def test_component_shares_one_resolver(fake_context):
    make = components.get("location_gazetteer")
    make(fake_context)
    make(fake_context)
    assert len([k for k in vars(fake_context) if k == "shared"]) == 1


def _guess(kind: str) -> CategoryGuess:
    return CategoryGuess(code="X01", name="测试", path=["测试"], domain="测试", confidence=0.9, kind=kind)


def test_service_matter_without_place_is_not_sent_to_review(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    case = Case(text="我想咨询一下社保卡怎么补办")
    case.category = _guess("服务")
    case = locate(case)
    assert case.location is None
    assert case.review_reasons == []
    assert case.notes["location_optional"] == "服务类诉求，无需事发地点"


def test_service_matter_still_gets_a_mentioned_place(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    case = Case(text="请问桂城街道海五路附近的社保服务点几点上班")
    case.category = _guess("服务")
    case = locate(case)
    assert case.location is not None and case.location.road == "海五路"
    assert "location_optional" not in case.notes


def test_event_or_uncategorised_without_place_still_needs_review(fake_context):
    locate = components.get("location_gazetteer")(fake_context)
    for kind in ("事件", "部件", None):
        case = Case(text="井盖丢了")
        if kind:
            case.category = _guess(kind)
        case = locate(case)
        assert NO_PLACE_REASON in case.review_reasons, kind


def test_place_optional_kinds_is_configurable(fake_context):
    locate = components.get("location_gazetteer")(fake_context, place_optional_kinds=["服务", "事件"])
    case = Case(text="有人乱扔垃圾")
    case.category = _guess("事件")
    assert locate(case).review_reasons == []
