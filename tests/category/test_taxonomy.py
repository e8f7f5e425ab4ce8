"""The taxonomy data and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.taxonomy import DEPARTMENT_TYPES, TaxonomyError, load_taxonomy

SEVEN = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]


def test_shape(taxonomy):
    assert taxonomy.version and taxonomy.full_version.endswith("+foshan-nanhai.1")
    assert len(taxonomy.domains) == 15 and set(SEVEN) <= set(taxonomy.domains)
    services = taxonomy.by_kind("服务")
    assert len(services) == 517
    assert len({leaf.path[1] for leaf in services}) == 103  # distinct 二级 names (118 一级/二级 pairs)
    assert len(taxonomy.by_kind("部件")) >= 60 and len(taxonomy.by_kind("事件")) >= 40


def test_every_leaf_is_complete(taxonomy):
    for leaf in taxonomy:
        assert leaf.code[:2] in {"BJ", "SJ", "FW"}
        assert leaf.domain in taxonomy.domains and leaf.path[0] == leaf.domain
        assert leaf.department_type in DEPARTMENT_TYPES
        assert leaf.urgency in {"normal", "urgent", "emergency"}
        assert leaf.deadline_hours and leaf.deadline_hours > 0
        if leaf.kind != "服务":
            assert leaf.std_code == leaf.code[2:] and len(leaf.std_code) == 4
            assert leaf.cues, f"{leaf.code} has no cue words"


def test_get_and_known_leaves(taxonomy):
    lamp = taxonomy.get("BJ0116")
    assert lamp is not None and lamp.name == "路灯" and lamp.kind == "部件" and "路灯" in lamp.cues
    gas = taxonomy.get("SJ0403")
    assert gas.urgency == "emergency" and gas.department_type == "燃气"
    assert taxonomy.get("nope") is None
    assert taxonomy.default_leaf("环境保护").path == ("环境保护", "其他", "其他")


def test_extension_leaves_are_marked(taxonomy):
    cover = taxonomy.get("SJ9001")
    assert cover is not None and cover.extension and cover.urgency == "urgent"
    assert not taxonomy.get("SJ0101").extension
    assert "街灯唔着" in taxonomy.get("BJ0116").cues  # add_cues from the city file
    assert load_taxonomy().get("SJ9001") is None  # without the city file


def test_group_cues_reach_the_default_leaf(taxonomy):
    other = taxonomy.get("FW010205")  # 城乡建设/城市建设和市政管理/其他
    assert "路灯" in other.cues and "路灯" in other.group_cues


@pytest.mark.parametrize(
    "body, message",
    [
        ('事件:\n- {code: "95", name: X, domain: 城乡建设, children: [{code: "9501", name: Y, department_type: 警察}]}',
         "department_type"),
        ('事件:\n- {code: "95", name: X, domain: 火星, department_type: 城管, children: [{code: "9501", name: Y}]}',
         "domain"),
        ('事件:\n- {code: "04", name: X, domain: 城乡建设, department_type: 城管, children: [{code: "0401", name: Y}]}',
         "redefines"),
        ("add_cues: {XX0000: [a]}", "unknown leaf"),
    ],
)
def test_bad_extension_is_rejected(tmp_path: Path, body: str, message: str):
    ext = tmp_path / "ext.yaml"
    ext.write_text(body, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(ext)
