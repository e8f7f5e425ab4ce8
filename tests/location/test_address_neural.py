"""The neural member of the address parser (``nlu.address.neural``): numpy inference reproduces torch, decoding
only yields valid BIO, and a parser folder with ``bilstm.npz`` tags by mixing it with the CRF."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from nlu.address.corpus import tokenize
from nlu.address.model import AddressParser
from nlu.address.neural import DENSE_NAMES, NeuralTagger, _lstm, decode, dense_inputs, neural_file
from nlu.address.train import train

torch = pytest.importorskip("torch", reason="training the neural member needs torch (the transformers extra)")

ROADS = ["海五路", "桂澜路", "文华街", "南海大道"]
POIS = ["翠景花园", "金沙大厦", "万科城"]


def _data(seed: int, n: int) -> list[tuple[list[str], list[str]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        road, poi = rng.choice(ROADS), rng.choice(POIS)
        no = str(rng.randint(1, 99))
        tokens = tokenize(road)[0] + [no, "号"] + tokenize(poi)[0]
        tags = (["B-road"] + ["I-road"] * (len(road) - 1) + ["B-roadno", "I-roadno"]
                + ["B-poi"] + ["I-poi"] * (len(poi) - 1))
        out.append((tokens, tags))
    return out


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory):
    from nlu.address.train_neural import train_members

    folder = tmp_path_factory.mktemp("ensemble")
    data = _data(1, 80)
    train(data, folder, params={"max_iterations": 30})
    crf_only = tmp_path_factory.mktemp("crf-only")
    for item in folder.iterdir():
        shutil.copy(item, crf_only / item.name)
    info = train_members(data, folder, seeds=(1, 2), epochs=6, hidden=16, token_dim=8, bigram_dim=4)
    assert info["members"] == [neural_file(1), neural_file(2)]
    return folder, crf_only


def test_numpy_lstm_matches_torch():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 3, batch_first=True, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    expected = lstm(torch.tensor(x)[None])[0][0].detach().numpy()
    w = {k: v.detach().numpy() for k, v in lstm.named_parameters()}
    fwd = _lstm(x, w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"] + w["bias_hh_l0"])
    bwd = _lstm(x[::-1], w["weight_ih_l0_reverse"], w["weight_hh_l0_reverse"],
                w["bias_ih_l0_reverse"] + w["bias_hh_l0_reverse"])[::-1]
    assert np.allclose(np.concatenate([fwd, bwd], axis=1), expected, atol=1e-5)


def test_decode_never_starts_an_entity_with_i():
    tags = ["O", "B-road", "I-road", "B-poi", "I-poi"]
    proba = np.array([[0.1, 0.1, 0.6, 0.1, 0.1],   # I-road most likely, but nothing precedes it
                      [0.1, 0.1, 0.1, 0.1, 0.6]])  # I-poi after a road is invalid too
    out = decode(proba, tags)
    assert out[0] != "I-road" and not (out[1] == "I-poi" and out[0] != "B-poi")
    assert decode(np.zeros((0, 5)), tags) == []


def test_dense_inputs_mark_divisions_and_shapes():
    tokens = tokenize("广东省佛山市12号")[0]
    dense = dense_inputs(tokens, {"佛山市": frozenset({"city"})})
    names = [DENSE_NAMES[j] for j in np.flatnonzero(dense[0])]
    assert "B-prov" in names and "shape:C" in names
    assert dense[tokens.index("12"), DENSE_NAMES.index("shape:D")] == 1.0
    assert dense[3, DENSE_NAMES.index("entB-city")] == 1.0
    assert dense_inputs([], None).shape == (0, len(DENSE_NAMES))


def test_parser_with_a_neural_member_mixes_it_in(ensemble_dir):
    folder, crf_only = ensemble_dir
    parser = AddressParser(folder)
    assert len(parser.neural) == 2 and not AddressParser(crf_only).neural
    assert parser.meta["neural"]["weight"] == parser.neural_weight
    tokens = tokenize("桂澜路8号金沙大厦")[0]
    proba = parser.proba(tokens)
    assert proba.shape == (len(tokens), len(parser.labels))
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-3)
    assert parser.parse("桂澜路8号金沙大厦") == {"road": ["桂澜路"], "roadno": ["8号"], "poi": ["金沙大厦"]}
    odd = ["😀", "\x07"]
    assert NeuralTagger(folder / neural_file(1)).proba(odd, dense_inputs(odd, None)).shape[0] == 2
    assert parser.neural_weight == pytest.approx(2 / 3)
    assert parser.tag([]) == []


def test_train_address_command_with_dev_and_estimate(tmp_path, monkeypatch):
    """``hotline models train-address --with-dev --estimate`` on a corpus folder laid out like ../shared: the CRF
    and its BiLSTM members, trained on train + dev, with the dev-fold estimate recorded; ``eval address`` warns
    that such a model has seen dev."""
    from typer.testing import CliRunner

    from hotline.cli import app
    from nlu.address.corpus import write_tagged
    from nlu.address.train import CORPUS

    corpus = tmp_path / "shared" / "data" / CORPUS
    corpus.mkdir(parents=True)
    write_tagged(corpus / "train.txt", _data(2, 50))
    write_tagged(corpus / "dev.txt", _data(3, 20))
    monkeypatch.setenv("HOTLINE_SHARED_DIR", str(tmp_path / "shared"))
    runner = CliRunner()
    result = runner.invoke(app, ["models", "train-address", "--with-dev", "--out", str(tmp_path / "m"),
                                 "--estimate", str(tmp_path / "folds")])
    assert result.exit_code == 0, result.output
    parser = AddressParser(tmp_path / "m")
    assert parser.meta["trained_on_dev"] is True and parser.meta["train_addresses"] == 70
    assert len(parser.neural) == 3 and parser.meta["neural"]["train_addresses"] == 70
    estimate = parser.meta["dev_estimate"]
    assert estimate["entities"] == 60 and 0.0 <= estimate["f1"] <= 1.0
    assert sorted(p.name for p in (tmp_path / "folds").iterdir()) == ["dev-fold-0", "dev-fold-1"]
    result = runner.invoke(app, ["eval", "address", "--model", str(tmp_path / "m")])
    assert result.exit_code == 0 and "trained on train + dev" in result.output
