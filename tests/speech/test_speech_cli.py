"""``hotline transcribe`` and ``hotline models install-vosk`` through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hotline.cli import app

runner = CliRunner()


def test_transcribe_without_model_fails_clearly(tmp_path: Path, synth, use_model) -> None:  # type: ignore[no-untyped-def]
    use_model(None)
    wav = tmp_path / "call.wav"
    wav.write_bytes(synth["wav"](synth["call"](1)))
    result = runner.invoke(app, ["transcribe", str(wav)])
    assert result.exit_code == 2
    assert "未安装语音识别模型" in result.output and "No Vosk model installed" in result.output


def test_install_then_transcribe_json(tmp_path: Path, synth, lookahead_model: Path, use_model) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "models" / "vosk"
    use_model(target)
    result = runner.invoke(app, ["models", "install-vosk", str(lookahead_model)])
    assert result.exit_code == 0, result.output
    assert "lookahead" in result.output
    wav = tmp_path / "call.wav"
    wav.write_bytes(synth["wav"](synth["call"](2, rate=8000), rate=8000))
    result = runner.invoke(app, ["transcribe", str(wav), "--json", "--no-suggest"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output[result.output.index("{") :])
    assert payload["text"] and len(payload["utterances"]) == 2 and payload["audio"]["sample_rate"] == 8000
    assert payload["suggestion"] is None


def test_transcribe_bad_audio(tmp_path: Path, static_model: Path, use_model) -> None:  # type: ignore[no-untyped-def]
    use_model(static_model)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav file")
    result = runner.invoke(app, ["transcribe", str(bad)])
    assert result.exit_code == 3 and "Audio error" in result.output
    result = runner.invoke(app, ["transcribe", str(tmp_path / "missing.wav")])
    assert result.exit_code == 3


def test_install_incomplete_model(tmp_path: Path) -> None:
    (tmp_path / "broken" / "am").mkdir(parents=True)
    result = runner.invoke(app, ["models", "install-vosk", str(tmp_path / "broken"), "--target", str(tmp_path / "t")])
    assert result.exit_code == 2 and "am/final.mdl" in result.output


def test_tiny_vosk_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "tiny-vosk", str(tmp_path / "tiny"), "--graph", "static"])
    assert result.exit_code == 0 and (tmp_path / "tiny" / "graph" / "HCLG.fst").is_file()
