"""Domain cue votes and the weak labeller (messages written for this test; no ../shared)."""

from __future__ import annotations

import pytest

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.domain_cues import DomainCues, cached_domain_cues
from nlu.category.training.corpus import Message
from nlu.category.training.weak import WeakLabeller, reply_domains


@pytest.fixture(scope="module")
def labeller(taxonomy):
    return WeakLabeller(KeywordClassifier(taxonomy))


@pytest.mark.parametrize(
    "title, text, domain",
    [
        ("投诉某小区物业乱收停车费", "物业公司未经业主大会同意，强行收取停车费。", "城乡建设"),
        ("某公司拖欠农民工工资", "我们在工地干了半年，老板拖欠工资不给，劳动监察也不管。", "劳动和社会保障"),
        ("某中学强制学生周六补课", "学校要求初三学生周六补课并收取补课费。", "教育文体"),
        ("夜间施工噪音扰民", "工地每天晚上施工到凌晨，噪音太大，严重影响休息。", "环境保护"),
        ("请增加公交线路", "我们小区门口只有一条公交线路，早高峰等车半小时。", "交通运输"),
        ("某医院乱收费", "住院期间医生重复开检查，患者负担太重。", "卫生计生"),
        ("某健身房关门不退费", "会员卡充值后商家跑路，消费者维权无门，请市场监管部门处理。", "商贸旅游"),
    ],
)
def test_labels_typical_messages(labeller, title, text, domain):
    label = labeller.label(Message("t:1", title, text))
    assert label.domain == domain
    assert label.votes[domain] == max(label.votes.values())
    if label.leaf is not None:
        assert labeller.taxonomy[label.leaf].domain == domain


def test_silent_or_split_votes_leave_it_unlabelled(labeller):
    assert labeller.label(Message("t:2", "你好", "请问一下。")).domain is None
    # one cue for two domains, nothing decisive
    split = labeller.label(Message("t:3", "", "学校门口的公交站"))
    assert split.domain is None or split.votes[split.domain] >= 1.3 * sorted(split.votes.values())[-2]


def test_reply_department_adds_votes(labeller):
    message = Message("t:4", "咨询一个问题", "想问一下相关政策。", reply="经市人力资源和社会保障局调查核实，现答复如下")
    assert reply_domains(message.reply) == {"劳动和社会保障"}
    assert labeller.votes(message).get("劳动和社会保障", 0) > 0


def test_domain_cues_votes_and_reasons(tmp_path):
    cues = cached_domain_cues()
    votes = cues.votes("小区物业不作为，物业费太高", title="物业")
    assert max(votes, key=votes.get) == "城乡建设"
    assert "物业" in cues.matched("小区物业不作为", "城乡建设")
    custom = tmp_path / "cues.yaml"
    custom.write_text("version: t\ndomains:\n  环境保护:\n    3: ['噪(音|声)']\n", encoding="utf-8")
    loaded = DomainCues.load(custom)
    assert loaded.version == "t" and loaded.votes("噪声噪音噪音") == {"环境保护": 6.0}  # capped at 2 hits
