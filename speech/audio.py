"""Audio in: decode recordings, mix to mono, resample to the model's rate, and convert to 16-bit PCM for Vosk.

Recordings are decoded with ``soundfile`` (libsndfile: WAV in any PCM/float flavour, FLAC, OGG/Vorbis, Opus, MP3),
resampled with ``soxr`` (the SoX resampler, high quality, also in streaming form for live calls). Telephone audio
(8 kHz) and other rates are resampled up or down to the model's 16 kHz; stereo is mixed down.

Every failure is an ``AudioError`` with a Chinese + English message and a machine code the API maps to a status.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

MODEL_RATE = 16000
MIN_RATE = 4000
MAX_RATE = 192000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest recording accepted by ``hotline transcribe`` and the upload endpoint (about 26 minutes of 16 kHz WAV)."""
MAX_DURATION_S = 60 * 60
"""Longest recording accepted for transcription in one go (a one-hour call); longer ones must be streamed."""


class AudioError(ValueError):
    """Audio that cannot be used. ``code``: empty | too_large | too_long | unsupported | bad_rate | truncated."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Audio:
    """Decoded audio: mono float32 samples in [-1, 1] at ``rate`` Hz, with what the source looked like."""

    samples: np.ndarray
    rate: int
    source_rate: int
    source_channels: int
    source_format: str

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0


def check_rate(rate: int) -> int:
    """Validate a sample rate given by a client; return it as int."""
    if not isinstance(rate, int | float) or not MIN_RATE <= int(rate) <= MAX_RATE:
        raise AudioError(
            "bad_rate",
            f"不支持的采样率：{rate}（支持 {MIN_RATE}–{MAX_RATE} Hz） / Unsupported sample rate {rate} "
            f"(supported: {MIN_RATE}–{MAX_RATE} Hz)",
        )
    return int(rate)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; 1-D input is returned as is."""
    return samples.mean(axis=1) if samples.ndim == 2 else samples


def resample(samples: np.ndarray, source_rate: int, target_rate: int = MODEL_RATE) -> np.ndarray:
    """Resample mono float32 audio (no-op when the rates are equal)."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples.astype(np.float32, copy=False), source_rate, target_rate).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] → little-endian signed 16-bit PCM bytes (clipped)."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM bytes → float32 samples (an odd trailing byte is ignored)."""
    usable = len(data) - (len(data) % 2)
    return np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0


def decode(data: bytes | Path, target_rate: int = MODEL_RATE, max_bytes: int = MAX_UPLOAD_BYTES) -> Audio:
    """Decode a recording (bytes or a file path) to mono float32 at ``target_rate``.

    Raises ``AudioError`` for empty, oversized, truncated, too long or undecodable input.
    """
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
        except OSError as exc:
            raise AudioError("unsupported", f"无法读取文件：{data} / Cannot read {data}: {exc.strerror}") from exc
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        data = data.read_bytes()
    if len(data) == 0:
        raise AudioError("empty", "音频为空（0 字节） / The audio is empty (0 bytes)")
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as handle:
            info_rate, channels, fmt = handle.samplerate, handle.channels, f"{handle.format}/{handle.subtype}"
            if handle.frames > 0 and handle.frames / info_rate > MAX_DURATION_S:
                raise AudioError(
                    "too_long",
                    f"录音过长（{handle.frames / info_rate / 60:.0f} 分钟，上限 {MAX_DURATION_S // 60} 分钟），请用流式接口 / "
                    f"Recording too long ({handle.frames / info_rate:.0f} s > {MAX_DURATION_S} s); use the stream endpoint",
                )
            samples = handle.read(dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(
            "unsupported",
            "无法识别的音频格式（支持 WAV、FLAC、OGG、MP3） / Unrecognised or damaged audio "
            f"(supported: WAV, FLAC, OGG, MP3): {exc}",
        ) from exc
    if samples.shape[0] == 0:
        raise AudioError("truncated", "音频不含任何采样（文件被截断？） / The audio holds no samples (truncated file?)")
    check_rate(info_rate)
    mono = to_mono(samples)
    return Audio(resample(mono, info_rate, target_rate), target_rate, info_rate, channels, fmt)


def _too_large(size: int, limit: int) -> AudioError:
    return AudioError(
        "too_large",
        f"音频过大：{size / 1e6:.1f} MB（上限 {limit / 1e6:.0f} MB） / Audio too large: {size} bytes (limit {limit})",
    )


class StreamResampler:
    """Turn a live stream of 16-bit PCM at any rate into 16-bit PCM at the model rate, chunk by chunk.

    Keeps an odd trailing byte for the next chunk, so clients may cut frames anywhere.
    """

    def __init__(self, source_rate: int, target_rate: int = MODEL_RATE):
        self.source_rate = check_rate(source_rate)
        self.target_rate = target_rate
        self._carry = b""
        self._stream = (
            None if self.source_rate == target_rate else soxr.ResampleStream(self.source_rate, target_rate, 1, "float32")
        )

    def feed(self, data: bytes) -> bytes:
        """Convert one chunk; returns the PCM ready so far (may be empty)."""
        data = self._carry + data
        if len(data) % 2:
            self._carry, data = data[-1:], data[:-1]
        else:
            self._carry = b""
        if self._stream is None:
            return data
        return to_pcm16(self._stream.resample_chunk(pcm16_to_float(data)))

    def flush(self) -> bytes:
        """The samples the resampler still holds, at the end of the stream."""
        if self._stream is None:
            return b""
        return to_pcm16(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
