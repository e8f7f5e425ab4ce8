"""``hotline bot setup|train|run|test``: install, train, serve and measure the chat bot.

Imports nothing from Rasa (Rasa lives in ``.venv-rasa``); each command runs a script or the ``rasa`` executable.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import typer

from bot.serve import BOT_DIR, BotNotInstalled, BotServers, base_env, rasa_executable, require_model

bot_app = typer.Typer(help="The chat intake bot (Rasa 3.6 in .venv-rasa).", no_args_is_help=True)


def _run(command: list[str], cwd: Path = BOT_DIR) -> None:
    code = subprocess.call(command, cwd=cwd, env=base_env())
    if code:
        raise typer.Exit(code)


@bot_app.command("setup")
def setup(no_train: bool = typer.Option(False, help="Install only, do not train.")) -> None:
    """Create .venv-rasa (Rasa 3.6.21, its action server, jieba) and train the bot (bot/setup.sh)."""
    env = base_env() | ({"HOTLINE_BOT_NO_TRAIN": "1"} if no_train else {})
    code = subprocess.call(["bash", str(BOT_DIR / "setup.sh")], env=env)
    if code:
        raise typer.Exit(code)


@bot_app.command("train")
def train() -> None:
    """Train the bot into bot/models/hotline-bot.tar.gz (skipped by Rasa when nothing changed)."""
    _run(["bash", str(BOT_DIR / "train.sh")])


@bot_app.command("run")
def run(rasa_port: int = typer.Option(5005, help="Rasa's port (HOTLINE_RASA_URL must point at it)."),
        action_port: int = typer.Option(5055, help="The action server's port."),
        redis_url: str = typer.Option(None, help="Tracker store; default HOTLINE_REDIS_URL or redis://127.0.0.1:6379/0."),
        log_dir: Path = typer.Option(None, help="Write rasa.log and actions.log here (default: inherit nothing).")) -> None:
    """Serve the bot: Rasa (--enable-api, REST channel) and the action server, until Ctrl-C."""
    servers = BotServers(rasa_port=rasa_port, action_port=action_port, log_dir=log_dir)
    if redis_url:
        servers.redis_url = redis_url
    try:
        servers.start()
    except (BotNotInstalled, RuntimeError, TimeoutError) as exc:
        typer.echo(f"bot did not start: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Rasa {servers.rasa_url}  actions {servers.action_url}  (Ctrl-C stops)")
    try:
        while all(p.poll() is None for p in servers.processes):
            time.sleep(1)
        typer.echo("a bot server exited", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()


def nlu_figures(report_path: Path) -> dict[str, float]:
    """Intent macro-F1, accuracy and weighted F1 from Rasa's ``intent_report.json``."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return {"macro_f1": report["macro avg"]["f1-score"], "accuracy": report["accuracy"],
            "weighted_f1": report["weighted avg"]["f1-score"]}


def story_figures(results_dir: Path, stories_file: Path) -> dict[str, float]:
    """Test stories that end correctly (Rasa lists the failed ones in ``failed_test_stories.yml``)."""
    total = stories_file.read_text(encoding="utf-8").count("- story:")
    failed_file = results_dir / "failed_test_stories.yml"
    failed = failed_file.read_text(encoding="utf-8").count("- story:") if failed_file.exists() else 0
    return {"total": total, "failed": failed, "correct_share": (total - failed) / total if total else 0.0}


@bot_app.command("test")
def test(out: Path = typer.Option(BOT_DIR / "results", help="Where Rasa writes its reports.")) -> None:
    """Measure the bot on its held-out tests (bot/tests/): intent macro-F1 and test stories that end correctly."""
    try:
        rasa, model = rasa_executable(), require_model()
    except BotNotInstalled as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    _run([str(rasa), "test", "nlu", "--nlu", "tests/nlu_heldout.yml", "-m", str(model), "--out", str(out / "nlu")])
    _run([str(rasa), "test", "core", "--stories", "tests/test_stories.yml", "-m", str(model), "--out", str(out / "core")])
    nlu = nlu_figures(out / "nlu" / "intent_report.json")
    typer.echo(f"intent macro-F1 {nlu['macro_f1']:.3f}  accuracy {nlu['accuracy']:.3f}  (bot/tests/nlu_heldout.yml)")
    stories = story_figures(out / "core", BOT_DIR / "tests" / "test_stories.yml")
    typer.echo(f"test stories ending correctly {stories['total'] - stories['failed']}/{stories['total']}"
               f" = {stories['correct_share']:.3f}  (bot/tests/test_stories.yml)")


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add ``hotline bot …`` to the product's CLI."""
    app.add_typer(bot_app, name="bot")
