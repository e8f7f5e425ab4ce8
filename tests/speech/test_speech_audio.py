"""Decoding recordings and resampling streams; bad audio gets a precise AudioError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speech.audio import MODEL_RATE, AudioError, StreamResampler, check_rate, decode


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000])
def test_any_common_rate_is_resampled(synth, rate: int) -> None:  # type: ignore[no-untyped-def]
    audio = decode(synth["wav"](synth["vowel"](0.5, 200, 1.0, rate), rate))
    assert audio.rate == MODEL_RATE and audio.source_rate == rate
    assert audio.duration_s == pytest.approx(0.5, abs=0.01)
    assert audio.samples.dtype == np.float32


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "FLOAT"])
def test_sample_formats(synth, subtype: str) -> None:  # type: ignore[no-untyped-def]
    audio = decode(synth["wav"](synth["vowel"](0.3, 200, 1.0), subtype=subtype))
    assert abs(audio.samples).max() > 0.1


def test_stereo_is_mixed_down(synth) -> None:  # type: ignore[no-untyped-def]
    audio = decode(synth["wav"](synth["vowel"](0.3, 200, 1.0), channels=2))
    assert audio.source_channels == 2 and audio.samples.ndim == 1


def test_flac(tmp_path: Path, synth) -> None:  # type: ignore[no-untyped-def]
    import soundfile

    path = tmp_path / "x.flac"
    soundfile.write(path, synth["vowel"](0.3, 200, 1.0), 8000, format="FLAC")
    assert decode(path).source_format.startswith("FLAC")


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty"),
        (b"this is not audio at all" * 10, "unsupported"),
        ("你好".encode("utf-8"), "unsupported"),
        (b"\x00" * 1000, "unsupported"),
    ],
)
def test_bad_input(data: bytes, code: str) -> None:
    with pytest.raises(AudioError) as info:
        decode(data)
    assert info.value.code == code
    assert " / " in str(info.value)  # Chinese / English


def test_truncated_wav(synth) -> None:  # type: ignore[no-untyped-def]
    wav = synth["wav"](synth["vowel"](0.3, 200, 1.0))
    with pytest.raises(AudioError):
        decode(wav[:30])  # header cut inside the fmt chunk
    audio = decode(wav[: len(wav) // 2])  # data cut short: what is there is used
    assert 0.1 < audio.duration_s < 0.3


def test_header_only_wav(synth) -> None:  # type: ignore[no-untyped-def]
    wav = synth["wav"](np.zeros(0, dtype=np.float32))
    with pytest.raises(AudioError) as info:
        decode(wav)
    assert info.value.code == "truncated"


def test_too_large(synth) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AudioError) as info:
        decode(synth["wav"](synth["vowel"](0.3, 200, 1.0)), max_bytes=1000)
    assert info.value.code == "too_large"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        decode(tmp_path / "nope.wav")


@pytest.mark.parametrize("rate", [0, -8000, 100, 10**7])
def test_bad_rates(rate: int) -> None:
    with pytest.raises(AudioError) as info:
        check_rate(rate)
    assert info.value.code == "bad_rate"


def test_stream_resampler_keeps_length(synth) -> None:  # type: ignore[no-untyped-def]
    pcm = synth["pcm16"](synth["vowel"](1.0, 200, 1.0, 8000))
    resampler = StreamResampler(8000)
    out = b"".join(resampler.feed(pcm[i : i + 333]) for i in range(0, len(pcm), 333)) + resampler.flush()
    assert len(out) % 2 == 0
    assert len(out) // 2 == pytest.approx(16000, abs=40)


def test_stream_resampler_passthrough() -> None:
    resampler = StreamResampler(16000)
    assert resampler.feed(b"\x01") == b""
    assert resampler.feed(b"\x02\x03") == b"\x01\x02"
    assert resampler.flush() == b""
