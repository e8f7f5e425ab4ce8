"""The linear backend's numpy inference gives scikit-learn's probabilities, loads without scikit-learn, and its
calibration step (fusion weight + temperature) works on held-out predictions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.backends.linear import LinearModel
from nlu.category.domain_cues import cached_domain_cues
from nlu.category.features import DEFAULT_BLOCKS, capped
from nlu.category.training.synth import Example, synth_examples
from nlu.category.training.train import (
    CUE_CANDIDATES,
    FUSION_CANDIDATES,
    TrainConfig,
    choose_fusion_and_temperature,
    fit,
    heldout_predictions,
    make_vectorizer,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["blocks", "legacy chars"])
def fitted(taxonomy, request):
    """The shipped feature blocks (a FeatureUnion: chars, title, jieba words, weighted) and, as models saved before
    blocks existed read, one character n-gram vectorizer."""
    examples = synth_examples(taxonomy, per_leaf=2, seed=3)
    if request.param == "blocks":
        vectorizer = make_vectorizer(TrainConfig(blocks=capped(DEFAULT_BLOCKS, 20_000)))
    else:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=1, sublinear_tf=True,
                                     dtype=np.float32)
    X = vectorizer.fit_transform([e.text for e in examples])
    classifier = LogisticRegression(C=4.0, max_iter=100).fit(X, [e.domain for e in examples])
    return vectorizer, classifier, LinearModel.from_sklearn(vectorizer, classifier)


TEXTS = [
    "我们小区门口有人摆摊占道经营，天天都有",
    "社保卡丢了怎么补办啊",
    "ABC  路灯   不亮 Street LIGHT，好危险！！",  # upper case, runs of spaces, punctuation
    "井盖",  # one bigram
    "😀 no chinese at all",  # few or no known n-grams
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_numpy_inference_equals_sklearn(fitted, text):
    vectorizer, classifier, model = fitted
    expected = classifier.predict_proba(vectorizer.transform([text]))[0]
    assert model.domains == [str(c) for c in classifier.classes_]
    np.testing.assert_allclose(model.model_proba(text), expected, atol=1e-5)


def test_save_load_round_trip(fitted, tmp_path):
    _, _, model = fitted
    model.fusion_weight, model.cue_weight, model.temperature = 0.2, 0.1, 1.3
    model.save(tmp_path, {"backend": "linear"})
    loaded = LinearModel.load(tmp_path)
    assert loaded.domains == model.domains and loaded.temperature == 1.3
    assert (loaded.fusion_weight, loaded.cue_weight) == (0.2, 0.1)
    for text in TEXTS:
        np.testing.assert_allclose(loaded.model_proba(text), model.model_proba(text), atol=1e-5)
        fused = loaded.scores(text, {"城乡建设": 3.0}, {"城乡建设": 2.0})
        assert abs(fused.sum() - 1.0) < 1e-6
        plain = loaded.scores(text)
        city = loaded.domains.index("城乡建设")
        assert fused[city] >= plain[city]  # votes for a domain never lower its probability


def test_loading_needs_neither_sklearn_nor_scipy(fitted, tmp_path):
    _, _, model = fitted
    model.save(tmp_path, {"backend": "linear"})
    code = (
        "import sys; from pathlib import Path\n"
        "from nlu.taxonomy import load_taxonomy\n"
        "from nlu.category.backend import make_backend\n"
        f"b = make_backend('linear', load_taxonomy(), model_dir=Path({str(tmp_path)!r}))\n"
        "assert b.predict('路灯不亮', top_k=1)\n"
        "bad = [m for m in ('sklearn', 'scipy', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


def test_calibration_on_heldout_predictions(taxonomy):
    synth = synth_examples(taxonomy, per_leaf=3, seed=5)
    # pretend a slice of them were hand-labelled real messages: they are the calibration set
    examples = [Example(e.text, e.code, e.domain, "tipdm-hand" if i % 4 == 0 else e.source)
                for i, e in enumerate(synth)]
    config = TrainConfig(use_tipdm=False, blocks=capped(DEFAULT_BLOCKS, 10_000), calibrate_folds=2, max_iter=60)
    held, proba, domains = heldout_predictions(examples, config)
    assert len(held) == sum(e.source == "tipdm-hand" for e in examples) and proba.shape == (len(held), len(domains))
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    fusion, cue_weight, temperature, report = choose_fusion_and_temperature(
        held, proba, domains, cached_domain_cues(), KeywordClassifier(taxonomy))
    assert fusion in FUSION_CANDIDATES and cue_weight in CUE_CANDIDATES and 0.02 <= temperature <= 20
    assert report["n"] == len(held) and len(report["macro_f1_7_by_weights"]) == len(FUSION_CANDIDATES) * len(CUE_CANDIDATES)
    assert report["macro_f1_7_chosen"] >= report["macro_f1_7_without_fusion"]


def test_svm_export_keeps_the_margins(taxonomy, fitted):
    """A ``LinearSVC`` exports like logistic regression: softmax over its decision function."""
    from sklearn.svm import LinearSVC

    vectorizer, _, _ = fitted
    examples = synth_examples(taxonomy, per_leaf=2, seed=3)
    svm = LinearSVC(C=0.3).fit(vectorizer.transform([e.text for e in examples]), [e.domain for e in examples])
    model = LinearModel.from_sklearn(vectorizer, svm)
    for text in TEXTS[:4]:
        margins = svm.decision_function(vectorizer.transform([text]))[0]
        log_p = np.log(model.model_proba(text))
        np.testing.assert_allclose(log_p - log_p.mean(), margins - margins.mean(), atol=1e-4)
        assert model.domains[int(np.argmax(log_p))] == svm.predict(vectorizer.transform([text]))[0]


def test_unknown_learner_is_refused(taxonomy):
    examples = synth_examples(taxonomy, per_leaf=1, seed=3)
    with pytest.raises(ValueError, match="unknown learner 'forest'"):
        fit(examples, TrainConfig(learner="forest", use_tipdm=False))


def test_without_hand_labels_calibration_uses_the_synthetic_sentences(taxonomy):
    """No ../shared: the SVM still gets a temperature, fitted on held-out synthetic sentences (not left at 1)."""
    examples = synth_examples(taxonomy, per_leaf=2, seed=5)
    config = TrainConfig(use_tipdm=False, blocks=capped(DEFAULT_BLOCKS, 10_000), calibrate_folds=2)
    held, proba, domains = heldout_predictions(examples, config)
    assert len(held) == len(examples) and all(e.source == "synth" for e in held)
    _, _, temperature, report = choose_fusion_and_temperature(
        held, proba, domains, cached_domain_cues(), KeywordClassifier(taxonomy))
    assert report["on"] == "synthetic" and temperature < 1.0  # margins of an SVM are small: they get sharpened
    assert report["macro_f1_7_chosen"] > 0.3  # held-out synthetic sentences are mostly classified right


# --- leaf head ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def leaf_fitted(taxonomy, fitted):
    from nlu.category.training.train import fit_leaf_head

    vectorizer, _, model = fitted
    rows = [e for e in synth_examples(taxonomy, per_leaf=2, seed=3) if e.code.startswith("FW")]
    config = TrainConfig(leaf_keep=10**6)  # keep every weight: must equal scikit-learn exactly
    head = fit_leaf_head(vectorizer, rows, config)
    reference = LogisticRegression(C=config.leaf_c, max_iter=200, tol=1e-3).fit(
        vectorizer.transform([e.text for e in rows]), [e.code for e in rows])
    return vectorizer, model, head, reference


@pytest.mark.parametrize("text", TEXTS)
def test_leaf_head_equals_sklearn_unpruned(leaf_fitted, text):
    vectorizer, model, head, reference = leaf_fitted
    scores = head.scores(*model.features(text))
    expected = reference.decision_function(vectorizer.transform([text]))[0]
    assert list(scores) == [str(c) for c in reference.classes_]
    np.testing.assert_allclose(list(scores.values()), expected, atol=1e-4)


def test_leaf_head_pruning_keeps_the_largest_weights_and_round_trips(leaf_fitted, tmp_path):
    from nlu.category.backends.linear import LeafHead

    _, model, _, reference = leaf_fitted
    pruned = LeafHead.from_dense(list(reference.classes_), reference.coef_, reference.intercept_, keep=7)
    assert len(pruned.values) == 7 * len(reference.classes_)
    first = 0  # leaf 0's kept weights are its 7 largest in magnitude
    kept = np.sort(np.abs(pruned.values[pruned.rows == first]))
    np.testing.assert_allclose(kept, np.sort(np.abs(reference.coef_[first]))[-7:], rtol=1e-6)
    model.leaf_head = pruned
    model.save(tmp_path, {"backend": "linear"})
    loaded = LinearModel.load(tmp_path)
    model.leaf_head = None
    assert loaded.leaf_head is not None and loaded.leaf_head.codes == pruned.codes
    for text in TEXTS:
        assert loaded.leaf_scores(text) == pytest.approx(pruned.scores(*loaded.features(text)))


def test_authored_messages_are_valid_and_cover_every_domain(taxonomy):
    from nlu.category.training.authored import authored_examples

    rows = authored_examples(taxonomy)
    assert len(rows) > 2_000
    assert {e.domain for e in rows} == {leaf.domain for leaf in taxonomy if leaf.kind == "服务"}
    assert all(taxonomy[e.code].kind == "服务" and e.text for e in rows)


def test_a_bad_authored_row_names_its_file_and_line(taxonomy, tmp_path):
    from nlu.category.training.authored import authored_examples

    (tmp_path / "x.jsonl").write_text(
        '{"title": "t", "text": "路灯坏了", "domain": "城乡建设", "l2": "城市建设和市政管理", "l3": "基础设施"}\n'
        '{"title": "t", "text": "x", "domain": "城乡建设", "l2": "没有这个", "l3": "其他"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="x.jsonl:2"):
        authored_examples(taxonomy, tmp_path)
