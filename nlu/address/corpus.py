"""The address-element corpus format (NAACL 2019 Chinese address parsing; CCKS 2021 style).

One token per line, ``<token> <BIO-tag>``, a blank line between addresses; tokens are characters except runs of digits
or Latin letters. Label names are lower-cased on reading (the corpus mixes devZone/devzone, subRoad/subroad).
``hotline predict address`` reads the same layout without tags and writes ``<token> <tag>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TOKEN = re.compile(r"\d+|[A-Za-z]+|\S")


@dataclass(frozen=True, slots=True)
class Span:
    """An entity: label, token range [start, end), and its text."""

    label: str
    start: int
    end: int
    text: str = ""


def normalise_tag(tag: str) -> str:
    """Lower-case the label part (``B-devZone`` → ``B-devzone``); ``O`` stays."""
    if tag in ("O", "o", ""):
        return "O"
    prefix, _, label = tag.partition("-")
    return f"{prefix.upper()}-{label.lower()}" if label else "O"


FIELD_SEPARATOR = re.compile(r"[ \t]+")
"""Columns are separated by ASCII spaces or tabs only, so a token that is itself a full-width space (U+3000) or
another Unicode blank survives as a token instead of ending the address."""


def read_blocks(path: Path) -> Iterator[list[list[str]]]:
    """Blank-line separated blocks of split lines (robust to CRLF, a BOM, trailing spaces/tabs and bad bytes)."""
    block: list[list[str]] = []
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for line in handle:
            stripped = line.rstrip("\r\n").strip(" \t\r")
            if not stripped:
                if block:
                    yield block
                    block = []
                continue
            block.append(FIELD_SEPARATOR.split(stripped))
    if block:
        yield block


def read_tagged(path: Path) -> list[tuple[list[str], list[str]]]:
    """(tokens, tags) per address; lines without a tag get ``O``."""
    out = []
    for block in read_blocks(path):
        tokens = [parts[0] for parts in block]
        tags = [normalise_tag(parts[1]) if len(parts) > 1 else "O" for parts in block]
        out.append((tokens, tags))
    return out


def read_untagged(path: Path) -> list[list[str]]:
    """Tokens per address (any tag column present is ignored)."""
    return [[parts[0] for parts in block] for block in read_blocks(path)]


def write_tagged(path: Path, sentences: Iterable[tuple[list[str], list[str]]]) -> None:
    """``token tag`` lines, a blank line after each address (the input's layout)."""
    with Path(path).open("w", encoding="utf-8") as out:
        for tokens, tags in sentences:
            out.writelines(f"{token} {tag}\n" for token, tag in zip(tokens, tags))
            out.write("\n")


def tokenize(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens as in the corpus (characters; digit and Latin runs whole) with their character offsets."""
    tokens, offsets = [], []
    for match in TOKEN.finditer(text):
        tokens.append(match.group())
        offsets.append((match.start(), match.end()))
    return tokens, offsets


def spans_of(tags: list[str], tokens: list[str] | None = None) -> list[Span]:
    """Entities of a BIO sequence (CoNLL rules: an I- without a matching B- starts a new entity)."""
    spans: list[Span] = []
    label, start = None, 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, name = tag.partition("-")
        if label is not None and (prefix != "I" or name != label):
            spans.append(Span(label, start, i, "".join(tokens[start:i]) if tokens else ""))
            label = None
        if prefix == "B" or (prefix == "I" and label is None):
            label, start = name, i
    return spans
