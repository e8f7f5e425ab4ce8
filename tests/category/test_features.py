"""The feature blocks of the linear backend: each view counts what training counted, segmentation cannot drift, a
head trained on the leading block reads the same indices, and bad block definitions are refused clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.category.backends.linear import LinearModel
from nlu.category.features import DEFAULT_BLOCKS, TITLE_CHARS, capped, chars, title_chars, view, words
from nlu.category.training.synth import synth_examples
from nlu.category.training.train import TrainConfig, fit_leaf_head, leading_blocks, make_vectorizer

REPO = Path(__file__).resolve().parents[2]
TEXTS = ["路灯不亮了。晚上走路好危险", "ABC  路灯   不亮 Street LIGHT，好危险！！", "社保卡丢了怎么补办", "😀", ""]


@pytest.mark.parametrize("text", TEXTS)
def test_chars_view_is_scikit_learns_character_analyzer(text):
    """Models saved before the blocks existed used scikit-learn's char analyzer; the view must count the same."""
    reference = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).build_analyzer()
    assert sorted(chars(text)) == sorted(reference(text))


def test_title_view_reads_the_title_only():
    assert set(title_chars("路灯不亮。社保卡丢了")) == set(chars("路灯不亮"))
    long_title = "一" * 30 + "二" * 30
    assert "二" in "".join(title_chars(long_title)) and max(map(len, title_chars(long_title))) == 3
    assert len(title_chars(long_title)) == len(chars(long_title[:TITLE_CHARS]))


def test_words_view_segments_into_words():
    assert words("我的医保卡报销不了") == ["我", "的", "医保卡", "报销", "不了"]
    assert words("   ") == [] and words("") == []


def test_words_view_ignores_words_added_to_jiebas_global_dictionary():
    """Another part of a process may call ``jieba.add_word``; the category model's segmentation must not change."""
    code = (
        "import jieba\n"
        "from nlu.category.features import words\n"
        "before = words('南海区桂城街道路灯不亮')\n"
        "jieba.add_word('街道路灯')\n"
        "assert '街道路灯' in jieba.lcut('南海区桂城街道路灯不亮'), 'the global dictionary did not take the word'\n"
        "assert words('南海区桂城街道路灯不亮') == before, (before, words('南海区桂城街道路灯不亮'))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)


def test_unknown_view_is_named():
    with pytest.raises(ValueError, match="unknown feature view 'pinyin'.*chars"):
        view("pinyin")


def test_a_model_whose_blocks_do_not_cover_its_terms_is_refused():
    with pytest.raises(ValueError, match="do not cover"):
        LinearModel(terms=np.array(["a", "b"]), idf=np.ones(2), coef=np.zeros((1, 2), dtype=np.float32),
                    intercept=np.zeros(1, dtype=np.float32), domains=["城乡建设"], blocks=DEFAULT_BLOCKS[:2],
                    sizes=(1, 2))


def test_a_head_on_the_leading_block_reads_the_whole_row(taxonomy):
    """The city head is trained on the character block only; fed the full row it must give what scikit-learn
    gives on that block alone (the other blocks' features are skipped, not misread)."""
    examples = synth_examples(taxonomy, per_leaf=2, seed=3)
    config = TrainConfig(blocks=capped(DEFAULT_BLOCKS, 5_000), leaf_keep=10**6)
    union = make_vectorizer(config).fit([e.text for e in examples])
    leading = leading_blocks(union, 1)
    rows = [e for e in examples if e.code.startswith("FW")]
    head = fit_leaf_head(leading, rows, config)
    reference = LogisticRegression(C=config.leaf_c, max_iter=200, tol=1e-3).fit(
        leading.transform([e.text for e in rows]), [e.code for e in rows])
    assert len(head.indptr) - 1 == leading.transform(["x"]).shape[1] < union.transform(["x"]).shape[1]
    domain_head = LogisticRegression(max_iter=50).fit(union.transform([e.text for e in examples]),
                                                       [e.domain for e in examples])
    model = LinearModel.from_sklearn(union, domain_head, city_head=head)
    for text in TEXTS[:3]:
        indices, _ = model.features(text)
        assert indices.max() >= len(head.indptr) - 1  # the row does reach into the other blocks
        expected = reference.decision_function(leading.transform([text]))[0]
        np.testing.assert_allclose(list(head.scores(*model.features(text)).values()), expected, atol=1e-4)
