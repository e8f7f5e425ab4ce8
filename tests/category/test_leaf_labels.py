"""The committed leaf and city labels of real messages: valid leaves or codes, consistent with the domain hand labels,
dev kept apart."""

from __future__ import annotations

import pytest

from nlu.category.backends.linear import NOT_CITY
from nlu.category.training.leaf_labels import (
    DEV_CITY_LABELS,
    DEV_LEAF_LABELS,
    TRAIN_CITY_LABELS,
    TRAIN_LEAF_LABELS,
    read_city_labels,
    read_leaf_labels,
    real_city_examples,
    real_leaf_examples,
)
from nlu.category.training.train import HAND_LABELS, TRAIN_HAND_LABELS, hand_labels


def test_committed_leaf_labels_are_service_leaves_of_the_labelled_domain(taxonomy):
    for leaf_file, domain_file in ((DEV_LEAF_LABELS, HAND_LABELS), (TRAIN_LEAF_LABELS, TRAIN_HAND_LABELS)):
        leaves = read_leaf_labels(taxonomy, leaf_file)
        domains = hand_labels(domain_file)
        assert len(leaves) >= 400, leaf_file.name
        for message_id, code in leaves.items():
            leaf = taxonomy[code]
            assert leaf.kind == "服务" and code.startswith("FW")
            assert domains[message_id] == leaf.domain, (leaf_file.name, message_id)


def test_dev_leaf_labels_never_reach_training(taxonomy):
    dev = set(read_leaf_labels(taxonomy, DEV_LEAF_LABELS))
    train = set(read_leaf_labels(taxonomy, TRAIN_LEAF_LABELS))
    assert dev and train and not dev & train
    assert dev <= set(hand_labels(HAND_LABELS)) and not train & set(hand_labels(HAND_LABELS))


def test_committed_city_labels_are_valid_and_dev_is_kept_apart(taxonomy):
    dev = read_city_labels(taxonomy, DEV_CITY_LABELS)
    train = read_city_labels(taxonomy, TRAIN_CITY_LABELS)
    assert set(dev) == set(hand_labels(HAND_LABELS))  # the whole domain dev split, and nothing else
    assert len(train) >= 1_000 and not set(train) & set(dev)
    for labels in (dev, train):
        cases = [code for code in labels.values() if code != NOT_CITY]
        assert 0.05 < len(cases) / len(labels) < 0.5
        assert all(taxonomy[code].kind in ("部件", "事件") for code in cases)


@pytest.mark.parametrize("reader, text", [
    (read_leaf_labels, "id,domain,l2,l3\na3:1,城乡建设,住房保障与房地产,物业服务\na3:2,城乡建设,没有这个,二级\n"),
    (read_city_labels, "id,code\na3:1,SJ0510\na3:2,FW010101\n"),  # a service leaf is not a 部件/事件 code
])
def test_a_bad_row_names_file_and_line(taxonomy, tmp_path, reader, text):
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels\.csv:3"):
        reader(taxonomy, path)


@pytest.mark.parametrize("examples, path", [(real_leaf_examples, TRAIN_LEAF_LABELS),
                                            (real_city_examples, TRAIN_CITY_LABELS)])
def test_without_the_shared_data_there_are_no_real_examples(taxonomy, tmp_path, monkeypatch, examples, path):
    monkeypatch.setenv("HOTLINE_SHARED_DIR", str(tmp_path))
    assert examples(taxonomy, path) == []
