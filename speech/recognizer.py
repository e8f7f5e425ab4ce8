"""Streaming recognition on Vosk: a loaded model (``SpeechEngine``) and one recogniser per call (``Stream``).

A ``Stream`` takes 16-bit mono PCM at any rate in chunks of any size and yields events:

* ``Partial`` — the hypothesis of the utterance in progress, whenever it changes;
* ``Utterance`` — a final result at an endpoint (a pause; Vosk's endpoint rules in ``conf/model.conf``), with the
  raw Vosk text, the cleaned text (spaces removed, ITN, domain correction, optional punctuation) and every word with
  its start/end time in the call and its confidence.

Vosk's ``Model`` is loaded once per process and shared; each call gets its own ``KaldiRecognizer``. Vosk releases the
GIL while decoding, so streams run in parallel threads. Memory stays bounded on a one-hour call: Vosk restarts its
feature pipeline every ~10 minutes by itself, and a ``Stream`` keeps the text of at most ``MAX_UTTERANCES``
utterances (older ones are folded into one text-only record).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from speech import cleanup
from speech.audio import MODEL_RATE, StreamResampler
from speech.biasing import Correction, PinyinCorrector, grammar_for
from speech.model import ModelInfo, check_model_dir, default_model_dir

log = logging.getLogger(__name__)

BiasMode = Literal["auto", "grammar", "correction", "none"]
MAX_UTTERANCES = 500
FEED_BLOCK_BYTES = MODEL_RATE * 2 // 5
"""Audio is handed to Vosk in blocks of 0.2 s (Vosk checks endpoints once per call)."""


@dataclass(frozen=True)
class Word:
    """One recognised word, times in seconds from the start of the call."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Partial:
    """The current hypothesis of the utterance in progress."""

    raw: str
    text: str
    type: str = "partial"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Utterance:
    """One final result, between two endpoints."""

    index: int
    raw: str
    """Vosk's text, words separated by spaces, untouched."""
    text: str
    """Cleaned: words joined, spoken numbers as digits, phrase corrections, punctuation if enabled."""
    words: list[Word] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    confidence: float = 0.0
    """Mean word confidence (0 when there are no words)."""
    corrections: list[Correction] = field(default_factory=list)
    type: str = "final"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Event = Partial | Utterance


@dataclass
class TextOptions:
    """How recogniser output is cleaned."""

    itn: bool = True
    punctuation: bool = False
    correction: bool = True


class SpeechEngine:
    """A loaded Vosk model plus what the product knows about it (graph kind, vocabulary, phrase list)."""

    def __init__(self, model_dir: Path | None = None, phrases: Sequence[str] = ()):
        import vosk  # imported here so that the text channels never need the native library

        vosk.SetLogLevel(-1)
        self.info: ModelInfo = check_model_dir(model_dir or default_model_dir())
        try:
            self._model = vosk.Model(str(self.info.path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise RuntimeError(
                f"语音模型加载失败：{self.info.path} / Vosk could not load the model in {self.info.path}: {exc}"
            ) from exc
        self.vocabulary = _read_vocabulary(self.info.path / "graph" / "words.txt")
        self.phrases = list(phrases)
        self.corrector = PinyinCorrector(self.phrases)
        self._vosk = vosk

    @property
    def supports_grammar(self) -> bool:
        return self.info.supports_grammar

    def recognizer(self, grammar: str | None = None) -> Any:
        """A new ``KaldiRecognizer`` at the model rate, with word times; with ``grammar`` if the model allows it."""
        if grammar is not None and self.supports_grammar:
            rec = self._vosk.KaldiRecognizer(self._model, float(MODEL_RATE), grammar)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, float(MODEL_RATE))
        rec.SetWords(True)
        rec.SetPartialWords(False)
        return rec

    def grammar(self, phrases: Iterable[str]) -> str | None:
        """The Vosk grammar for a phrase list (None when the model has no runtime graphs or nothing is spellable)."""
        if not self.supports_grammar:
            return None
        grammar = grammar_for(phrases, self.vocabulary)
        return grammar if json.loads(grammar) not in ([], ["[unk]"]) else None

    def stream(
        self,
        sample_rate: int = MODEL_RATE,
        bias: BiasMode = "auto",
        phrases: Sequence[str] | None = None,
        text: TextOptions | None = None,
    ) -> Stream:
        """Open a recognition stream for one call (see ``Stream``)."""
        return Stream(self, sample_rate, bias, phrases, text or TextOptions())


def _read_vocabulary(path: Path) -> set[str]:
    vocabulary: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            word = line.split(" ", 1)[0].strip()
            if word and not word.startswith(("#", "<")):
                vocabulary.add(word)
    return vocabulary


_ENGINES: dict[Path, SpeechEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(model_dir: Path | None = None, phrases: Sequence[str] | None = None) -> SpeechEngine:
    """The process-wide engine for a model folder (loaded on first use; ``ModelError`` if none is installed).

    ``phrases`` defaults to the configured city's phrase list (``speech.biasing.city_phrases``).
    """
    path = (model_dir or default_model_dir()).resolve()
    with _ENGINES_LOCK:
        engine = _ENGINES.get(path)
        if engine is None:
            if phrases is None:
                from speech.biasing import city_phrases

                phrases = city_phrases()
            engine = SpeechEngine(path, phrases)
            _ENGINES[path] = engine
        return engine


class Stream:
    """Recognition of one call: feed PCM chunks, collect partial and final events, then ``finish``."""

    def __init__(
        self,
        engine: SpeechEngine,
        sample_rate: int,
        bias: BiasMode,
        phrases: Sequence[str] | None,
        text: TextOptions,
    ):
        self.engine = engine
        self.text_options = text
        self.resampler = StreamResampler(sample_rate, MODEL_RATE)
        grammar = None
        if bias == "grammar" or (bias == "auto" and phrases):
            grammar = engine.grammar(phrases or engine.phrases)
        self.grammar_used = grammar is not None
        self.correction_used = bias in ("auto", "correction", "grammar") and text.correction
        self._rec = engine.recognizer(grammar)
        self._pending = b""
        self._last_partial = ""
        self.utterances: list[Utterance] = []
        self._folded_text = ""
        self._count = 0
        self.samples_in = 0
        self.closed = False

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received so far (at the model rate)."""
        return self.samples_in / MODEL_RATE

    def feed(self, pcm: bytes) -> list[Event]:
        """Accept a chunk of 16-bit mono PCM at the stream's sample rate; return the events it produced."""
        if self.closed:
            raise RuntimeError("stream already finished")
        data = self._pending + self.resampler.feed(pcm)
        events: list[Event] = []
        block = FEED_BLOCK_BYTES
        usable = len(data) - len(data) % block
        for offset in range(0, usable, block):
            events += self._accept(data[offset : offset + block])
        self._pending = data[usable:]
        return events

    def _accept(self, chunk: bytes) -> list[Event]:
        self.samples_in += len(chunk) // 2
        if self._rec.AcceptWaveform(chunk):
            self._last_partial = ""
            utterance = self._utterance(json.loads(self._rec.Result()))
            return [utterance] if utterance else []
        raw = json.loads(self._rec.PartialResult()).get("partial", "")
        if raw and raw != self._last_partial:
            self._last_partial = raw
            return [Partial(raw=raw, text=self.clean(raw)[0])]
        return []

    def finish(self) -> list[Event]:
        """End of audio: flush what is buffered and return the last final result (if any speech was pending)."""
        if self.closed:
            return []
        events: list[Event] = []
        tail = self._pending + self.resampler.flush()
        self._pending = b""
        if tail:
            events += self._accept(tail) if len(tail) >= 2 else []
        utterance = self._utterance(json.loads(self._rec.FinalResult()))
        if utterance:
            events.append(utterance)
        self.closed = True
        return events

    def clean(self, raw: str, words: Sequence[Word] = ()) -> tuple[str, list[Correction]]:
        """Raw Vosk text → display text (see ``TextOptions``)."""
        options = self.text_options
        if options.punctuation and words:
            text = cleanup.punctuate([(w.word, w.start, w.end) for w in words])
        else:
            text = cleanup.join_words(raw)
        corrections: list[Correction] = []
        if self.correction_used:
            text, corrections = self.engine.corrector.correct(text)
        if options.itn:
            text = cleanup.inverse_normalize(text)
        return text, corrections

    def _utterance(self, result: dict[str, Any]) -> Utterance | None:
        raw = (result.get("text") or "").strip()
        if not raw:
            return None
        words = [
            Word(w["word"], round(float(w["start"]), 3), round(float(w["end"]), 3), round(float(w.get("conf", 0)), 3))
            for w in result.get("result", [])
        ]
        text, corrections = self.clean(raw, words)
        utterance = Utterance(
            index=self._count,
            raw=raw,
            text=text,
            words=words,
            start=words[0].start if words else 0.0,
            end=words[-1].end if words else 0.0,
            confidence=round(sum(w.conf for w in words) / len(words), 3) if words else 0.0,
            corrections=corrections,
        )
        self._count += 1
        self.utterances.append(utterance)
        if len(self.utterances) > MAX_UTTERANCES:
            oldest = self.utterances.pop(0)
            self._folded_text = "，".join(t for t in (self._folded_text, oldest.text) if t)
        return utterance

    @property
    def transcript(self) -> str:
        """The cleaned text of the whole call so far (final utterances only)."""
        separator = "" if self.text_options.punctuation else "，"
        return separator.join(t for t in [self._folded_text, *(u.text for u in self.utterances)] if t)

    @property
    def raw_transcript(self) -> str:
        """The raw Vosk text of the utterances still held (space separated)."""
        return " ".join(u.raw for u in self.utterances)
