"""Triage commands: ``hotline kpi`` (measures) and ``hotline eval duplicates`` (duplicate detection P/R)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from hotline.settings import REPO_ROOT, get_settings

_PERCENT = {"registration_rate", "dispatch_rate", "closure_rate", "on_time_rate", "rework_rate", "satisfaction_rate"}
_COLUMNS = ("intakes", "registered", "dispatched", "closed", *sorted(_PERCENT), "avg_handling_hours", "median_handling_hours")


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name in _PERCENT:
        return f"{value * 100:.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def kpi(
    group_by: Annotated[str, typer.Option("--group-by", help="none | department | street | category | domain | period")] = "none",
    period: Annotated[str, typer.Option(help="day | week | month (with --group-by period)")] = "day",
    from_: Annotated[Optional[str], typer.Option("--from", help="first day, YYYY-MM-DD (city time) or ISO datetime")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="end (exclusive), YYYY-MM-DD or ISO datetime")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """立案率、派遣率、结案率、按期结案率、返工率、满意度、处置时长 of the orders received in a period."""
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.table import Table

    from connectors.api.errors import ApiError
    from connectors.api.routers.kpi import parse_bound
    from hotline.city import cached_city
    from triage import db
    from triage import kpi as measures

    if group_by not in ("none", "department", "street", "category", "domain", "period") or period not in ("day", "week", "month"):
        typer.echo("--group-by: none|department|street|category|domain|period; --period: day|week|month", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    tz = ZoneInfo(cached_city(settings.city_dir.resolve()).timezone)
    try:
        start, end = parse_bound(from_, tz, "from"), parse_bound(to, tz, "to")
    except ApiError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    url = settings.resolved_database_url()
    if settings.auto_migrate:
        db.upgrade(url)
    engine = db.make_engine(url, pool_size=1)
    try:
        with db.make_sessionmaker(engine)() as session:
            rows = measures.compute(session, group_by=group_by, period=period, start=start, end=end, tz=tz)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    if as_json:
        payload = {"group_by": group_by, "period": period, "start": start and start.isoformat(), "end": end and end.isoformat(),
                   "timezone": tz.key, "labels": measures.MEASURE_LABELS, "rows": [r.as_dict() for r in rows]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"考核指标（{from_ or '最早'} — {to or '至今'}，按{group_by}）")
    table.add_column("分组")
    for name in _COLUMNS:
        table.add_column(measures.MEASURE_LABELS[name], justify="right")
    for r in rows:
        data = r.as_dict()
        table.add_row(r.label or r.key or "（未填）", *(_cell(n, data[n]) for n in _COLUMNS))
    Console(width=200).print(table)


def _category_pipeline(settings: Any) -> Any:
    """The configured pipeline cut down to text normalisation and classification (no places: the corpus is anonymised)."""
    import tempfile

    import yaml

    from hotline.pipeline import load_pipeline

    spec = yaml.safe_load(settings.pipeline_config.read_text(encoding="utf-8"))
    spec["components"] = [c for c in spec["components"] if c["name"].startswith(("normalize", "category"))]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, allow_unicode=True)
    try:
        return load_pipeline(settings, Path(fh.name))
    finally:
        Path(fh.name).unlink(missing_ok=True)


def eval_duplicates(
    corpus: Annotated[Optional[Path], typer.Option(help="附件3 CSV (default: $HOTLINE_SHARED_DIR/data/…/attachment3…csv)")] = None,
    cases: Annotated[bool, typer.Option("--cases/--no-cases", help="also measure the hand-written pairs (runs the pipeline)")] = True,
    method: Annotated[Optional[list[str]], typer.Option(help="text similarity method(s); default: all")] = None,
) -> None:
    """Precision/recall of duplicate detection: text similarity on the 附件3 reposts, full rules on the written cases."""
    from hotline.case import Case
    from hotline.pipeline import load_pipeline
    from triage import duplicates as dup

    settings = get_settings()
    shared = Path(os.environ.get("HOTLINE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    path = corpus or shared / dup.REPOST_CORPUS
    methods = method or list(dup.TEXT_SIMILARITIES)
    if path.exists():
        messages = dup.load_messages(path)
        typer.echo(f"classifying {len(messages)} messages of {path.name} (negatives share the predicted category)…", err=True)
        classify = _category_pipeline(settings)
        category_of = {}
        for m in messages:
            case = classify(Case(text=m.text[:1000], title=m.title))
            category_of[m.id] = case.category.code if case.category else None
        pos, neg = dup.labelled_pairs(messages, category_of)
        reworded = [(a, b) for a, b in pos if a.text != b.text]
        typer.echo(f"pairs: {len(pos)} reposts ({len(reworded)} reworded), {len(neg)} same-category different-title")
        typer.echo(f"{'method':<26}{'thr':>5}{'P':>8}{'R':>8}{'F1':>8}{'R(reworded)':>13}{'FP':>6}")
        for name in methods:
            p_scores, n_scores = dup.score_pairs(name, pos), dup.score_pairs(name, neg)
            r_scores = dup.score_pairs(name, reworded)
            for t in (0.4, 0.5, 0.6, 0.7, 0.8):
                op = dup.operating_points(name, p_scores, n_scores, [t])[0]
                rw = dup.operating_points(name, r_scores, [], [t])[0]
                typer.echo(f"{name:<26}{t:>5.2f}{op.precision:>8.3f}{op.recall:>8.3f}{op.f1:>8.3f}{rw.recall:>13.3f}{op.fp:>6}")
    else:
        typer.echo(f"{path} not found (set HOTLINE_SHARED_DIR); corpus figures skipped", err=True)
    if cases:
        pipeline = load_pipeline(settings)
        finder = dup.make_duplicate_finder(settings)
        results = dup.evaluate_cases(pipeline, finder)
        tp = sum(r.same and r.predicted for r in results)
        fp = sum(r.predicted and not r.same for r in results)
        fn = sum(r.same and not r.predicted for r in results)
        typer.echo(f"written cases ({dup.CASES_FILE.name}, method {finder.rules.text_method} ≥ {finder.rules.text_threshold}): "
                   f"{len(results)} pairs, TP {tp}, FP {fp}, FN {fn}, precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}")
        for r in results:
            if r.same != r.predicted:
                typer.echo(f"  {'missed' if r.same else 'wrongly merged'}: {r.note} — {r.detail}")


def register(app: typer.Typer, predict_app: typer.Typer, eval_app: typer.Typer, models_app: typer.Typer) -> None:
    """Add ``hotline kpi`` and ``hotline eval duplicates``."""
    app.command("kpi")(kpi)
    eval_app.command("duplicates")(eval_duplicates)
