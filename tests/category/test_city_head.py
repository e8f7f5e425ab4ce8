"""The city head: does a message report a city-management case (a 部件/事件 code of GB/T 30428.2), and which.

Trained here on sentences written for this test (no ../shared needed); the committed city labels of real messages
are checked in test_leaf_labels.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from nlu.category.backends.linear import NOT_CITY, LinearClassifier, LinearModel, city_code
from nlu.category.features import DEFAULT_BLOCKS, capped
from nlu.category.training.synth import Example
from nlu.category.training.train import (
    CITY_SOURCE,
    CITY_THRESHOLDS,
    CITY_VETOES,
    TrainConfig,
    choose_city_decision,
    city_examples,
    fit,
)

CONFIG = TrainConfig(use_tipdm=False, blocks=capped(DEFAULT_BLOCKS, 5_000), leaf_keep=5_000)

CASES = {
    "SJ0510": ["楼下酒吧每天晚上噪音很大吵得睡不着", "广场舞音响太吵了扰民严重", "隔壁商铺喇叭噪音扰民",
               "夜里KTV噪声很大影响休息"],
    "BJ0116": ["我们这条路的路灯坏了晚上一片漆黑", "路灯不亮好几天了没人修", "街上路灯一闪一闪的坏了",
               "路口那盏路灯整晚不亮"],
    "SJ0507": ["路边有人摆摊占道经营堵住人行道", "菜市场门口占道摆卖很乱", "小贩在马路上摆地摊",
               "天天有人占道经营卖水果"],
}
NOT_CASES = ["我的社保转移手续办不下来", "孩子上学的学位怎么申请", "公积金贷款审批太慢了", "请问医保报销比例是多少",
             "小区物业费涨价不合理", "拆迁补偿款一直没有到位", "单位拖欠我三个月工资", "驾校乱收费退费难"]


def _examples() -> list[Example]:
    rows = [Example(text, code, "", CITY_SOURCE) for code, texts in CASES.items() for text in texts]
    return rows + [Example(text, NOT_CITY, "", CITY_SOURCE) for text in NOT_CASES]


@pytest.fixture(scope="module")
def model() -> LinearModel:
    examples = _examples()
    domain_rows = [Example(e.text, e.code, "城乡建设" if e.code != NOT_CITY else "劳动和社会保障", "synth")
                   for e in examples]
    return fit(domain_rows, CONFIG, city_training=examples)


def test_city_head_tells_cases_from_non_cases(model):
    proba = model.city_proba("晚上酒吧噪音太吵了")
    assert abs(sum(proba.values()) - 1.0) < 1e-6 and set(proba) == {*CASES, NOT_CITY}
    assert max(proba, key=proba.get) == "SJ0510"
    proba = model.city_proba("社保转移怎么办理")
    assert max(proba, key=proba.get) == NOT_CITY


def test_city_code_respects_threshold_domain_and_veto(taxonomy):
    proba = {"SJ0510": 0.5, "BJ0116": 0.3, NOT_CITY: 0.2}
    assert taxonomy["SJ0510"].domain == "环境保护" and taxonomy["BJ0116"].domain == "城乡建设"
    assert city_code(taxonomy, proba, "环境保护", 0.4) == "SJ0510"
    assert city_code(taxonomy, proba, "环境保护", 0.6) is None
    assert city_code(taxonomy, proba, "城乡建设", 0.2) == "BJ0116"  # best code inside the chosen domain
    assert city_code(taxonomy, proba, "城乡建设", 0.4) is None
    assert city_code(taxonomy, proba, "教育文体", 0.0) is None  # no 部件/事件 code in that domain
    # below the threshold the cue words' code stands, unless the head is sure enough it is no city case
    assert city_code(taxonomy, proba, "城乡建设", 0.4, veto=0.5, cue_code="BJ0112") == "BJ0112"
    assert city_code(taxonomy, proba, "城乡建设", 0.4, veto=0.2, cue_code="BJ0112") is None
    assert city_code(taxonomy, {NOT_CITY: 0.9, "BJ0116": 0.1}, "城乡建设", 0.5, 0.8, "BJ0112") is None


def test_city_head_round_trips_and_decides_the_leaf(model, taxonomy, tmp_path):
    model.city_threshold, model.city_veto = 0.3, 0.6
    model.save(tmp_path, {})
    loaded = LinearModel.load(tmp_path)
    assert loaded.city_head is not None and (loaded.city_threshold, loaded.city_veto) == (0.3, 0.6)
    for text in ("路灯坏了好几天", "单位拖欠工资"):
        a, b = model.city_proba(text), loaded.city_proba(text)
        assert np.allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(b)], atol=1e-6)
    classifier = LinearClassifier(taxonomy, loaded)
    cue_scores, _ = classifier.keyword.scores("路灯坏了好几天")
    leaf = classifier.leaf(cue_scores, "城乡建设", {}, loaded.city_proba("路灯坏了好几天"))
    assert leaf.code == "BJ0116"
    # the head alone no longer names it: the cue word (路灯) does, unless the head vetoes it
    loaded.city_threshold, loaded.city_veto = 1.0, 1.0
    assert classifier.leaf(cue_scores, "城乡建设", {}, loaded.city_proba("路灯坏了好几天")).code == "BJ0116"
    loaded.city_veto = 0.0
    leaf = classifier.leaf(cue_scores, "城乡建设", {}, loaded.city_proba("路灯坏了好几天"))
    assert leaf.kind == "服务"  # not a city case: the service leaf decides, cue words cannot bring 路灯 back


def test_threshold_and_veto_are_chosen_on_held_out_real_and_spoken_sentences(taxonomy):
    examples = [Example(e.text, e.code, "城乡建设" if e.code == "BJ0116" else "环境保护" if e.code == "SJ0510"
                        else "城乡建设" if e.code == "SJ0507" else "劳动和社会保障", e.source) for e in _examples()]
    threshold, veto, report = choose_city_decision(taxonomy, examples * 2, CONFIG)
    assert threshold in CITY_THRESHOLDS and veto in CITY_VETOES and report["n"] == 2 * len(examples)
    chosen = (report["accuracy_real"] + report["accuracy_synthetic"]) / 2
    cue_only = report["cue_words_only"]
    assert chosen >= (cue_only["real"] + cue_only["synthetic"]) / 2 - 1e-9  # the grid holds the cue-word rule
    assert report["accuracy_real"] > 0.5 and report["n_synthetic"] > 200


def test_no_real_labels_no_city_head(taxonomy):
    synth = [Example("路灯坏了", "BJ0116", "城乡建设", "synth")]
    assert city_examples(taxonomy, synth, []) == []
    assert len(city_examples(taxonomy, synth, _examples())) == len(_examples()) + 1
