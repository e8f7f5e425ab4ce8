"""Streaming recognition through the real Vosk library on the tiny models (assert behaviour, never words)."""

from __future__ import annotations

import json

import pytest

from speech import recognizer as recognizer_module
from speech.recognizer import Partial, Utterance


def finals(events: list) -> list[Utterance]:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, Utterance)]


@pytest.mark.parametrize("engine_name", ["lookahead_engine", "static_engine"])
def test_partials_then_finals_at_endpoints(request, synth, feed, engine_name: str) -> None:  # type: ignore[no-untyped-def]
    engine = request.getfixturevalue(engine_name)
    stream = engine.stream(16000)
    events = feed(stream, synth["pcm16"](synth["call"](utterances=2, pause=1.5)))
    utterances = finals(events)
    assert len(utterances) == 2, "two utterances separated by 1.5 s of silence → two endpoints"
    first_final = events.index(utterances[0])
    assert any(isinstance(e, Partial) for e in events[:first_final]), "partials arrive before the final"
    assert all(e.raw and e.text for e in events if isinstance(e, Partial))
    # consecutive partials differ (only changes are reported)
    partial_texts = [e.raw for e in events[:first_final] if isinstance(e, Partial)]
    assert all(a != b for a, b in zip(partial_texts, partial_texts[1:]))


def test_word_times_and_confidences(lookahead_engine, synth, feed) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(16000)
    utterances = finals(feed(stream, synth["pcm16"](synth["call"](utterances=2, pause=1.5))))
    for utterance in utterances:
        assert utterance.words, "word-level results are kept"
        assert utterance.raw.split() == [w.word for w in utterance.words]
        assert " " not in utterance.text
        for word in utterance.words:
            assert 0.0 <= word.start <= word.end
            assert 0.0 <= word.conf <= 1.0
        assert utterance.start == utterance.words[0].start and utterance.end == utterance.words[-1].end
        assert 0.0 < utterance.confidence <= 1.0
    # times count from the start of the call, not of the utterance
    assert utterances[1].start >= utterances[0].end
    assert utterances[1].start > 2.0
    assert [u.index for u in utterances] == [0, 1]


def test_silence_gives_nothing(lookahead_engine, synth, feed) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(16000)
    events = feed(stream, synth["pcm16"](synth["silence"](3.0)))
    assert events == [] and stream.transcript == ""


def test_8khz_telephone_audio_is_resampled(lookahead_engine, synth, feed) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(8000)
    audio = synth["call"](utterances=2, pause=1.5, rate=8000)
    utterances = finals(feed(stream, synth["pcm16"](audio)))
    assert len(utterances) == 2
    assert stream.audio_seconds == pytest.approx(len(audio) / 8000, abs=0.05)


def test_odd_sized_chunks(lookahead_engine, synth) -> None:  # type: ignore[no-untyped-def]
    pcm = synth["pcm16"](synth["call"](utterances=1, pause=1.2))
    stream = lookahead_engine.stream(16000)
    events = []
    for offset in range(0, len(pcm), 777):  # odd sizes split samples between chunks
        events += stream.feed(pcm[offset : offset + 777])
    events += stream.finish()
    assert len(finals(events)) == 1
    assert stream.finish() == []  # finishing twice is harmless


def test_grammar_mode_limits_words(lookahead_engine, synth, feed) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(16000, bias="grammar", phrases=["井盖", "路灯"])
    assert stream.grammar_used
    utterances = finals(feed(stream, synth["pcm16"](synth["call"](utterances=2, pause=1.5))))
    words = {w.word for u in utterances for w in u.words}
    assert words and words <= {"井盖", "路灯"}


def test_free_mode_uses_whole_vocabulary(lookahead_engine, synth, feed) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(16000, bias="none")
    assert not stream.grammar_used
    utterances = finals(feed(stream, synth["pcm16"](synth["call"](utterances=2, pause=1.5))))
    words = {w.word for u in utterances for w in u.words}
    assert words - {"井盖", "路灯"}, "without a grammar other words are recognised too"


def test_static_model_ignores_grammar(static_engine) -> None:  # type: ignore[no-untyped-def]
    assert static_engine.grammar(["井盖"]) is None
    assert not static_engine.stream(16000, bias="grammar", phrases=["井盖"]).grammar_used


def test_grammar_skips_unspellable_phrases(lookahead_engine) -> None:  # type: ignore[no-untyped-def]
    grammar = json.loads(lookahead_engine.grammar(["桂城街道", "不存在的词"]))
    assert grammar == ["桂城 街道"]
    assert lookahead_engine.grammar(["完全未知"]) is None


def test_long_call_keeps_bounded_history(lookahead_engine, synth, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(recognizer_module, "MAX_UTTERANCES", 2)
    stream = lookahead_engine.stream(16000)
    pcm = synth["pcm16"](synth["call"](utterances=4, pause=1.2))
    for offset in range(0, len(pcm), 8000):
        stream.feed(pcm[offset : offset + 8000])
    stream.finish()
    assert len(stream.utterances) == 2
    assert stream.utterances[-1].index == 3
    assert stream.transcript.count("，") == 3, "folded utterances stay in the transcript"


def test_feed_after_finish_is_an_error(lookahead_engine) -> None:  # type: ignore[no-untyped-def]
    stream = lookahead_engine.stream(16000)
    stream.finish()
    with pytest.raises(RuntimeError):
        stream.feed(b"\0\0")
