"""Domain biasing: phrase lists from a gazetteer/taxonomy, the pinyin corrector, grammars."""

from __future__ import annotations

import json
from pathlib import Path

from speech.biasing import (
    PinyinCorrector,
    clean_phrases,
    fold_syllable,
    fuzzy_key,
    gazetteer_phrases,
    grammar_for,
    segment,
    taxonomy_phrases,
)

PHRASES = ["桂城街道", "海五路", "南海大道", "千灯湖", "井盖", "路灯", "占道经营"]


def test_fuzzy_folds() -> None:
    assert fold_syllable("zhang") == fold_syllable("zan")
    assert fold_syllable("ling") == fold_syllable("nin")
    assert fold_syllable("fu") == fold_syllable("hu")
    assert fuzzy_key("桂城") == fuzzy_key("桂成")


def test_corrects_homophones() -> None:
    corrector = PinyinCorrector(PHRASES)
    text, corrections = corrector.correct("我要反映桂成街道海午路有个井盖丢了")
    assert text == "我要反映桂城街道海五路有个井盖丢了"
    assert [(c.heard, c.phrase, c.start) for c in corrections] == [("桂成街道", "桂城街道", 4), ("海午路", "海五路", 8)]


def test_accent_folds_are_corrected() -> None:
    corrector = PinyinCorrector(PHRASES)
    assert corrector.correct("南海大到北")[0] == "南海大道北"
    assert corrector.correct("千登湖公园")[0] == "千灯湖公园"  # deng/deng; tone ignored


def test_no_false_corrections() -> None:
    corrector = PinyinCorrector(PHRASES)
    for text in ("我想投诉", "今天天气不错", "", "hello", "😀\x00", "路灯坏了"):
        assert corrector.correct(text) == (text, [])
    # two-character phrases need a character in common: 经该 (jing gai) alone is not rewritten
    assert corrector.correct("经该")[1] == []


def test_empty_corrector() -> None:
    assert PinyinCorrector([]).correct("桂成街道") == ("桂成街道", [])


def test_clean_phrases() -> None:
    assert clean_phrases(["井盖", "井盖", "A路", "长" * 20, "x", "灯"]) == ["井盖"]


def test_gazetteer_phrases(tmp_path: Path) -> None:
    gazetteer = tmp_path / "g.yaml"
    gazetteer.write_text(
        "district_aliases: [南海]\nstreets:\n  - {name: 桂城街道, aliases: [桂城]}\nroads:\n  - {name: 海五路}\n"
        "version: 1\n",
        encoding="utf-8",
    )
    assert set(gazetteer_phrases(gazetteer)) == {"南海", "桂城街道", "桂城", "海五路"}
    assert gazetteer_phrases(tmp_path / "missing.yaml") == []
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"\xff\xfe: [")
    assert gazetteer_phrases(broken) == []


def test_taxonomy_phrases_is_a_list() -> None:
    phrases = taxonomy_phrases()
    assert isinstance(phrases, list)
    assert all(isinstance(p, str) for p in phrases)


def test_segment_and_grammar() -> None:
    vocabulary = {"桂城", "街道", "井盖", "[unk]"}
    assert segment("桂城街道", vocabulary) == ["桂城", "街道"]
    assert segment("海五路", vocabulary) is None
    assert json.loads(grammar_for(["桂城街道", "海五路", "井盖"], vocabulary)) == ["桂城 街道", "井盖", "[unk]"]
