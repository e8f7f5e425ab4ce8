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
from nlu.category.training.synth import Example, synth_examples
from nlu.category.training.train import (
    CUE_CANDIDATES,
    FUSION_CANDIDATES,
    TrainConfig,
    choose_fusion_and_temperature,
    heldout_predictions,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fitted(taxonomy):
    examples = synth_examples(taxonomy, per_leaf=2, seed=3)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=1, sublinear_tf=True, dtype=np.float32)
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
    config = TrainConfig(use_tipdm=False, max_features=10_000, calibrate_folds=2, max_iter=60)
    held, proba, domains = heldout_predictions(examples, config)
    assert len(held) == sum(e.source == "tipdm-hand" for e in examples) and proba.shape == (len(held), len(domains))
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    fusion, cue_weight, temperature, report = choose_fusion_and_temperature(
        held, proba, domains, cached_domain_cues(), KeywordClassifier(taxonomy))
    assert fusion in FUSION_CANDIDATES and cue_weight in CUE_CANDIDATES and 0.2 <= temperature <= 20
    assert report["n"] == len(held) and len(report["macro_f1_7_by_weights"]) == len(FUSION_CANDIDATES) * len(CUE_CANDIDATES)
    assert report["macro_f1_7_chosen"] >= report["macro_f1_7_without_fusion"]
