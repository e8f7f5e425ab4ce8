"""The ``transformer`` backend really fine-tunes and predicts, on a tiny random BERT built here (no hub, no
../shared). Skipped only when the optional torch/transformers install is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (optional [transformers] extra)")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (optional [transformers] extra)")

from hotline.case import Case
from hotline.registry import category_backends, components
from nlu.category import components as _registers  # noqa: F401
from nlu.category.backend import make_backend
from nlu.category.cli import predict_records
from nlu.category.training.synth import synth_examples
from nlu.category.training.train import TrainConfig
from nlu.category.training.train_transformer import (
    TransformerTrainConfig,
    run_transformer_training,
)

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module", autouse=True)
def no_shared(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_SHARED_DIR", str(tmp_path_factory.mktemp("empty-shared")))
        yield


@pytest.fixture(scope="module")
def base_checkpoint(tmp_path_factory, taxonomy) -> Path:
    """A 'pretrained' checkpoint folder as a user would provide: random tiny BERT + a character vocab.txt."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    chars = sorted({ch for e in synth_examples(taxonomy, per_leaf=2, seed=101) + synth_examples(taxonomy, per_leaf=1)
                    for ch in e.text if not ch.isspace()})
    (folder / "vocab.txt").write_text("\n".join(SPECIAL + chars) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(vocab=str(folder / "vocab.txt"))
    tokenizer.save_pretrained(str(folder))
    config = transformers.BertConfig(vocab_size=len(SPECIAL) + len(chars), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory, taxonomy, base_checkpoint, no_shared):
    target = tmp_path_factory.mktemp("models") / "category-transformer"
    promoted, meta = run_transformer_training(
        taxonomy, target, base_checkpoint, (),
        TransformerTrainConfig(epochs=5, max_steps=40, batch_size=16, max_length=48, learning_rate=2e-3, threads=1),
        TrainConfig(use_tipdm=False, synth_per_leaf=1, noisy_copies=0),
    )
    return target, promoted, meta


def test_training_saves_a_local_model_with_figures(trained):
    target, promoted, meta = trained
    assert promoted and (target / "config.json").exists() and (target / "meta.json").exists()
    assert (target / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# category-transformer")
    assert meta["training"]["steps"] == 40
    assert meta["training"]["last_loss"] < meta["training"]["first_loss"]  # it learned something
    assert meta["dev"]["synth-dev"]["n"] > 100


def test_predicts_through_the_registry_and_component(trained, taxonomy, context):
    target, _, _ = trained
    assert "transformer" in category_backends.get_all()
    backend = make_backend("transformer", taxonomy, model_dir=target)
    guesses = backend.predict("我们小区门口有人摆摊占道经营，天天都有", top_k=3)
    assert len(guesses) == 3 and all(g.domain in taxonomy.domains for g in guesses)
    assert guesses[0].confidence >= guesses[1].confidence >= guesses[2].confidence
    assert sum(g.confidence for g in guesses) <= 1.0 + 1e-6
    assert all(taxonomy.get(g.code).domain == g.domain for g in guesses)
    step = components.get("category_model")(context, backend="transformer", model_dir=str(target))
    case = step(Case(text="路灯不亮，晚上好黑"))
    assert case.category is not None and case.notes["category_backend"] == "transformer"


def test_bad_input(trained, taxonomy):
    target, _, _ = trained
    backend = make_backend("transformer", taxonomy, model_dir=target)
    rows, adapted = predict_records(backend, [
        {"id": "a", "title": "", "text": "", "time": ""},
        {"id": "b", "title": "", "text": "😀😀 hello", "time": ""},
        {"id": "c", "title": "路灯", "text": "路灯不亮\x00\x07" + "很" * 10_000, "time": ""},
    ])
    assert rows[0]["domain"] is None and rows[1]["domain"] is None and adapted is False  # no domain_prior
    assert rows[2]["domain"] in taxonomy.domains and rows[2]["truncated"] is True


def test_no_hub_access(taxonomy, tmp_path):
    with pytest.raises(FileNotFoundError):  # an empty folder is not a model; nothing is fetched from a hub
        make_backend("transformer", taxonomy, model_dir=tmp_path)
