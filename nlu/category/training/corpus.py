"""Reading the real citizen messages of the 2020 泰迪杯 C 题 (附件3/附件4) from the shared data folder.

Nothing read here is committed: models are rebuilt from it by ``hotline train category``.
The folder is ``$HOTLINE_SHARED_DIR/data/tipdm2020-c-smart-gov-messages`` (default ``<repo>/../shared``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hotline.settings import REPO_ROOT
from nlu.category.text import prepare

TIPDM_FOLDER = "data/tipdm2020-c-smart-gov-messages"
FILES = {
    "a3": "attachment3_full_4326_messages_with_votes.csv",
    "a4": "attachment4_full_2816_messages_with_replies.csv",
}


def shared_dir() -> Path:
    """``$HOTLINE_SHARED_DIR`` or ``<repo>/../shared``."""
    return Path(os.environ.get("HOTLINE_SHARED_DIR", REPO_ROOT.parent / "shared"))


@dataclass(frozen=True)
class Message:
    """One real citizen message (留言)."""

    id: str
    """``a3:<留言编号>`` or ``a4:<留言编号>``."""
    title: str
    text: str
    reply: str = ""
    """The government's reply (附件4 only): names the department that handled it."""


MESSAGE_CHARS = 600
"""Characters of a message body a classifier reads in training and evaluation (the head carries the request)."""


def message_text(message: Message) -> str:
    """What the classifiers read of a message: title + the first ``MESSAGE_CHARS`` of the body, prepared."""
    return prepare(message.text[:MESSAGE_CHARS], message.title).text


def tipdm_available() -> bool:
    folder = shared_dir() / TIPDM_FOLDER
    return all((folder / name).exists() for name in FILES.values())


def read_messages() -> Iterator[Message]:
    """All messages of 附件3 and 附件4, padding stripped; FileNotFoundError if the shared folder is missing."""
    folder = shared_dir() / TIPDM_FOLDER
    for key, name in FILES.items():
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield Message(
                    id=f"{key}:{row['留言编号'].strip()}",
                    title=(row.get("留言主题") or "").strip(),
                    text=(row.get("留言详情") or "").strip(),
                    reply=(row.get("答复意见") or "").strip(),
                )
