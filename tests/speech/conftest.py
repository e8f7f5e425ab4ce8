"""Fixtures for the speech tests: tiny real Vosk models, synthetic audio, espeak-ng speech and an analysis pipeline.

Nothing here needs ../shared or a downloaded model: the models are generated (``speech.tiny_model``) and the audio is
synthesised (harmonic "vowels" separated by silences) or spoken by espeak-ng when it is installed.
(No ``__init__.py`` in this folder on purpose: it would shadow the real ``speech`` package.)
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile

from speech.recognizer import SpeechEngine
from speech.tiny_model import build_tiny_model

RATE = 16000
HOTLINE_SENTENCES = (
    "我要反映一下桂城街道海五路有个井盖丢了",
    "南海大道北的路灯已经坏了一个星期没人修",
    "千灯湖公园附近有人占道经营卖水果",
)


@pytest.fixture(scope="session")
def lookahead_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("vosk-lookahead"), "lookahead")


@pytest.fixture(scope="session")
def static_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("vosk-static"), "static")


@pytest.fixture(scope="session")
def lookahead_engine(lookahead_model: Path) -> SpeechEngine:
    return SpeechEngine(lookahead_model, ["桂城街道", "海五路", "井盖", "南海大道"])


@pytest.fixture(scope="session")
def static_engine(static_model: Path) -> SpeechEngine:
    return SpeechEngine(static_model, ["桂城街道", "海五路", "井盖", "南海大道"])


def vowel(seconds: float, f0: float, tilt: float, rate: int = RATE) -> np.ndarray:
    """A voiced, speech-like sound: harmonics of ``f0`` with spectral tilt ``tilt`` and a smooth envelope."""
    t = np.arange(int(seconds * rate)) / rate
    signal = sum((1.0 / k**tilt) * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 25) if f0 * k < rate / 2)
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    signal = signal * envelope
    return (0.3 * signal / (np.abs(signal).max() or 1.0)).astype(np.float32)


def utterance_audio(syllables: int = 6, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """A "sentence": ``syllables`` vowels of varied pitch and colour with short gaps."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(syllables):
        parts.append(vowel(rng.uniform(0.15, 0.3), rng.uniform(110, 260), rng.uniform(0.5, 2.0), rate))
        parts.append(np.zeros(int(rng.uniform(0.03, 0.08) * rate), dtype=np.float32))
    return np.concatenate(parts)


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), dtype=np.float32)


def call_audio(utterances: int = 2, pause: float = 1.5, rate: int = RATE) -> np.ndarray:
    """Several utterances separated by pauses long enough for an endpoint, with silence around."""
    parts = [silence(0.3, rate)]
    for index in range(utterances):
        parts += [utterance_audio(6, seed=index, rate=rate), silence(pause, rate)]
    return np.concatenate(parts)


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def wav_bytes(samples: np.ndarray, rate: int = RATE, subtype: str = "PCM_16", channels: int = 1) -> bytes:
    data = np.stack([samples] * channels, axis=1) if channels > 1 else samples
    buffer = io.BytesIO()
    soundfile.write(buffer, data, rate, subtype=subtype, format="WAV")
    return buffer.getvalue()


@pytest.fixture
def synth() -> dict[str, Callable[..., object]]:
    """The audio helpers above, for tests."""
    return {
        "vowel": vowel, "utterance": utterance_audio, "silence": silence, "call": call_audio,
        "pcm16": pcm16, "wav": wav_bytes,
    }


@pytest.fixture(scope="session")
def espeak() -> Callable[[str], np.ndarray]:
    """Speak Chinese text with espeak-ng (voice cmn) and return 16 kHz mono float samples."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng); the tone-based tests cover the same path")

    def speak(text: str) -> np.ndarray:
        out = subprocess.run([binary, "-v", "cmn", "-s", "150", "--stdout", text], capture_output=True, check=True)
        samples, rate = soundfile.read(io.BytesIO(out.stdout), dtype="float32")
        from speech.audio import resample, to_mono

        return resample(to_mono(samples), rate, RATE)

    return speak


def feed_in_chunks(stream: object, pcm: bytes, chunk: int = 3200) -> list[object]:
    events: list[object] = []
    for offset in range(0, len(pcm), chunk):
        events += stream.feed(pcm[offset : offset + chunk])  # type: ignore[attr-defined]
    events += stream.finish()  # type: ignore[attr-defined]
    return events


@pytest.fixture
def feed() -> Callable[..., list[object]]:
    return feed_in_chunks


@pytest.fixture(scope="session")
def pipeline() -> object:
    """The product's analysis pipeline; if it cannot be built yet, a pipeline of the components that exist."""
    from hotline.pipeline import Pipeline, PipelineContext, load_pipeline

    try:
        return load_pipeline()
    except Exception:  # noqa: BLE001 - other packages may be unfinished; fall back to what is registered
        from hotline.registry import components
        from hotline.settings import get_settings

        steps = []
        for name in ("normalize_text", "category_keyword", "location_gazetteer", "urgency_cues"):
            try:
                steps.append((name, components.get(name)(None)))
            except Exception:  # noqa: BLE001
                continue

        def note_length(case: object) -> object:
            case.notes["chars"] = len(case.text)  # type: ignore[attr-defined]
            return case

        steps.append(("note_length", note_length))
        return Pipeline(steps, PipelineContext(settings=get_settings(), city=None))  # type: ignore[arg-type]


@pytest.fixture
def use_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path | None], None]]:
    """Point the product at a model folder (``HOTLINE_VOSK_MODEL``), or at a missing one with ``None``."""

    def choose(path: Path | None) -> None:
        monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(path) if path else os.path.join(os.sep, "nonexistent", "vosk"))

    yield choose


def words_of(events: Sequence[object]) -> list[str]:
    return [w.word for e in events if getattr(e, "type", "") == "final" for w in e.words]  # type: ignore[attr-defined]
