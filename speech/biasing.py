"""Domain biasing: the phrase list of the city (places) and the taxonomy (what goes wrong), used two ways.

* With a **lookahead** model (``vosk-model-small-cn``): the phrases become a runtime Vosk grammar for one call
  (``grammar_for``): each phrase is split into words the model knows; ``[unk]`` keeps other speech possible.
* With a **static** model (big server models, no runtime graphs) and after any recogniser: ``PinyinCorrector``
  replaces stretches of the transcript that *sound* like a phrase but are written differently
  (``桂成街道`` → ``桂城街道``, ``海午路`` → ``海五路``), comparing toneless pinyin with the folds a Cantonese-accented
  Mandarin speaker (and the recogniser) often makes: z/zh, c/ch, s/sh, n/l, -n/-ng, h/f before u.

The phrase list is built from ``cities/<city>/gazetteer.yaml`` (streets, communities, roads, landmarks and their
aliases) and ``nlu.taxonomy`` (leaf names and cue words) when they are present; both are read defensively, because a
city may ship without them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pypinyin import Style, lazy_pinyin

log = logging.getLogger(__name__)

MIN_PHRASE_CHARS = 2
MAX_PHRASE_CHARS = 12
_HAN = re.compile(r"^[\u3400-\u9fff]+$")

# Fuzzy pinyin folds: (pattern, replacement) applied to each toneless syllable.
_INITIAL_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("r", "n"))
_FINAL_FOLDS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("ong", "on"))


def fold_syllable(syllable: str) -> str:
    """Map a toneless pinyin syllable to its fuzzy class (``zhang`` → ``zan``, ``ling`` → ``nin``, ``fu`` → ``hu``)."""
    for src, dst in _INITIAL_FOLDS:
        if syllable.startswith(src):
            syllable = dst + syllable[len(src):]
            break
    if syllable.startswith("f") and syllable[1:2] == "u":
        syllable = "h" + syllable[1:]
    for src, dst in _FINAL_FOLDS:
        if syllable.endswith(src):
            syllable = syllable[: -len(src)] + dst
            break
    return syllable


def fuzzy_key(text: str) -> tuple[str, ...]:
    """The fuzzy pinyin of each character of ``text`` (non-Chinese characters stand for themselves)."""
    return tuple(fold_syllable(s) for s in lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars)))


def _names(entry: Any) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        names = [entry.get("name")] + list(entry.get("aliases") or [])
        return [n for n in names if isinstance(n, str)]
    return []


def gazetteer_phrases(path: Path | None) -> list[str]:
    """Place names and aliases from a city gazetteer YAML (any top-level list of ``{name, aliases}`` entries)."""
    if path is None or not path.is_file():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        log.warning("gazetteer %s unreadable for speech biasing: %s", path, exc)
        return []
    phrases: list[str] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key.endswith("aliases") and isinstance(value, list):
                phrases += [v for v in value if isinstance(v, str)]
            elif isinstance(value, list):
                for entry in value:
                    phrases += _names(entry)
    return phrases


def taxonomy_phrases(extension: Path | None = None) -> list[str]:
    """Leaf names and cue words of the hotline taxonomy (``nlu.taxonomy``), or nothing if it cannot be loaded."""
    try:
        from nlu.taxonomy import load_taxonomy  # optional: the nlu package may be absent or incomplete
    except ImportError:
        return []
    try:
        taxonomy = load_taxonomy(extension=extension)
    except Exception as exc:  # noqa: BLE001 - any failure of an optional source only disables it
        log.warning("taxonomy unavailable for speech biasing: %s", exc)
        return []
    phrases: list[str] = []
    for leaf in taxonomy:
        phrases.append(getattr(leaf, "name", ""))
        phrases += list(getattr(leaf, "cues", ()) or ())
    return phrases


def clean_phrases(phrases: Iterable[str]) -> list[str]:
    """Keep Chinese-only phrases of a useful length, de-duplicated, longest first."""
    kept = {p.strip() for p in phrases if isinstance(p, str)}
    kept = {p for p in kept if MIN_PHRASE_CHARS <= len(p) <= MAX_PHRASE_CHARS and _HAN.match(p)}
    return sorted(kept, key=lambda p: (-len(p), p))


def city_phrases(city_dir: Path | None = None) -> list[str]:
    """The default phrase list: gazetteer + taxonomy of the configured city (empty if neither is available)."""
    gazetteer: Path | None = None
    extension: Path | None = None
    try:
        from hotline.city import cached_city
        from hotline.settings import get_settings

        city = cached_city((city_dir or get_settings().city_dir).resolve())
        gazetteer, extension = city.file("gazetteer"), city.file("taxonomy_extension")
    except Exception as exc:  # noqa: BLE001 - a broken city config must not stop speech intake
        log.warning("city configuration unavailable for speech biasing: %s", exc)
    return clean_phrases(gazetteer_phrases(gazetteer) + taxonomy_phrases(extension))


@dataclass(frozen=True)
class Correction:
    """One replacement made by the corrector, for the agent to see (and undo)."""

    start: int
    heard: str
    phrase: str


@dataclass
class PinyinCorrector:
    """Replace homophone mis-recognitions of known phrases (see module doc)."""

    phrases: Sequence[str]
    _index: dict[tuple[str, ...], str] = field(init=False, default_factory=dict)
    _lengths: list[int] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for phrase in clean_phrases(self.phrases):
            self._index.setdefault(fuzzy_key(phrase), phrase)
        self._lengths = sorted({len(k) for k in self._index}, reverse=True)

    def __len__(self) -> int:
        return len(self._index)

    @staticmethod
    def _plausible(heard: str, phrase: str) -> bool:
        """Two-character matches need one character in common; longer ones are specific enough by sound."""
        if heard == phrase:
            return False
        if len(phrase) == 2:
            return any(a == b for a, b in zip(heard, phrase, strict=True))
        return True

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """Return the corrected text and the corrections made (longest phrases first, no overlaps)."""
        if not self._index or not text:
            return text, []
        keys = fuzzy_key(text)
        if len(keys) != len(text):  # pypinyin grouped characters unexpectedly: do nothing rather than misalign
            return text, []
        out: list[str] = []
        corrections: list[Correction] = []
        i = 0
        while i < len(text):
            for length in self._lengths:
                if i + length > len(text):
                    continue
                phrase = self._index.get(keys[i : i + length])
                if phrase is not None:
                    heard = text[i : i + length]
                    if heard == phrase:
                        out.append(heard)
                        i += length
                        break
                    if self._plausible(heard, phrase):
                        corrections.append(Correction(i, heard, phrase))
                        out.append(phrase)
                        i += length
                        break
            else:
                out.append(text[i])
                i += 1
        return "".join(out), corrections


def segment(phrase: str, vocabulary: set[str], max_word: int = 8) -> list[str] | None:
    """Split a phrase into words of the model's vocabulary (longest match first); None if some part is unknown."""
    words: list[str] = []
    i = 0
    while i < len(phrase):
        for length in range(min(max_word, len(phrase) - i), 0, -1):
            if phrase[i : i + length] in vocabulary:
                words.append(phrase[i : i + length])
                i += length
                break
        else:
            return None
    return words


def grammar_for(phrases: Iterable[str], vocabulary: set[str], allow_unknown: bool = True) -> str:
    """A Vosk runtime grammar (JSON list of space-separated word strings) for the phrases the model can spell."""
    entries: list[str] = []
    for phrase in clean_phrases(phrases):
        words = segment(phrase, vocabulary)
        if words:
            entries.append(" ".join(words))
    if allow_unknown and "[unk]" in vocabulary:
        entries.append("[unk]")
    return json.dumps(list(dict.fromkeys(entries)), ensure_ascii=False)
