"""The generated tiny models are real Vosk models: both graph kinds load and decode."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from speech.fst import FST_MAGIC, Fst, const_fst_bytes
from speech.model import check_model_dir
from speech.tiny_model import DEFAULT_WORDS, build_tiny_model, word_phones


def test_const_fst_header_is_openfst() -> None:
    fst = Fst()
    state = fst.add_state()
    fst.set_final(state)
    fst.add_arc(state, 1, 1, 0.5, state)
    data = const_fst_bytes(fst)
    assert struct.unpack("<i", data[:4])[0] == FST_MAGIC
    assert data[8:13] == b"const"
    # header (4 + 9 + 12 + 4 + 4 + 8 + 8 + 8 + 8) + one state (20 bytes) + one arc (16 bytes)
    assert len(data) == 65 + 20 + 16


@pytest.mark.parametrize("kind,graph_file", [("static", "HCLG.fst"), ("lookahead", "HCLr.fst")])
def test_build_and_check(tmp_path: Path, kind: str, graph_file: str) -> None:
    model = build_tiny_model(tmp_path / kind, kind)  # type: ignore[arg-type]
    info = check_model_dir(model)
    assert info.graph == kind
    assert (model / "graph" / graph_file).stat().st_size > 0
    words = (model / "graph" / "words.txt").read_text(encoding="utf-8").split("\n")
    assert words[0] == "<eps> 0" and f"{DEFAULT_WORDS[0]} 1" in words


def test_rebuilding_switches_graph_kind(tmp_path: Path) -> None:
    build_tiny_model(tmp_path, "static")
    build_tiny_model(tmp_path, "lookahead")
    assert not (tmp_path / "graph" / "HCLG.fst").exists()  # vosk would prefer a stale HCLG.fst
    assert check_model_dir(tmp_path).graph == "lookahead"


def test_pronunciations_are_deterministic() -> None:
    assert word_phones("井盖") == word_phones("井盖")
    assert all(2 <= len(word_phones(w)) <= 3 for w in DEFAULT_WORDS)


def test_rejects_empty_vocabulary(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_tiny_model(tmp_path, "static", words=["", "a b"])


def test_vosk_loads_both(lookahead_engine, static_engine) -> None:  # type: ignore[no-untyped-def]
    assert lookahead_engine.supports_grammar and not static_engine.supports_grammar
    assert "井盖" in lookahead_engine.vocabulary and "<eps>" not in lookahead_engine.vocabulary
