"""The Rasa project is consistent, its held-out set is really held out, and bot.cli plugs into the product CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

BOT = Path(__file__).resolve().parents[2] / "bot"


def examples(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        out[block["intent"]] = [line[2:].strip() for line in block["examples"].splitlines() if line.strip()]
    return out


def test_heldout_sentences_are_not_in_training_data():
    train = {e for group in examples(BOT / "data" / "nlu.yml").values() for e in group}
    heldout = [e for group in examples(BOT / "tests" / "nlu_heldout.yml").values() for e in group]
    assert len(heldout) >= 100
    assert [e for e in heldout if e in train] == []


def test_every_intent_is_trained_and_tested():
    domain = yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))
    intents = set(domain["intents"]) - {"silence"}  # silence is sent as /silence by the API, never typed
    assert intents <= set(examples(BOT / "data" / "nlu.yml"))
    assert intents <= set(examples(BOT / "tests" / "nlu_heldout.yml"))


def test_every_action_named_in_rules_and_stories_is_declared():
    domain = yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))
    known = set(domain["actions"]) | set(domain["responses"]) | set(domain["forms"]) | {"action_deactivate_loop"}
    for name in ("data/rules.yml", "data/stories.yml", "tests/test_stories.yml"):
        doc = yaml.safe_load((BOT / name).read_text(encoding="utf-8"))
        for block in doc.get("rules", []) + doc.get("stories", []):
            for step in block["steps"]:
                if "action" in step:
                    assert step["action"] in known, f"{name}: {step['action']}"


def test_cli_imports_no_rasa_and_registers_commands():
    import bot.cli

    assert "rasa" not in sys.modules and "rasa_sdk" not in sys.modules
    app, sub = typer.Typer(), [typer.Typer() for _ in range(3)]
    bot.cli.register(app, *sub)
    result = CliRunner().invoke(app, ["bot", "--help"])
    assert result.exit_code == 0
    for command in ("setup", "train", "run", "test"):
        assert command in result.output


def test_endpoints_use_redis_and_environment():
    endpoints = (BOT / "endpoints.yml").read_text(encoding="utf-8")
    assert "type: redis" in endpoints and "${BOT_REDIS_HOST}" in endpoints and "${BOT_ACTION_URL}" in endpoints
