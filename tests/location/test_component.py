"""The ``location_gazetteer`` pipeline component fills the Case."""

from __future__ import annotations

from hotline.case import Case
from hotline.registry import components
import nlu.location.components  # noqa: F401  (registers the component)


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
