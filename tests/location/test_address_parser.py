"""The CRF address parser: corpus I/O, entity metrics, training on a tiny corpus built here, and the
``predict address`` / ``eval address`` commands (the shipped model is exercised when present)."""

from __future__ import annotations

import random

import pytest
from typer.testing import CliRunner

from nlu.address.corpus import (
    normalise_tag,
    read_tagged,
    read_untagged,
    spans_of,
    tokenize,
    write_tagged,
)
from nlu.address.metrics import entity_scores
from nlu.address.model import AddressParser, load_default_parser
from nlu.address.train import train
from nlu.location.service import DEFAULT_CITY_DIR

REPO = DEFAULT_CITY_DIR.parents[1]

ROADS = ["海五路", "桂澜路", "文华路", "南海大道", "体育西路", "解放路"]
POIS = ["翠景花园", "万科城", "金沙大厦", "阳光小区"]


def _address(rng: random.Random) -> tuple[list[str], list[str]]:
    parts = [("广东省", "prov"), ("佛山市", "city"), ("南海区", "district"), ("桂城街道", "town"),
             (rng.choice(ROADS), "road"), (str(rng.randint(1, 300)), "roadno"), ("号", "roadno*"),
             (rng.choice(POIS), "poi"), (str(rng.randint(1, 30)), "houseno"), ("栋", "houseno*")]
    tokens, tags = [], []
    for text, label in parts[rng.randint(0, 3):]:
        cont = label.endswith("*")
        label = label.rstrip("*")
        for j, tok in enumerate(tokenize(text)[0]):
            tokens.append(tok)
            tags.append(f"I-{label}" if cont or j else f"B-{label}")
    return tokens, tags


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    rng = random.Random(7)
    folder = tmp_path_factory.mktemp("addr")
    write_tagged(folder / "train.txt", [_address(rng) for _ in range(60)])
    write_tagged(folder / "dev.txt", [_address(rng) for _ in range(20)])
    meta = train(folder / "train.txt", folder / "model", params={"max_iterations": 40},
                 dev_path=folder / "dev.txt")
    return folder, meta


def test_corpus_roundtrip_and_tag_normalisation(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("\ufeff浙 B-prov\r\n江 I-prov\n\n杭 B-devZone\n州 I-devZone\n\n\n", encoding="utf-8")
    data = read_tagged(path)
    assert data == [(["浙", "江"], ["B-prov", "I-prov"]), (["杭", "州"], ["B-devzone", "I-devzone"])]
    assert read_untagged(path) == [["浙", "江"], ["杭", "州"]]
    assert normalise_tag("o") == "O"


def test_tokenize_like_the_corpus():
    assert tokenize("海五路602号B座")[0] == ["海", "五", "路", "602", "号", "B", "座"]


def test_spans_and_metrics():
    gold = [["B-road", "I-road", "B-roadno", "O"]]
    pred = [["B-road", "I-road", "I-roadno", "O"]]  # I- without B- starts a new entity (CoNLL)
    assert [s.label for s in spans_of(pred[0])] == ["road", "roadno"]
    overall, per = entity_scores(gold, pred)
    assert overall.f1 == 1.0
    overall, _ = entity_scores(gold, [["B-road", "O", "B-roadno", "O"]])
    assert overall.precision == 0.5 and overall.recall == 0.5


def test_tiny_training_learns(tiny_model):
    folder, meta = tiny_model
    assert meta["dev"]["f1"] > 0.8
    parser = AddressParser(folder / "model")
    assert parser.parse("桂 城 街 道 海 五 路 3 2 号")["road"] == ["海五路"]
    assert parser.tag([]) == []
    assert len(parser.tag(["号"] * 1300)) == 1300  # windowed


def test_predict_and_eval_commands(tiny_model, tmp_path):
    from hotline.cli import app

    folder, _ = tiny_model
    raw = (folder / "dev.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.split()[0] if line.strip() else "" for line in raw]
    (tmp_path / "in.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["predict", "address", str(tmp_path / "in.txt"), str(tmp_path / "out.txt"),
                                 "--model", str(folder / "model")])
    assert result.exit_code == 0, result.output
    out = read_tagged(tmp_path / "out.txt")
    assert [t for t, _ in out] == read_untagged(tmp_path / "in.txt")
    assert all(tag == "O" or tag[:2] in {"B-", "I-"} for _, tags in out for tag in tags)
    result = runner.invoke(app, ["eval", "address", "--data", str(folder / "dev.txt"), "--model",
                                 str(folder / "model")])
    assert result.exit_code == 0 and "overall" in result.output


def test_predict_empty_input(tiny_model, tmp_path):
    from hotline.cli import app

    folder, _ = tiny_model
    (tmp_path / "in.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", "address", str(tmp_path / "in.txt"), str(tmp_path / "out.txt"),
                                      "--model", str(folder / "model")])
    assert result.exit_code == 0 and (tmp_path / "out.txt").read_text(encoding="utf-8") == ""


def test_shipped_model_parses_an_address():
    parser = load_default_parser(REPO / "models")
    assert parser is not None, "models/address-crf is part of the repository"
    parsed = parser.parse("浙江省杭州市余杭区闲林街道五常大道翡翠城12幢3单元501室")
    assert parsed.get("road") == ["五常大道"] and parsed.get("prov") == ["浙江省"]


def test_parser_inside_the_resolver_finds_unknown_names_and_ignores_speech():
    from nlu.location.service import resolver_for

    resolver = resolver_for(DEFAULT_CITY_DIR, REPO / "models")
    for text in ["这条路的路灯坏了", "我家楼下的垃圾没人清", "请帮忙处理一下谢谢"]:
        assert resolver.resolve(text).place is None, text
    place = resolver.resolve("桂城街道翠景花园3栋楼下有积水").place
    assert place.street == "桂城街道" and place.poi == "翠景花园" and place.lon is None


def test_predict_accepts_corpus_layout_variants(tiny_model, tmp_path):
    """CRLF, trailing spaces/tabs, a BOM, multi-character tokens, a U+3000 token, no final blank line: the output
    has exactly the input's tokens, in order, one ``token tag`` line each, labels lower-case."""
    from hotline.cli import app

    folder, _ = tiny_model
    addresses = [["桂", "城", "街", "道", "海", "五", "路", "602", "号"], ["翠", "景", "花", "园", "\u3000", "3", "栋"]]
    plain = "\n\n".join("\n".join(a) for a in addresses) + "\n"
    variants = {
        "plain": plain,
        "crlf": plain.replace("\n", "\r\n"),
        "trailing": "\n".join(line + " " if line else line for line in plain.split("\n")),
        "tabs_bom_no_final_blank": "\ufeff" + "\n".join(line + "\t" if line else line for line in plain.split("\n")).rstrip("\n"),
        "extra_blank_lines": "\n\n" + plain.replace("\n\n", "\n\n\n") + "\n\n",
    }
    outputs = {}
    for name, text in variants.items():
        src, dst = tmp_path / f"{name}.in", tmp_path / f"{name}.out"
        src.write_bytes(text.encode("utf-8"))
        result = CliRunner().invoke(app, ["predict", "address", str(src), str(dst), "--model", str(folder / "model")])
        assert result.exit_code == 0, (name, result.output)
        outputs[name] = dst.read_text(encoding="utf-8")
    assert len(set(outputs.values())) == 1, outputs
    blocks = outputs["plain"].split("\n\n")
    assert [[line.rsplit(" ", 1)[0] for line in b.splitlines()] for b in blocks if b.strip()] == addresses
    for line in outputs["plain"].splitlines():
        if line:
            tag = line.rsplit(" ", 1)[1]
            assert tag == "O" or (tag[:2] in {"B-", "I-"} and tag[2:] == tag[2:].lower()), line
    assert "602 I-roadno" in outputs["plain"] or "602 B-roadno" in outputs["plain"]
