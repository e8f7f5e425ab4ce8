"""The committed leaf labels of real messages: valid leaves, consistent with the domain hand labels, dev kept apart."""

from __future__ import annotations

import pytest

from nlu.category.training.leaf_labels import (
    DEV_LEAF_LABELS,
    TRAIN_LEAF_LABELS,
    read_leaf_labels,
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


def test_a_row_that_is_not_a_leaf_names_file_and_line(taxonomy, tmp_path):
    path = tmp_path / "leaf.csv"
    path.write_text("id,domain,l2,l3\na3:1,城乡建设,住房保障与房地产,物业服务\na3:2,城乡建设,没有这个,二级\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"leaf\.csv:3"):
        read_leaf_labels(taxonomy, path)


def test_without_the_shared_data_there_are_no_real_examples(taxonomy, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_SHARED_DIR", str(tmp_path))
    assert real_leaf_examples(taxonomy, TRAIN_LEAF_LABELS) == []
