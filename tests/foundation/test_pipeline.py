"""The analysis pipeline: assembled from configuration, components swappable by name, triage stages' rules."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from hotline.case import Case, CategoryGuess, Place
from hotline.pipeline import Pipeline, PipelineContext, load_pipeline
from hotline.registry import components
from hotline.settings import REPO_ROOT, Settings
from nlu.normalize import normalize_text
from triage.routing import Router
from triage.urgency import UrgencyCues


def test_shipped_pipeline_runs_every_stage_in_order(pipeline: Pipeline) -> None:
    case = pipeline.analyse("我要反映一下桂城街道海五路有个井盖丢了")
    assert case.trace == pipeline.names
    assert pipeline.names[0] == "normalize_text" and pipeline.names[-1] == "deadline"
    assert case.category is not None and case.location is not None and case.department is not None
    assert case.deadline is not None and case.deadline > case.received_at  # type: ignore[operator]


def test_a_component_is_swapped_by_editing_the_config_only(tmp_path: Path) -> None:
    @components.register("test_everything_is_a_streetlight")
    def _make(context: PipelineContext, confidence: float = 0.9):  # type: ignore[no-untyped-def]
        def classify(case: Case) -> Case:
            case.category = CategoryGuess(
                code="BJ0116", name="路灯", path=["城乡建设", "路灯"], domain="城乡建设", confidence=confidence, department_type="市政"
            )
            return case

        return classify

    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "components:\n  - name: normalize_text\n  - name: test_everything_is_a_streetlight\n    config: {confidence: 0.77}\n"
        "  - name: route_department\n",
        encoding="utf-8",
    )
    custom = load_pipeline(Settings(), config_path=config)
    case = custom.analyse("随便说点什么")
    assert case.category.name == "路灯" and case.category.confidence == 0.77  # type: ignore[union-attr]
    assert case.department.id == "nh-sz"  # type: ignore[union-attr]
    assert custom.names == ["normalize_text", "test_everything_is_a_streetlight", "route_department"]


def test_unknown_component_name_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "pipeline.yaml"
    config.write_text("components:\n  - name: no_such_component\n", encoding="utf-8")
    with pytest.raises(Exception, match="no_such_component"):
        load_pipeline(Settings(), config_path=config)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("桂 城 街 道 海 五 路", "桂城街道海五路"),
        ("ＡＢＣ１２３号", "ABC123号"),
        ("井盖\x00丢了\u200b", "井盖丢了"),
        ("  多个   空格\n\n换行  ", "多个空格换行"),
        ("  two   words \n", "two words"),
        ("Hello 世界", "Hello 世界"),
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_urgency_cues_raise_and_respect_negation() -> None:
    cues = UrgencyCues.from_file()
    gas = cues.apply(Case(text="", clean_text="楼道里一股煤气味，好像燃气泄漏了"))
    assert gas.urgency == "emergency" and gas.emergency_handover == "119"
    calm = cues.apply(Case(text="", clean_text="没有起火，就是垃圾没人收"))
    assert calm.urgency == "normal" and calm.emergency_handover is None
    hurt = cues.apply(Case(text="", clean_text="井盖丢了，已经有人受伤了"))
    assert hurt.urgency == "emergency" and hurt.emergency_handover == "120"
    assert any("井盖" in r for r in hurt.urgency_reasons)


def _case(dept_type: str | None, street: str | None, confidence: float = 0.9) -> Case:
    case = Case(text="x")
    if dept_type:
        case.category = CategoryGuess(code="SJ0000", name="测试", path=["城乡建设"], domain="城乡建设", confidence=confidence, department_type=dept_type)
    if street:
        case.location = Place(raw=street, normalized=street, district="南海区", street=street)
    return case


def test_routing_follows_trade_and_place_with_reasons(pipeline: Pipeline) -> None:
    router = Router(pipeline.context.city)
    local = router.route(_case("城管", "桂城街道"))
    assert local.id == "gc-cgzd" and any("属地" in r for r in local.reasons)
    elsewhere = router.route(_case("城管", "大沥镇"))
    assert elsewhere.id == "nh-cgj"
    gas = router.route(_case("燃气", "桂城街道"))
    assert gas.id == "nh-rq" and "燃气" in gas.reasons[0]  # explicit rule
    no_category = router.route(_case(None, "里水镇"))
    assert no_category.id == "ls-zf" and no_category.confidence < 0.5
    nothing = router.route(_case(None, None))
    assert nothing.id == "nh-12345" and nothing.confidence == 0.0


def test_deadline_is_capped_by_urgency(pipeline: Pipeline) -> None:
    received = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    fire = pipeline(Case(text="小区垃圾站起火冒烟了，在桂城街道海五路", received_at=received))
    assert fire.urgency == "emergency"
    assert (fire.deadline - received).total_seconds() <= 2 * 3600  # type: ignore[operator]


def test_city_config_rejects_dangling_department_ids(tmp_path: Path) -> None:
    from hotline.city import load_city

    source = (REPO_ROOT / "cities" / "foshan-nanhai" / "city.yaml").read_text(encoding="utf-8")
    (tmp_path / "city.yaml").write_text(source.replace("fallback: nh-12345", "fallback: nobody"), encoding="utf-8")
    with pytest.raises(ValueError, match="nobody"):
        load_city(tmp_path)
