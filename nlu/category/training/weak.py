"""Weak domain labels for unlabelled real messages: taxonomy cue words plus, where a reply exists, the department
that answered it. Messages where the rules disagree or stay silent are left unlabelled (self-training fills them).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.training.corpus import Message
from nlu.category.text import prepare

# Departments named in a government reply (答复意见) → the domain of the matter they handle.
REPLY_DEPARTMENTS: dict[str, str] = {
    r"教育局|教育厅|教育体育局|教体局|招生考试|学校": "教育文体",
    r"人力资源和社会保障|人社局|人社厅|社保局|社会保险|医疗保障局|医保局|劳动监察|就业服务": "劳动和社会保障",
    r"住房和城乡建设|住建局|住建委|城管|城市管理|房产|不动产登记|自然资源和规划|规划局|住房公积金|物业|拆迁|征收|市政": "城乡建设",
    r"生态环境局|环保局|环境保护局|生态环境分局|环境监察": "环境保护",
    r"交通运输局|交通局|交警|公交集团|公交公司|运管|轨道交通|地铁|公路局": "交通运输",
    r"卫生健康|卫健委|卫健局|卫计委|卫生局|疾控|医院|卫生院|计生": "卫生计生",
    r"市场监督管理|市场监管局|工商|商务局|文旅|文化旅游|旅游局|物价|质监": "商贸旅游",
    r"公安局|派出所|公安分局": "政法",
    r"民政局|民政": "民政",
    r"农业农村局|扶贫|农业局|林业局|水利局": "农村农业",
    r"金融|银保监|税务局|发改委|发展和改革": "经济管理",
}
_REPLY_PATTERNS = [(re.compile(p), d) for p, d in REPLY_DEPARTMENTS.items()]

TITLE_WEIGHT = 2.0
REPLY_WEIGHT = 1.5
MIN_MARGIN = 1.3
"""The winning domain's vote must be this many times the runner-up's."""


@dataclass(frozen=True)
class WeakLabel:
    domain: str | None
    votes: dict[str, float]
    leaf: str | None
    """The best keyword leaf within the winning domain, if any."""


class WeakLabeller:
    """Domain votes from cue words (title counts double) and from the answering department."""

    def __init__(self, keyword: KeywordClassifier):
        self.keyword = keyword
        self.taxonomy = keyword.taxonomy

    def _domain_votes(self, text: str, weight: float, votes: dict[str, float], leaves: dict[str, float]) -> None:
        scores, _ = self.keyword.scores(prepare(text).text)
        best: dict[str, float] = defaultdict(float)
        for code, score in scores.items():
            domain = self.taxonomy[code].domain
            best[domain] = max(best[domain], score)
            leaves[code] = leaves.get(code, 0.0) + score * weight
        for domain, score in best.items():
            votes[domain] += score * weight

    def label(self, message: Message) -> WeakLabel:
        votes: dict[str, float] = defaultdict(float)
        leaves: dict[str, float] = {}
        self._domain_votes(message.title, TITLE_WEIGHT, votes, leaves)
        self._domain_votes(message.text[:600], 1.0, votes, leaves)
        if message.reply:
            head = message.reply[:400]
            hits = {d for pattern, d in _REPLY_PATTERNS if pattern.search(head)}
            for domain in hits:
                votes[domain] += REPLY_WEIGHT * 2 / len(hits)
        if not votes:
            return WeakLabel(None, {}, None)
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        top, score = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        if score < 2.0 or score < MIN_MARGIN * runner:
            return WeakLabel(None, dict(votes), None)
        in_domain = [(s, c) for c, s in leaves.items() if self.taxonomy[c].domain == top]
        return WeakLabel(top, dict(votes), max(in_domain)[1] if in_domain else None)
