"""Commands: ``hotline predict category``, ``hotline eval category``, ``hotline train category``, ``hotline models category``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from hotline.settings import get_settings

DEFAULT_MODEL = "category-linear"


def _taxonomy():
    from hotline.city import cached_city
    from nlu.taxonomy import load_taxonomy

    settings = get_settings()
    try:
        extension = cached_city(settings.city_dir.resolve()).file("taxonomy_extension")
    except (FileNotFoundError, ValueError):
        extension = None
    return load_taxonomy(extension)


def _backend(name: str, model_dir: Optional[Path]):
    from nlu.category.backend import make_backend

    taxonomy = _taxonomy()
    if name == "keyword":
        return make_backend("keyword", taxonomy)
    folder = model_dir or get_settings().models_dir / (DEFAULT_MODEL if name == "linear" else f"category-{name}")
    if not folder.exists():
        typer.echo(f"模型目录不存在：{folder}（先运行 hotline train category）", err=True)
        raise typer.Exit(2)
    return make_backend(name, taxonomy, model_dir=folder)


def predict_records(backend: Any, records: list[Any], max_chars: int = 2000) -> list[dict[str, Any]]:
    """The output rows of ``hotline predict category`` for input rows ``{"id","title","text","time"}``.

    A row that is not an object, or whose text has no Chinese, gets ``domain``/``category`` null and confidence 0.
    """
    from nlu.category.text import prepare

    out = []
    for record in records:
        record = record if isinstance(record, dict) else {"id": None, "text": str(record)}
        prepared = prepare(str(record.get("text") or ""), str(record.get("title") or ""), max_chars=max_chars)
        guesses = backend.predict(prepared.text, top_k=1) if prepared.usable else []
        row: dict[str, Any] = {"id": record.get("id"), "domain": None, "category": None, "confidence": 0.0}
        if guesses:
            g = guesses[0]
            row.update(domain=g.domain, category={"code": g.code, "name": g.name, "path": g.path},
                       confidence=g.confidence)
        if prepared.truncated:
            row["truncated"] = True
        out.append(row)
    return out


def predict_category(
    infile: Path = typer.Argument(..., help="JSON list of {id, title, text, time}."),
    outfile: Path = typer.Argument(..., help="Where to write the JSON list of {id, domain, category, confidence}."),
    backend: str = typer.Option("linear", help="linear | keyword | transformers"),
    model_dir: Optional[Path] = typer.Option(None, help="Model folder (default models/category-<backend>)."),
) -> None:
    """Classify every message of IN.json into OUT.json."""
    records = json.loads(infile.read_text(encoding="utf-8-sig", errors="replace"))
    if not isinstance(records, list):
        typer.echo("输入必须是 JSON 列表", err=True)
        raise typer.Exit(2)
    rows = predict_records(_backend(backend, model_dir), records)
    outfile.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"{len(rows)} 条 → {outfile}")


def eval_category(
    backend: str = typer.Option("linear", help="linear | keyword | transformers"),
    model_dir: Optional[Path] = typer.Option(None),
) -> None:
    """Accuracy, macro-F1 and accuracy-vs-coverage of a backend on the dev splits (domain level)."""
    from nlu.category.training.train import SEVEN, dev_sets, evaluate

    chosen = _backend(backend, model_dir)

    def predict_domain(texts: list[str]):
        guesses = [chosen.predict(t, top_k=1) for t in texts]
        return [g[0].domain if g else "无" for g in guesses], [g[0].confidence if g else 0.0 for g in guesses]

    for name, (texts, gold) in dev_sets(chosen.taxonomy).items():
        reports = [evaluate(predict_domain, texts, gold, name)]
        if name == "tipdm-hand-dev":
            keep = [i for i, g in enumerate(gold) if g in SEVEN]
            reports.append(evaluate(predict_domain, [texts[i] for i in keep], [gold[i] for i in keep],
                                    name + "-7", labels=SEVEN))
        for r in reports:
            typer.echo(f"{r.name}: n={r.n} accuracy={r.accuracy:.4f} macro_f1={r.macro_f1:.4f}")
            for c in r.coverage_curve:
                typer.echo(f"    abstain<{c['threshold']:.1f}: coverage={c['coverage']:.3f} accuracy={c['accuracy']:.4f}")


def train_category(
    corrections: Optional[Path] = typer.Option(None, help="JSONL of agents' corrections {text, title, code}."),
    model_dir: Optional[Path] = typer.Option(None, help="Target folder (default models/category-linear)."),
    no_tipdm: bool = typer.Option(False, help="Do not read ../shared (synthetic data and corrections only)."),
) -> None:
    """Retrain the linear backend; the new model replaces the old only if not worse on dev."""
    from nlu.category.training.train import TrainConfig, correction_examples, run_training

    taxonomy = _taxonomy()
    rows: list[dict[str, Any]] = []
    try:
        from triage.learning import category_corrections  # provided by the triage side

        rows = list(category_corrections(get_settings()))
    except ImportError:
        pass
    if corrections is not None:
        rows += [json.loads(line) for line in corrections.read_text(encoding="utf-8").splitlines() if line.strip()]
    target = model_dir or get_settings().models_dir / DEFAULT_MODEL
    promoted, meta = run_training(taxonomy, target, correction_examples(taxonomy, rows),
                                  TrainConfig(use_tipdm=not no_tipdm))
    typer.echo(json.dumps({"promoted": promoted, "examples": meta["training_examples"],
                           "dev": {k: {"accuracy": v["accuracy"], "macro_f1": v["macro_f1"]}
                                   for k, v in meta["dev"].items()}}, ensure_ascii=False, indent=1))


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add the category commands to the ``hotline`` CLI."""
    predict_app.command("category")(predict_category)
    eval_app.command("category")(eval_category)
    train_app = next((g.typer_instance for g in app.registered_groups if g.name == "train"), None)
    if train_app is None:
        train_app = typer.Typer(help="Train models.", no_args_is_help=True)
        app.add_typer(train_app, name="train")
    train_app.command("category")(train_category)
