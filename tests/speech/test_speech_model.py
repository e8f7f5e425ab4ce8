"""Model folders: completeness checks, installing from a folder or zip, published size/sha256 verification."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from speech import model as model_module
from speech.model import (
    ModelError,
    ModelNotInstalled,
    PublishedFile,
    check_model_dir,
    default_model_dir,
    install_model,
    sha256_of,
)


def test_missing_model_message(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled) as info:
        check_model_dir(tmp_path / "vosk")
    message = str(info.value)
    assert "未安装" in message and "No Vosk model installed" in message and "install-vosk" in message


@pytest.mark.parametrize("missing", ["am/final.mdl", "conf/mfcc.conf", "graph/words.txt", "graph/Gr.fst"])
def test_incomplete_model_names_missing_file(tmp_path: Path, lookahead_model: Path, missing: str) -> None:
    copy = tmp_path / "m"
    shutil.copytree(lookahead_model, copy)
    (copy / missing).unlink()
    with pytest.raises(ModelError) as info:
        check_model_dir(copy)
    assert missing in str(info.value)


def test_ivector_folder_must_be_complete(tmp_path: Path, static_model: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(static_model, copy)
    (copy / "ivector").mkdir()
    (copy / "ivector" / "final.ie").write_bytes(b"x")
    with pytest.raises(ModelError, match="ivector/final.dubm"):
        check_model_dir(copy)


def test_empty_file_is_rejected(tmp_path: Path, static_model: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(static_model, copy)
    (copy / "conf" / "model.conf").write_bytes(b"")
    with pytest.raises(ModelError, match="conf/model.conf"):
        check_model_dir(copy)


def test_env_var_chooses_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(tmp_path / "x"))
    assert default_model_dir() == tmp_path / "x"
    monkeypatch.delenv("HOTLINE_VOSK_MODEL")
    assert default_model_dir().name == "vosk"


def test_install_from_folder_and_zip(tmp_path: Path, lookahead_model: Path) -> None:
    info = install_model(lookahead_model, tmp_path / "installed")
    assert info.graph == "lookahead" and (tmp_path / "installed" / "am" / "final.mdl").is_file()
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in lookahead_model.rglob("*"):
            zf.write(path, Path("vosk-model-tiny") / path.relative_to(lookahead_model))
    info = install_model(archive, tmp_path / "installed")  # replaces the previous install
    assert info.path == tmp_path / "installed" and check_model_dir(info.path).graph == "lookahead"


def test_install_rejects_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        install_model(tmp_path / "nope.zip", tmp_path / "t")
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="zip"):
        install_model(not_zip, tmp_path / "t")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape.txt", "x")
    with pytest.raises(ModelError, match="Unsafe"):
        install_model(evil, tmp_path / "t")
    incomplete = tmp_path / "incomplete"
    (incomplete / "am").mkdir(parents=True)
    with pytest.raises(ModelError, match="am/final.mdl"):
        install_model(incomplete, tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_published_checksums_are_verified(tmp_path: Path, static_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mdl = static_model / "am" / "final.mdl"
    good = PublishedFile("am/final.mdl", mdl.stat().st_size, sha256_of(mdl))
    monkeypatch.setitem(model_module.PUBLISHED, "vosk-model-test-1.0", (good,))
    source = tmp_path / "vosk-model-test-1.0"
    shutil.copytree(static_model, source)
    assert install_model(source, tmp_path / "ok").name == "vosk-model-test-1.0"
    damaged = source / "am" / "final.mdl"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")  # same size, different content
    with pytest.raises(ModelError, match="sha256"):
        install_model(source, tmp_path / "bad")
    damaged.write_bytes(damaged.read_bytes() + b"more")
    with pytest.raises(ModelError, match="Size mismatch"):
        install_model(source, tmp_path / "bad")


def test_published_facts_for_small_cn() -> None:
    facts = {f.path: f for f in model_module.PUBLISHED["vosk-model-small-cn-0.22"]}
    assert facts["am/final.mdl"].size == 15901896
    assert facts["graph/HCLr.fst"].sha256.startswith("798af0d9")
