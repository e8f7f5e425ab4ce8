"""The ``category_keyword`` pipeline component on realistic hotline sentences and on bad input."""

from __future__ import annotations

import pytest

from hotline.case import Case
from hotline.registry import components
from nlu.category import components as _registers  # noqa: F401


@pytest.fixture()
def classify(context):
    step = components.get("category_keyword")(context, top_k=3, review_below=0.5)
    return lambda text, **kw: step(Case(text=text, **kw))


@pytest.mark.parametrize(
    "text, code, domain",
    [
        ("海五路有个井盖丢了", "SJ9001", "城乡建设"),
        ("小区门口有人摆摊占道经营", "SJ0507", "城乡建设"),
        ("路灯不亮", "BJ0116", "城乡建设"),
        ("楼上装修噪音太吵了晚上", "SJ0510", "环境保护"),
        ("燃气管道泄漏有味道", "SJ0403", "城乡建设"),
        ("井 盖 丢 了 好 危 险", "SJ9001", "城乡建设"),
    ],
)
def test_hotline_sentences(classify, text, code, domain):
    case = classify(text)
    assert case.category is not None and case.category.code == code
    assert case.category.domain == domain
    assert case.category.reasons, "the matched cue words are the reason"
    assert case.category.path[0] == domain and case.category.department_type


def test_service_matter_and_every_field(classify):
    case = classify("社保卡怎么补办")
    guess = case.category
    assert guess.domain == "劳动和社会保障" and guess.kind == "服务" and guess.code.startswith("FW15")
    assert guess.department_type == "人社" and guess.deadline_hours == 120 and guess.urgency == "normal"
    assert "社保卡" in guess.reasons


def test_emergency_leaf_raises_urgency(classify):
    case = classify("燃气管道泄漏有味道，好大煤气味")
    assert case.category.urgency == "emergency"
    assert case.urgency == "emergency" and any("燃气" in r for r in case.urgency_reasons)


def test_top_k_and_candidates_are_ranked(classify):
    case = classify("小区门口有人摆摊占道经营")
    confidences = [g.confidence for g in case.category_candidates]
    assert 1 <= len(confidences) <= 3 and confidences == sorted(confidences, reverse=True)


@pytest.mark.parametrize("text", ["", "   ", "！！！？？", "😀😀👍", "hello, the street light is broken", "\x00\x07\x1b[31m"])
def test_unusable_input_abstains_with_chinese_reason(classify, text):
    case = classify(text)
    assert case.category is None and case.category_candidates == []
    assert case.review_reasons and "人工" in case.review_reasons[0]


def test_no_match_goes_to_review(classify):
    case = classify("今天天气不错啊")
    assert case.category is None and any("未能识别" in r for r in case.review_reasons)


def test_huge_and_mixed_input(classify):
    case = classify("路灯不亮 street light broken 🙏" + "啊" * 10_000)
    assert case.category is not None and case.category.code == "BJ0116"
    assert "category_truncated" in case.notes


def test_low_confidence_goes_to_review(context):
    step = components.get("category_keyword")(context, review_below=0.99)
    case = step(Case(text="路灯不亮"))
    assert case.category is not None and any("置信度" in r for r in case.review_reasons)
