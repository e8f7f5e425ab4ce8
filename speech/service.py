"""Speech intake as the product uses it: a recording or a live call in, a transcript and an order suggestion out.

``transcribe`` runs a whole recording through a ``Stream`` (so a file and a live call give the same results), and
``CallSession`` wraps a live call: after each final utterance it runs the analysis pipeline
(``hotline.pipeline.Pipeline``) on the transcript so far, so the suggested order fills in while the caller speaks.
The CLI (``speech.cli``) and the API router (``connectors.api.routers.speech``) are thin layers over this module.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from speech.audio import MODEL_RATE, Audio, decode, to_pcm16
from speech.recognizer import BiasMode, Event, SpeechEngine, TextOptions, Utterance

log = logging.getLogger(__name__)

MAX_ANALYSIS_CHARS = 5000
"""Only the last this-many characters of a long call are analysed (the product's ``max_text_chars`` default)."""
CHUNK_SECONDS = 0.5


@dataclass
class Transcript:
    """The result of transcribing one recording."""

    text: str
    raw: str
    utterances: list[Utterance] = field(default_factory=list)
    duration_s: float = 0.0
    audio: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    grammar_used: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_facts(engine: SpeechEngine) -> dict[str, Any]:
    """What an API client may know about the model in use (no file paths)."""
    return {"name": engine.info.name, "graph": engine.info.graph, "grammar": engine.supports_grammar}


def transcribe(
    source: Audio | bytes | Path,
    engine: SpeechEngine,
    bias: BiasMode = "auto",
    phrases: Sequence[str] | None = None,
    text: TextOptions | None = None,
) -> Transcript:
    """Transcribe a whole recording (decoded here unless an ``Audio`` is given); raises ``AudioError`` on bad audio."""
    audio = source if isinstance(source, Audio) else decode(source)
    stream = engine.stream(MODEL_RATE, bias, phrases, text)
    pcm = to_pcm16(audio.samples)
    step = int(MODEL_RATE * CHUNK_SECONDS) * 2
    for offset in range(0, len(pcm), step):
        stream.feed(pcm[offset : offset + step])
    stream.finish()
    return Transcript(
        text=stream.transcript,
        raw=stream.raw_transcript,
        utterances=stream.utterances,
        duration_s=round(audio.duration_s, 3),
        audio={"sample_rate": audio.source_rate, "channels": audio.source_channels, "format": audio.source_format},
        model=model_facts(engine),
        grammar_used=stream.grammar_used,
    )


def suggest(pipeline: Any, text: str, channel: str = "phone") -> dict[str, Any] | None:
    """Run the analysis pipeline on a transcript; None for an empty transcript (silence makes no order)."""
    text = text.strip()
    if not text or pipeline is None:
        return None
    case = pipeline.analyse(text[-MAX_ANALYSIS_CHARS:], channel=channel)
    return case.to_dict()


class CallSession:
    """A live call: recognition events plus an order suggestion refreshed after each final utterance.

    ``feed`` and ``finish`` return JSON-ready events: ``{"type": "partial", ...}``, ``{"type": "final", ...}``,
    ``{"type": "suggestion", "case": {...}}`` and, if the analysis fails, ``{"type": "error", "code":
    "analysis_failed", ...}`` (the call goes on).
    """

    def __init__(
        self,
        engine: SpeechEngine,
        pipeline: Any,
        sample_rate: int = MODEL_RATE,
        bias: BiasMode = "auto",
        phrases: Sequence[str] | None = None,
        text: TextOptions | None = None,
        channel: str = "phone",
    ):
        self.stream = engine.stream(sample_rate, bias, phrases, text)
        self.pipeline = pipeline
        self.channel = channel
        self.suggestion: dict[str, Any] | None = None

    def feed(self, pcm: bytes) -> list[dict[str, Any]]:
        """Process one chunk of PCM; return the events to send."""
        return self._with_suggestions(self.stream.feed(pcm))

    def finish(self) -> list[dict[str, Any]]:
        """End of the call's audio: the last final result and suggestion."""
        return self._with_suggestions(self.stream.finish())

    @property
    def transcript(self) -> str:
        return self.stream.transcript

    def _with_suggestions(self, events: list[Event]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        finals = 0
        for event in events:
            out.append(event.to_dict())
            finals += isinstance(event, Utterance)
        if finals:
            try:
                suggestion = suggest(self.pipeline, self.transcript, self.channel)
            except Exception as exc:  # noqa: BLE001 - a failing analysis must not end a live call
                log.exception("analysis of a call transcript failed")
                out.append(
                    {"type": "error", "code": "analysis_failed", "message": f"分析失败 / Analysis failed: {exc}"}
                )
            else:
                if suggestion is not None:
                    self.suggestion = suggestion
                    out.append({"type": "suggestion", "transcript": self.transcript, "case": suggestion})
        return out
