"""Mentions from the trained address parser (``nlu.address``): spans the gazetteer lacks (文华路, 翠景小区)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nlu.location.matcher import Mention

# parser label → the kind of place the resolver understands
LABEL_KIND = {"road": "road", "subroad": "road", "poi": "poi", "subpoi": "poi", "community": "community"}


def parser_mention_finder(models_dir: Path) -> Callable[[str], list[Mention]] | None:
    """A finder backed by the installed address parser, or None when no parser model is installed."""
    try:
        from nlu.address.model import load_default_parser
    except ModuleNotFoundError:
        return None
    parser = load_default_parser(models_dir)
    if parser is None:
        return None

    def find(text: str) -> list[Mention]:
        mentions = []
        for span in parser.spans(text):
            kind = LABEL_KIND.get(span.label)
            if kind is not None:
                mentions.append(Mention(span.start, span.end, span.text, span.text, [], "parser", kind=kind))
        return mentions

    return find
