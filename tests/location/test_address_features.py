"""Feature groups of the CRF address parser (``nlu.address.features``): each group marks what it claims to."""

from __future__ import annotations

import json

import pytest

from nlu.address.features import (
    FEATURE_GROUPS,
    cue_features,
    digit_features,
    division_repeat_marks,
    forward_repeat_marks,
    repeat_marks,
    segment_features,
    sentence_features,
)
from nlu.address.model import AddressParser


def test_repeats_mark_the_later_copy_and_forward_repeats_the_earlier_one():
    tokens = list("浙江省湖州市安吉县浙江省安吉县九龙路")
    assert repeat_marks(tokens)[9:15] == ["B", "I", "I", "B", "I", "I"]
    assert forward_repeat_marks(tokens)[:9] == ["B", "I", "I", "", "", "", "B", "I", "I"]
    assert forward_repeat_marks(tokens)[9:] == [""] * 9
    assert forward_repeat_marks([]) == []


def test_division_repeats_match_names_that_differ_by_suffix():
    tokens = list("浙江温州瓯海区浙江省温州市瓯海区潘桥镇")
    marks = division_repeat_marks(tokens)
    assert marks[0] == {"dupL"} and marks[2] == {"dupL"}      # 浙江 … later 浙江省; 温州 … later 温州市
    assert marks[7] == {"dupE"}                               # 浙江省 named earlier as 浙江
    assert marks[-1] == set()                                 # 潘桥镇 named once


def test_cue_features_see_the_next_and_previous_element_end():
    f = cue_features(list("三墩镇振华路"))
    assert f[0]["nx:镇:2"] == 1.0
    assert f[3]["pv:镇:1"] == 1.0 and f[3]["nx:路:2"] == 1.0


def test_segment_features_align_multi_character_tokens():
    tokens = ["翠", "景", "花", "园", "12", "栋"]
    f = segment_features(tokens)
    assert len(f) == len(tokens)
    assert all(any(k.startswith("seg:") for k in item) for item in f)


def test_digit_features_count_numbers_around():
    f = digit_features(["41", "-", "5", "-", "3106"])
    assert "num:0:2" in f[0] and "num:1:1" in f[2] and "num:2:0" in f[4]
    assert f[1] == {}


def test_sentence_features_groups_and_bad_input():
    tokens = list("杭州市西湖区文三路") + ["12", "号"]
    base = sentence_features(tokens)
    full = sentence_features(tokens, groups=FEATURE_GROUPS)
    assert len(base) == len(full) == len(tokens)
    assert len(full[0]) > len(base[0])
    assert sentence_features([], groups=FEATURE_GROUPS) == []
    assert len(sentence_features(["\u3000", "😀", "\x07", "A"], groups=FEATURE_GROUPS)) == 4
    with pytest.raises(ValueError):
        sentence_features(tokens, groups=("nonsense",))


def test_old_model_meta_means_repeats_only(tmp_path):
    """A model trained before feature groups existed (meta ``repeat_features``) keeps its feature set."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.append(sentence_features(list("海五路"), repeats=True), ["B-road", "I-road", "I-road"])
    trainer.set_params({"max_iterations": 5})
    trainer.train(str(tmp_path / "model.crfsuite"))
    (tmp_path / "meta.json").write_text(json.dumps({"repeat_features": True}), encoding="utf-8")
    assert AddressParser(tmp_path).groups == frozenset({"repeats"})
    (tmp_path / "meta.json").write_text(json.dumps({"feature_groups": ["cues", "segments"]}), encoding="utf-8")
    assert AddressParser(tmp_path).groups == frozenset({"cues", "segments"})
