"""The ``hotline`` command. Each package adds its own commands through a ``register`` function (see ``_PLUGINS``)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(help="12345 热线智能受理与分拨 — hotline intake and triage assistant.", no_args_is_help=True)
predict_app = typer.Typer(help="Run a model over an input file (the format each model documents).", no_args_is_help=True)
eval_app = typer.Typer(help="Measure a model on the open dev data in ../shared/data.", no_args_is_help=True)
models_app = typer.Typer(help="Install and inspect model files.", no_args_is_help=True)
app.add_typer(predict_app, name="predict")
app.add_typer(eval_app, name="eval")
app.add_typer(models_app, name="models")

# Modules with ``register(app, predict_app, eval_app, models_app)``; a missing optional module is skipped.
_PLUGINS: tuple[str, ...] = (
    "connectors.cli",
    "triage.cli",
    "nlu.category.cli",
    "nlu.location.cli",
    "speech.cli",
    "bot.cli",
)


def _register_plugins() -> None:
    for name in _PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # that package has not shipped its commands yet
            raise
        module.register(app, predict_app, eval_app, models_app)


_register_plugins()
