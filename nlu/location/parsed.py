"""Mentions from the trained address parser (``nlu.address``): spans the gazetteer lacks (文华路, 翠景小区)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nlu.location.matcher import Mention

# parser label → the kind of place the resolver understands
LABEL_KIND = {"road": "road", "subroad": "road", "poi": "poi", "subpoi": "poi", "community": "community"}
# The parser learnt from shipping addresses; inside complaints it only proposes spans that end like a place name.
PLACE_ENDINGS = {
    "road": ("路", "街", "道", "巷", "弄", "大道"),
    "community": ("村", "社区", "居委会", "新村"),
    "poi": ("园", "苑", "城", "厦", "场", "店", "楼", "院", "校", "站", "馆", "中心", "小区", "花园", "公寓", "市场",
            "广场", "公园", "医院", "学校", "酒店", "宾馆", "超市", "银行", "大楼", "村", "湾", "府", "庭", "居", "阁"),
}
MIN_CHARS = 3
NOT_IN_NAMES = frozenset("我你他她这那条个的了在是有就都也还么什哪啥")
"""Characters of ordinary speech that never occur in the names the parser may propose (这条路, 我家楼)."""


def parser_mention_finder(models_dir: Path) -> Callable[[str], list[Mention]] | None:
    """A finder backed by the installed address parser, or None when no parser model is installed."""
    try:
        from nlu.address.model import load_default_parser
    except ModuleNotFoundError:
        return None
    # The CRF alone: inside complaints the parser only proposes names (filtered below), and it runs on every intake,
    # so the BiLSTM members' ~1 point on written addresses is not worth their few milliseconds here.
    parser = load_default_parser(models_dir, neural=False)
    if parser is None:
        return None

    def find(text: str) -> list[Mention]:
        mentions = []
        for span in parser.spans(text):
            kind = LABEL_KIND.get(span.label)
            if (kind is not None and len(span.text) >= MIN_CHARS and span.text.endswith(PLACE_ENDINGS[kind])
                    and not NOT_IN_NAMES.intersection(span.text)):
                mentions.append(Mention(span.start, span.end, span.text, span.text, [], "parser", kind=kind))
        return mentions

    return find
