"""Spoken hotline sentences through the whole path (audio → Vosk → clean-up → analysis) into an order suggestion.

The tiny model's words are meaningless, so these tests check behaviour: every sentence is heard as speech, yields a
cleaned transcript, and the pipeline turns it into a case. espeak-ng speaks the sentences; the ../shared espeak-ng
clips are used too when that folder is present.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from speech.audio import decode, to_pcm16
from speech.service import CallSession, transcribe

SHARED = Path(os.environ.get("HOTLINE_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SENTENCES = (
    "我要反映一下桂城街道海五路有个井盖丢了",
    "南海大道北的路灯已经坏了一个星期没人修",
    "千灯湖公园附近有人占道经营卖水果",
)


def test_espeak_call_becomes_an_order(espeak, lookahead_engine, pipeline) -> None:  # type: ignore[no-untyped-def]
    gap = np.zeros(int(1.5 * 16000), dtype=np.float32)
    audio = np.concatenate([part for sentence in SENTENCES for part in (espeak(sentence), gap)])
    session = CallSession(lookahead_engine, pipeline, 16000)
    pcm = to_pcm16(audio)
    events = []
    for offset in range(0, len(pcm), 3200):
        events += session.feed(pcm[offset : offset + 3200])
    events += session.finish()
    finals = [e for e in events if e["type"] == "final"]
    suggestions = [e for e in events if e["type"] == "suggestion"]
    assert len(finals) == len(SENTENCES), "each sentence ends at a pause"
    assert len(suggestions) == len(finals)
    case = suggestions[-1]["case"]
    assert case["text"] == session.transcript and case["channel"] == "phone"
    assert case["trace"], "the analysis pipeline ran on the transcript"


def test_espeak_recording_static_model(espeak, static_engine, synth) -> None:  # type: ignore[no-untyped-def]
    wav = synth["wav"](espeak(SENTENCES[0]), 16000)
    result = transcribe(wav, static_engine, bias="correction")
    assert result.text and " " not in result.text
    assert result.duration_s > 2


@pytest.mark.skipif(not (SHARED / "speech" / "synthetic").is_dir(), reason=f"{SHARED}/speech not present (optional data)")
def test_shared_espeak_clips(lookahead_engine, pipeline) -> None:  # type: ignore[no-untyped-def]
    from speech.service import suggest

    clips = sorted((SHARED / "speech" / "synthetic" / "espeak-ng-cmn").glob("*.wav"))[:3]
    assert clips
    for clip in clips:
        result = transcribe(decode(clip), lookahead_engine)
        assert result.text
        assert suggest(pipeline, result.text)["trace"]
