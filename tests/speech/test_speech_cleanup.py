"""Chinese clean-up: joining words, inverse text normalisation, punctuation."""

from __future__ import annotations

import pytest

from speech.cleanup import close_sentence, inverse_normalize, join_words, parse_number, punctuate


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("我 要 反映 一下", "我要反映一下"),
        ("wifi 坏 了", "wifi坏了"),
        ("call me maybe", "call me maybe"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_join_words(raw: str, expected: str) -> None:
    assert join_words(raw) == expected


@pytest.mark.parametrize(
    "spoken,written",
    [
        ("电话幺三八一二三四五六七八", "电话13812345678"),
        ("海五路三十二号", "海五路32号"),
        ("五号楼第三单元", "5号楼第3单元"),
        ("一百零五号", "105号"),
        ("下午三点半停水", "下午3:30停水"),
        ("三点十五分", "3:15"),
        ("晚上十点还在施工", "晚上10点还在施工"),
        ("十一月二十号", "11月20号"),
        ("二零二四年三月五日", "2024年3月5日"),
        ("两万三千元", "23000元"),
        ("电话洞幺洞", "电话010"),
    ],
)
def test_itn_converts_numbers(spoken: str, written: str) -> None:
    assert inverse_normalize(spoken) == written


@pytest.mark.parametrize(
    "text",
    ["我要反映一下", "快一点好吗", "停水两天了", "一个星期没人修", "一起", "三五个人", "hello 123", "😀井盖丢了\x00"],
)
def test_itn_leaves_non_numbers_alone(text: str) -> None:
    assert inverse_normalize(text) == text


def test_parse_number() -> None:
    assert [parse_number(n) for n in ("十一", "三十二", "一百零五", "两万三千", "三二", "", "abc")] == [
        11, 32, 105, 23000, None, None, None,
    ]


def test_punctuation_from_pauses() -> None:
    words = [("我", 0.0, 0.2), ("要", 0.2, 0.4), ("投诉", 1.0, 1.4), ("什么时候", 1.4, 2.0), ("修", 2.0, 2.2)]
    assert punctuate(words) == "我要，投诉什么时候修。"
    assert punctuate([("修", 0.0, 0.1), ("吗", 0.1, 0.2)]) == "修吗？"
    assert punctuate([]) == ""
    assert close_sentence("好了。") == "好了。"
