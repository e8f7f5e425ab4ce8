"""Understanding spoken input: digits, phones, order numbers, corrections, candidate choices."""

import pytest

from bot.actions.spoken import choose_candidate, mask_phone, parse_correction, parse_order_number, parse_phone


@pytest.mark.parametrize("text, phone", [
    ("幺三八零零幺三八零零零", "13800138000"),
    ("我的电话是 138-0013-8000", "13800138000"),
    ("+86 13800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("0757-86281234", "075786281234"),
    ("八六二八一二三四", "86281234"),
    ("幺三六 幺二三四 五六七八", "13612345678"),
])
def test_phone_is_read_from_spoken_or_written_digits(text, phone):
    assert parse_phone(text) == phone


@pytest.mark.parametrize("text", ["", "123", "我没有电话", "12800138000", "😀😀", "a" * 5000, "\x00\x01"])
def test_bad_phone_gives_none(text):
    assert parse_phone(text) is None


def test_mask_phone():
    assert mask_phone("13800138000") == "138****8000"


@pytest.mark.parametrize("text, number", [
    ("我的单号是 NH20261121-0007", "NH20261121-0007"),
    ("查一下幺二三四五六七", "1234567"),
    ("13800138000", None),
    ("没有", None),
])
def test_order_number(text, number):
    assert parse_order_number(text) == number


@pytest.mark.parametrize("text, slot, value", [
    ("不对，是海五路不是海四路", "problem_location", "海五路"),
    ("不是海四路，是海五路", "problem_location", "海五路"),
    ("说错了，地址是灯湖东路", "problem_location", "灯湖东路"),
    ("电话改成13912345678", "contact_phone", "13912345678"),
    ("号码错了，应该是幺三九幺二三四五六七八", "contact_phone", "13912345678"),
    ("时间是三天前", "problem_since", "三天前"),
])
def test_correction_names_the_slot_and_the_new_value(text, slot, value):
    correction = parse_correction(text)
    assert correction is not None
    assert (correction.slot, correction.value) == (slot, value)


@pytest.mark.parametrize("text", ["", "不对", "。。。"])
def test_empty_correction_is_none(text):
    assert parse_correction(text) is None


def test_choose_candidate_by_ordinal_or_name():
    names = ["佛山市南海区桂城街道南海大道北", "佛山市南海区桂城街道南海大道南"]
    assert choose_candidate("第二个", names) == 1
    assert choose_candidate("1", names) == 0
    assert choose_candidate("佛山市南海区桂城街道南海大道南", names) == 1
    assert choose_candidate("第九个", names) is None
    assert choose_candidate("随便", names) is None
