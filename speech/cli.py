"""Speech commands of the ``hotline`` CLI: ``transcribe``, ``models install-vosk``, ``models tiny-vosk``."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from speech.audio import AudioError
from speech.model import ModelError, default_model_dir, install_model

EXIT_NO_MODEL = 2
EXIT_BAD_AUDIO = 3


class Bias(str, Enum):
    auto = "auto"
    grammar = "grammar"
    correction = "correction"
    none = "none"


class Graph(str, Enum):
    lookahead = "lookahead"
    static = "static"


def _fail(message: str, code: int) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _load_pipeline() -> Any:
    """The analysis pipeline, or None (with a warning) when it cannot be built in this installation."""
    try:
        from hotline.pipeline import load_pipeline

        return load_pipeline()
    except Exception as exc:  # noqa: BLE001 - the transcript is still useful without an order suggestion
        typer.echo(f"注意：分析流水线不可用，只输出转写 / Note: analysis pipeline unavailable ({exc})", err=True)
        return None


def transcribe_command(
    file: Annotated[Path, typer.Argument(help="Recording: WAV at any common rate, FLAC, OGG or MP3.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    model: Annotated[Path | None, typer.Option(help="Vosk model folder (default: the installed one).")] = None,
    bias: Annotated[Bias, typer.Option(help="Domain biasing: auto, grammar, correction or none.")] = Bias.auto,
    punctuation: Annotated[bool, typer.Option(help="Add commas at pauses and a final full stop.")] = False,
    itn: Annotated[bool, typer.Option(help="Spoken numbers to digits (幺三八 → 138).")] = True,
    suggest: Annotated[bool, typer.Option(help="Run the analysis pipeline on the transcript.")] = True,
) -> None:
    """Transcribe a recording (转写录音) and suggest the work order."""
    from speech.recognizer import TextOptions, get_engine
    from speech.service import suggest as suggest_order
    from speech.service import transcribe

    try:
        engine = get_engine(model)
    except ModelError as exc:
        _fail(str(exc), EXIT_NO_MODEL)
    try:
        result = transcribe(file, engine, bias.value, text=TextOptions(itn=itn, punctuation=punctuation))
    except AudioError as exc:
        _fail(f"音频错误 / Audio error ({exc.code}): {exc}", EXIT_BAD_AUDIO)
    suggestion = suggest_order(_load_pipeline(), result.text) if suggest and result.text else None
    if as_json:
        payload = result.to_dict() | {"suggestion": suggestion}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not result.text:
        typer.echo("（未识别到语音 / no speech recognised）")
        return
    typer.echo(result.text)
    if suggestion:
        category = (suggestion.get("category") or {}).get("name")
        place = (suggestion.get("location") or {}).get("normalized")
        department = (suggestion.get("department") or {}).get("name")
        typer.echo(f"建议 / suggestion: 分类={category} 地点={place} 部门={department} 紧急度={suggestion.get('urgency')}")


def install_vosk_command(
    path: Annotated[Path, typer.Argument(help="A downloaded model folder or .zip (e.g. vosk-model-small-cn-0.22.zip).")],
    target: Annotated[Path | None, typer.Option(help="Install here instead of the default model folder.")] = None,
) -> None:
    """Install a downloaded Vosk model, checking its files (and published sizes/sha256 when known)."""
    try:
        info = install_model(path, target or default_model_dir())
    except ModelError as exc:
        _fail(str(exc), EXIT_NO_MODEL)
    verified = f"，已核对公布的大小与 sha256 / published sizes and sha256 verified ({info.name})" if info.name else (
        "（未知模型，未核对校验值 / unknown model: no published checksums to verify）"
    )
    typer.echo(f"已安装语音模型 / Vosk model installed: {info.path} [{info.graph} graph]{verified}")


def tiny_vosk_command(
    dest: Annotated[Path, typer.Argument(help="Folder to write the tiny model into.")],
    graph: Annotated[Graph, typer.Option(help="lookahead (grammars work) or static (HCLG).")] = Graph.lookahead,
) -> None:
    """Write a tiny meaningless Vosk model (for trying the plumbing and for tests; it cannot understand speech)."""
    from speech.tiny_model import build_tiny_model

    build_tiny_model(dest, graph.value)
    typer.echo(f"tiny Vosk model written to {dest} ({graph.value}); its words are meaningless", file=sys.stdout)


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add the speech commands to the ``hotline`` CLI."""
    app.command("transcribe")(transcribe_command)
    models_app.command("install-vosk")(install_vosk_command)
    models_app.command("tiny-vosk")(tiny_vosk_command)
