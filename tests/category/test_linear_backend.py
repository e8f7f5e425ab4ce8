"""Training and prediction of the linear backend on this project's own synthetic data (no ../shared needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hotline.case import Case
from hotline.registry import components
from nlu.category import components as _registers  # noqa: F401
from nlu.category.backend import make_backend
from nlu.category.cli import predict_records
from nlu.category.features import DEFAULT_BLOCKS, capped
from nlu.category.training.synth import synth_examples
from nlu.category.training.train import TrainConfig, correction_examples, run_training

SMALL = TrainConfig(use_tipdm=False, synth_per_leaf=3, noisy_copies=1, blocks=capped(DEFAULT_BLOCKS, 20_000))


@pytest.fixture(scope="module", autouse=True)
def no_shared(tmp_path_factory):
    """Run as on a user's machine: no ../shared corpus (tests must not depend on it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_SHARED_DIR", str(tmp_path_factory.mktemp("empty-shared")))
        yield


@pytest.fixture(scope="module")
def trained(tmp_path_factory, taxonomy, no_shared):
    folder = tmp_path_factory.mktemp("models") / "category-linear"
    corrections = correction_examples(
        taxonomy,
        [{"text": "我家小孩的学籍转不过来", "title": "", "code": "FW140207"}] * 3
        + [{"text": "x", "code": "NOPE"}],  # unknown code: skipped
    )
    promoted, meta = run_training(taxonomy, folder, corrections, SMALL)
    return folder, promoted, meta


def test_training_writes_model_and_figures(trained):
    folder, promoted, meta = trained
    assert promoted and (folder / "model.npz").exists() and (folder / "meta.json").exists()
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert f"macro-F1 {meta['dev']['synth-dev']['macro_f1']:.4f}" in card  # the card carries the measured figures
    assert meta["training_examples"]["corrections"] == 3
    dev = meta["dev"]["synth-dev"]
    assert dev["n"] > 100 and dev["accuracy"] > 0.5  # well above chance over 15 domains


def test_prediction_fills_every_field(trained, taxonomy):
    folder, _, _ = trained
    backend = make_backend("linear", taxonomy, model_dir=folder)
    guesses = backend.predict("我们小区门口有人摆摊占道经营，天天都有", top_k=3)
    assert len(guesses) == 3 and guesses[0].domain == "城乡建设"
    assert guesses[0].code == "SJ0507" and "占道经营" in guesses[0].reasons
    assert abs(sum(g.confidence for g in guesses) - 1.0) < 0.5 and guesses[0].confidence >= guesses[1].confidence
    assert backend.predict("社保卡丢了怎么补办啊", top_k=1)[0].domain == "劳动和社会保障"


def test_leaf_head_picks_service_leaves_and_learns_corrections(trained, taxonomy):
    folder, _, meta = trained
    assert meta["training_examples"]["leaf-head"] > 2_000  # authored messages + synthetic service sentences
    backend = make_backend("linear", taxonomy, model_dir=folder)
    assert backend.model.leaf_head is not None
    # the three agents' corrections name this leaf for this wording: the leaf head learned it
    guess = backend.predict("我家小孩的学籍转不过来", top_k=1)[0]
    assert guess.domain == "教育文体" and guess.code == "FW140207"
    # a city-management cue (事件) still wins the leaf inside its domain
    assert backend.predict("我们小区门口有人摆摊占道经营", top_k=1)[0].code == "SJ0507"


def test_not_worse_gate(trained, taxonomy):
    folder, _, meta = trained
    worse = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    for report in worse["dev"].values():
        report["macro_f1"] = 1.01  # pretend the shipped model is better than anything
    (folder / "meta.json").write_text(json.dumps(worse), encoding="utf-8")
    promoted, _ = run_training(taxonomy, folder, (), SMALL)
    assert not promoted
    promoted, _ = run_training(taxonomy, folder, (), SMALL, force=True)  # an operator may insist
    assert promoted and json.loads((folder / "meta.json").read_text(encoding="utf-8"))["dev"]["synth-dev"]["macro_f1"] < 1


def test_category_model_component(trained, context):
    folder, _, _ = trained
    step = components.get("category_model")(context, backend="linear", model_dir=str(folder), review_below=0.5)
    case = step(Case(text="燃气管道泄漏有味道，好大煤气味"))
    assert case.category.code == "SJ0403" and case.notes["category_backend"] == "linear"
    empty = step(Case(text="🙂🙂"))
    assert empty.category is None and empty.review_reasons


def test_category_model_component_adapts_to_the_recent_mix(trained, context, taxonomy):
    """Live intake, one case at a time: with ``adapt_window`` the step learns from the stream that 教育文体 is what
    this centre hears, and classifies the later cases better than the same step without it."""
    folder, _, _ = trained
    education = [e.text for e in synth_examples(taxonomy, per_leaf=6, seed=7) if e.domain == "教育文体"][:90]
    right = {}
    for window in (0, 60):
        step = components.get("category_model")(context, backend="linear", model_dir=str(folder), adapt_window=window)
        domains = [step(Case(text=text)).category.domain for text in education]
        right[window] = np.mean([d == "教育文体" for d in domains[30:]])  # after the first MIN_BATCH cases
        first = [step(Case(text=text)).category.domain for text in education[:3]]
        assert window or first == domains[:3]  # without a window the answer never depends on what came before
    assert right[60] > right[0] + 0.05 and right[60] > 0.85, right


def test_adapt_window_is_ignored_without_a_calibration_mix(context, caplog):
    step = components.get("category_model")(context, backend="linear", model_dir="/nonexistent/model", adapt_window=50)
    assert step(Case(text="路灯不亮了")).notes["category_backend"] == "keyword"
    assert "adapt_window is ignored" in caplog.text


@pytest.mark.parametrize("backend_name", ["keyword", "linear"])
def test_predict_records_bad_input(trained, taxonomy, backend_name):
    folder, _, _ = trained
    backend = make_backend(backend_name, taxonomy, model_dir=folder)
    rows, adapted = predict_records(backend, [
        {"id": "a", "title": "", "text": "", "time": ""},
        {"id": "b", "title": "!!!", "text": "😀😀", "time": ""},
        {"id": "c", "title": "", "text": "street light broken", "time": ""},
        {"id": "d", "title": "路灯", "text": "  路灯不亮\t\n\x00 street light " + "很" * 10_000, "time": ""},
        "not an object",
    ])
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", None]
    assert adapted is False  # one usable row: far too few to estimate a batch's mix
    for row in rows[:3] + rows[4:]:
        assert row["domain"] is None and row["category"] is None and row["confidence"] == 0.0
    assert rows[3]["domain"] == "城乡建设" and rows[3]["truncated"] is True
    assert set(rows[3]["category"]) == {"code", "name", "path"}


def test_predict_command_adapts_to_the_file_mix(trained, taxonomy, tmp_path):
    """``hotline predict category`` on a file that is nearly all one domain: the model (calibrated on the synthetic
    sentences' mix, which it saves) estimates the file's mix and gets more of them right than ``--no-adapt``,
    which classifies each message alone (measured: 0.92 against 0.75)."""
    from typer.testing import CliRunner

    from hotline.cli import app

    folder, _, _ = trained
    backend = make_backend("linear", taxonomy, model_dir=folder)
    assert backend.domain_prior is not None and abs(backend.domain_prior.sum() - 1) < 1e-9
    saved = json.loads((folder / "meta.json").read_text("utf-8"))
    assert list(saved["domain_prior"]) == saved["domains"]
    education = [e for e in synth_examples(taxonomy, per_leaf=6, seed=7) if e.domain == "教育文体"][:60]
    rows_in = [{"id": str(i), "title": "", "text": e.text, "time": ""} for i, e in enumerate(education)]
    (tmp_path / "in.json").write_text(json.dumps(rows_in, ensure_ascii=False), encoding="utf-8")
    accuracy = {}
    for flag in ("--adapt", "--no-adapt"):
        out = tmp_path / f"out{flag}.json"
        result = CliRunner().invoke(app, ["predict", "category", str(tmp_path / "in.json"), str(out),
                                          "--model-dir", str(folder), flag])
        assert result.exit_code == 0, result.output
        assert ("已按本批留言的类别构成校正" in result.output) == (flag == "--adapt")
        rows = json.loads(out.read_text(encoding="utf-8"))
        assert [r["id"] for r in rows] == [r["id"] for r in rows_in]
        accuracy[flag] = np.mean([r["domain"] == "教育文体" for r in rows])
    assert accuracy["--adapt"] > accuracy["--no-adapt"] + 0.05 and accuracy["--adapt"] > 0.85, accuracy


@pytest.mark.parametrize("content, message", [
    ("{bad", "输入不是合法的 JSON（第 1 行第 2 列）"),
    ('{"id": "a", "text": "路灯不亮"}', "输入必须是 JSON 列表"),
    (None, "does not exist"),
])
def test_predict_command_refuses_bad_files(tmp_path, content, message):
    from typer.testing import CliRunner

    from hotline.cli import app

    infile = tmp_path / "in.json"
    if content is not None:
        infile.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", "category", str(infile), str(tmp_path / "out.json"),
                                      "--backend", "keyword"], env={"COLUMNS": "300"})  # no wrapped error box
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "out.json").exists()
