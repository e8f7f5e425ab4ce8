"""Commands of location understanding: ``hotline locate``, ``hotline predict address``, ``hotline eval address``,
``hotline eval location`` and ``hotline models train-address``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from hotline.settings import get_settings


def _parser_or_exit(model: Path | None):
    from nlu.address.model import AddressParser, load_default_parser

    if model is not None:
        return AddressParser(model)
    parser = load_default_parser(get_settings().models_dir)
    if parser is None:
        typer.echo(f"no address parser model in {get_settings().models_dir}/address-crf "
                   "(train one: hotline models train-address)", err=True)
        raise typer.Exit(2)
    return parser


def locate(
    text: str = typer.Argument(..., help="What the caller said (chat text or a transcript)."),
    hint: str | None = typer.Option(None, "--hint", help="An address the client typed separately."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Extract, normalise and place the location in TEXT."""
    from nlu.location.service import resolver_for

    settings = get_settings()
    resolver = resolver_for(settings.city_dir.resolve(), settings.models_dir.resolve())
    res = resolver.resolve(text, hint=hint)
    payload = {
        "location": asdict(res.place) if res.place else None,
        "candidates": [asdict(c) for c in res.candidates],
        "review": res.review,
        "mentions": [{"raw": m.raw, "source": m.source} for m in res.mentions],
    }
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if res.place is None:
        typer.echo("未识别到地点")
    else:
        p = res.place
        typer.echo(f"{p.normalized}  (原话「{p.raw}」, 置信度 {p.confidence:.2f}, 网格 {p.grid or '-'}, "
                   f"坐标 {p.lon},{p.lat}, {'本辖区' if p.in_jurisdiction else '辖区外'})")
        for c in res.candidates:
            typer.echo(f"  候选: {c.normalized} ({c.confidence:.2f})")
    for reason in res.review:
        typer.echo(f"  需人工核实: {reason}")


def predict_address(
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                      help="One token per line, blank line between addresses."),
    output_path: Path = typer.Argument(..., dir_okay=False,
                                       help="Same tokens, each followed by a space and its BIO tag."),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default models/address-crf)."),
) -> None:
    """Tag address elements (prov, city, district, town, road, roadno, poi …) in the corpus's format."""
    from nlu.address.corpus import read_untagged, write_tagged

    parser = _parser_or_exit(model)
    sentences = read_untagged(input_path)
    write_tagged(output_path, ((tokens, parser.tag(tokens)) for tokens in sentences))
    typer.echo(f"tagged {len(sentences)} addresses → {output_path}", err=True)


def eval_address(
    data: Path | None = typer.Option(None, "--data", help="Tagged file (default: the corpus's dev.txt)."),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default models/address-crf)."),
) -> None:
    """Entity-level precision / recall / F1 per label and overall (micro) on the address corpus's dev split."""
    from nlu.address.train import corpus_file, evaluate

    path = data or corpus_file("dev")
    if not path.exists():
        typer.echo(f"{path} not found (set HOTLINE_SHARED_DIR)", err=True)
        raise typer.Exit(2)
    parser = _parser_or_exit(model)
    if parser.meta.get("trained_on_dev") and data is None:
        typer.echo("note: this model was trained on train + dev, so its dev figures below are not an estimate; "
                   "see its MODEL_CARD.md for the dev-fold estimate and the train-only figure", err=True)
    overall, per_label = evaluate(parser, path)
    typer.echo(f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for s in [*per_label, overall]:
        typer.echo(f"{s.label:<12}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.support:>9}")


def eval_location(
    verbose: bool = typer.Option(False, "--verbose", help="List the misses."),
) -> None:
    """Resolution accuracy (街道/镇, road or landmark) on the spoken-style phrase set, clean vs noisy."""
    from nlu.location.evaluate import evaluate_resolution
    from nlu.location.service import resolver_for

    settings = get_settings()
    tallies = evaluate_resolution(resolver_for(settings.city_dir.resolve(), settings.models_dir.resolve()))
    typer.echo(f"{'variant':<8}{'phrases':>8}{'street_acc':>12}{'target_acc':>12}")
    for name in ("clean", "noisy", "all"):
        row = tallies[name].row()
        typer.echo(f"{name:<8}{row['phrases']:>8}{row['street_acc']:>12.4f}{row['target_acc']:>12.4f}")
        if verbose and name != "all":
            for miss in tallies[name].misses:
                typer.echo(f"   miss {miss[0]}: {miss[1]} → {miss[2]}")


def train_address(
    out: Path | None = typer.Option(None, "--out", help="Model folder (default models/address-crf)."),
    no_lexicon: bool = typer.Option(False, "--no-lexicon", help="Leave out the national-divisions features."),
    crf_only: bool = typer.Option(False, "--crf-only", help="Skip the BiLSTM members."),
    with_dev: bool = typer.Option(False, "--with-dev", help="Train on train + dev (the shipped model); dev figures "
                                  "then come from its train-only twin and --estimate."),
    estimate: Path | None = typer.Option(None, "--estimate", help="With --with-dev: also train the two dev-fold "
                                         "models in this folder and record their pooled dev figure."),
) -> None:
    """Train the address parser (CRF + BiLSTM members) on the corpus (../shared): train split and dev F1, or
    train + dev. The BiLSTM members need torch (`bash scripts/setup.sh --dev`); without it the CRF alone is trained."""
    from nlu.address.model import update_meta
    from nlu.address.train import dev_fold_estimate, neural_available, train_on_train, train_with_dev

    target = out or get_settings().models_dir / "address-crf"
    use_neural = not crf_only
    if use_neural and not neural_available():
        typer.echo("torch is not installed: training the CRF alone (bash scripts/setup.sh --dev installs torch)",
                   err=True)
    if not with_dev:
        meta = train_on_train(target, neural=use_neural, use_lexicon=not no_lexicon)
    else:
        meta = train_with_dev(target, neural=use_neural, use_lexicon=not no_lexicon)
        if estimate is not None:
            meta = update_meta(target, dev_estimate=dev_fold_estimate(estimate, neural=use_neural,
                                                                      use_lexicon=not no_lexicon))
    typer.echo(json.dumps(meta, ensure_ascii=False, indent=2))


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add this package's commands to the ``hotline`` CLI."""
    app.command("locate")(locate)
    predict_app.command("address")(predict_address)
    eval_app.command("address")(eval_address)
    eval_app.command("location")(eval_location)
    models_app.command("train-address")(train_address)
