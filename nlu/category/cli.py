"""Commands: ``hotline predict category``, ``hotline eval category``, ``hotline train category``, ``hotline models category``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _default_folder(backend: str) -> Path:
    return get_settings().models_dir / (DEFAULT_MODEL if backend == "linear" else f"category-{backend}")


def _backend(name: str, model_dir: Path | None):
    from nlu.category.backend import make_backend

    taxonomy = _taxonomy()
    if name == "keyword":
        return make_backend("keyword", taxonomy)
    folder = model_dir or _default_folder(name)
    if not folder.exists():
        typer.echo(f"模型目录不存在：{folder}（先运行 hotline train category）", err=True)
        raise typer.Exit(2)
    return make_backend(name, taxonomy, model_dir=folder)


def predict_records(backend: Any, records: list[Any], max_chars: int = 2000,
                    adapt: bool = True) -> tuple[list[dict[str, Any]], bool]:
    """The output rows of ``hotline predict category`` for input rows ``{"id","title","text","time"}``, and whether
    they were adapted to the batch's class mix (``nlu.category.mix``; only with ``adapt``, a backend that can, and
    at least ``MIN_BATCH`` usable rows).

    A row that is not an object, or whose text has no Chinese, gets ``domain``/``category`` null and confidence 0.
    """
    from nlu.category.mix import predict_batch
    from nlu.category.text import prepare

    records = [r if isinstance(r, dict) else {"id": None, "text": str(r)} for r in records]
    prepared = [prepare(str(r.get("text") or ""), str(r.get("title") or ""), max_chars=max_chars) for r in records]
    guesses, mix = predict_batch(backend, [p.text if p.usable else "" for p in prepared], top_k=1, adapt=adapt)
    out = []
    for record, text, found in zip(records, prepared, guesses):
        row: dict[str, Any] = {"id": record.get("id"), "domain": None, "category": None, "confidence": 0.0}
        if found:
            g = found[0]
            row.update(domain=g.domain, category={"code": g.code, "name": g.name, "path": g.path},
                       confidence=g.confidence)
        if text.truncated:
            row["truncated"] = True
        out.append(row)
    return out, mix is not None


def predict_category(
    infile: Path = typer.Argument(..., help="JSON list of {id, title, text, time}.", exists=True, dir_okay=False,
                                  readable=True),
    outfile: Path = typer.Argument(..., help="Where to write the JSON list of {id, domain, category, confidence}."),
    backend: str = typer.Option("linear", help="linear | keyword | transformer"),
    model_dir: Path | None = typer.Option(None, help="Model folder (default models/category-<backend>)."),
    adapt: bool = typer.Option(True, help="Adapt to the file's own mix of domains (EM; ≥ 30 usable messages)."),
) -> None:
    """Classify every message of IN.json into OUT.json."""
    try:
        records = json.loads(infile.read_text(encoding="utf-8-sig", errors="replace"))
    except json.JSONDecodeError as error:
        typer.echo(f"输入不是合法的 JSON（第 {error.lineno} 行第 {error.colno} 列）：{error.msg}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(records, list):
        typer.echo("输入必须是 JSON 列表", err=True)
        raise typer.Exit(2)
    rows, adapted = predict_records(_backend(backend, model_dir), records, adapt=adapt)
    outfile.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"{len(rows)} 条 → {outfile}" + ("（已按本批留言的类别构成校正）" if adapted else ""))


def eval_category(
    backend: str = typer.Option("linear", help="linear | keyword | transformer"),
    model_dir: Path | None = typer.Option(None),
    update_card: bool = typer.Option(False, help="Write these figures into the model's meta.json and MODEL_CARD.md."),
) -> None:
    """Accuracy, macro-F1 and accuracy-vs-coverage of a backend on the dev splits (domain level)."""
    from datetime import date

    from nlu.category.training.train import (
        backend_predict_domain,
        dev_fingerprint,
        evaluate_backend,
    )
    from nlu.category.mix import can_adapt

    chosen = _backend(backend, model_dir)
    batch = backend_predict_domain(chosen, adapt=True) if can_adapt(chosen) else None
    reports = evaluate_backend(backend_predict_domain(chosen), chosen.taxonomy, batch)
    for r in reports.values():
        sizes = ", ".join(f"{k} {v}" for k, v in r.per_class_n.items()) if r.name.endswith("-7") else ""
        typer.echo(f"{r.name}: n={r.n} accuracy={r.accuracy:.4f} macro_f1={r.macro_f1:.4f}"
                   + (f"  ({sizes})" if sizes else ""))
        for c in r.coverage_curve:
            typer.echo(f"    abstain<{c['threshold']:.1f}: coverage={c['coverage']:.3f} accuracy={c['accuracy']:.4f}")
    if update_card and backend != "keyword":
        from nlu.category.training.card import write_card

        folder = model_dir or _default_folder(backend)
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["dev"] = {name: r.as_dict() for name, r in reports.items()}
        meta["evaluated_on"] = str(date.today())
        meta["dev_fingerprint"] = dev_fingerprint()
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        typer.echo(f"→ {write_card(folder, meta)}")


def train_category(
    corrections: Path | None = typer.Option(None, help="JSONL of agents' corrections {text, title, code}."),
    model_dir: Path | None = typer.Option(None, help="Target folder (default models/category-<backend>)."),
    no_tipdm: bool = typer.Option(False, help="Do not read ../shared (synthetic data and corrections only)."),
    backend: str = typer.Option("linear", help="linear | transformer"),
    base_model: Path | None = typer.Option(None, help="transformer: local checkpoint folder (BERT-family)."),
    epochs: float = typer.Option(2.0, help="transformer: training epochs."),
    force: bool = typer.Option(False, help="Replace the model even if it scores lower on dev (e.g. after new labels)."),
) -> None:
    """Retrain a backend; the new model replaces the old only if not worse on dev. Writes the model card."""
    from nlu.category.training.train import (
        TrainConfig,
        correction_examples,
        run_training,
    )

    taxonomy = _taxonomy()
    rows: list[dict[str, Any]] = []
    try:
        from triage.learning import category_corrections  # provided by the triage side

        rows = list(category_corrections(get_settings()))
    except ImportError:
        pass
    except Exception as exc:  # the order database may not exist yet on a fresh machine: train without it
        typer.echo(f"未能读取坐席更正记录（{type(exc).__name__}），本次训练不含更正数据", err=True)
    if corrections is not None:
        rows += [json.loads(line) for line in corrections.read_text(encoding="utf-8").splitlines() if line.strip()]
    target = model_dir or _default_folder(backend)
    examples = correction_examples(taxonomy, rows)
    if backend == "transformer":
        if base_model is None:
            typer.echo("transformer 需要 --base-model（本地 BERT 类模型目录）", err=True)
            raise typer.Exit(2)
        from nlu.category.training.train_transformer import (
            TransformerTrainConfig,
            run_transformer_training,
        )

        promoted, meta = run_transformer_training(
            taxonomy, target, base_model, examples,
            TransformerTrainConfig(epochs=epochs), TrainConfig(use_tipdm=not no_tipdm), force=force)
    else:
        promoted, meta = run_training(taxonomy, target, examples, TrainConfig(use_tipdm=not no_tipdm), force=force)
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
