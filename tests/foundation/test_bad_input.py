"""Bad input gets a precise answer and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from triage.models import WorkOrder
from tests.support.stack import MANHOLE, Stack


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Input validation does not depend on the database: SQLite is enough here."""
    return f"sqlite:///{tmp_path / 'hotline.db'}"


def orders(stack: Stack) -> int:
    with stack.services.sessions() as session:
        return session.execute(select(func.count()).select_from(WorkOrder)).scalar_one()


def post(stack: Stack, **kwargs):  # type: ignore[no-untyped-def]
    headers = {**stack.headers("citizen"), **kwargs.pop("headers", {})}
    return stack.client.post("/v1/intake", headers=headers, **kwargs)


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \u3000"])
def test_empty_or_blank_text_is_422_in_both_languages(stack: Stack, text: str) -> None:
    r = post(stack, json={"text": text})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "empty_text" and "不能为空" in error["message"] and "empty" in error["message_en"]


def test_missing_text_is_422(stack: Stack) -> None:
    assert post(stack, json={"channel": "web"}).status_code == 422


def test_unknown_fields_are_422(stack: Stack) -> None:
    r = post(stack, json={"text": MANHOLE, "priority": "vip"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_field" and "priority" in r.json()["error"]["message"]
    nested = post(stack, json={"text": MANHOLE, "contact": {"phone": "13800138000", "id_card": "x"}})
    assert nested.status_code == 422


def test_text_over_the_documented_limit_is_413(stack: Stack) -> None:
    limit = stack.settings.max_text_chars
    assert post(stack, json={"text": "井" * limit}).status_code == 201
    r = post(stack, json={"text": "井" * (limit + 1)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "text_too_long"


def test_body_over_the_byte_limit_is_413_before_parsing(stack: Stack) -> None:
    big = b'{"text": "' + b"a" * (stack.settings.max_body_bytes + 10) + b'"}'
    r = post(stack, content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_invalid_utf8_is_400(stack: Stack) -> None:
    body = '{"text": "井盖丢了"}'.encode("gbk")
    r = post(stack, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_encoding"


def test_malformed_json_is_400(stack: Stack) -> None:
    r = post(stack, content=b'{"text": "unterminated', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body",
    [
        {"text": MANHOLE, "channel": "telegram"},
        {"text": MANHOLE, "contact": {"phone": "call me maybe"}},
        {"text": 42},
        {"text": MANHOLE, "title": "t" * 201},
        ["not", "an", "object"],
    ],
)
def test_wrong_types_and_values_are_422(stack: Stack, body: object) -> None:
    assert post(stack, json=body).status_code == 422


def test_injection_attempts_are_stored_as_plain_text(stack: Stack) -> None:
    nasty = "'; DROP TABLE work_orders; -- <script>alert(1)</script> 海五路井盖丢了"
    r = post(stack, json={"text": nasty, "location": "' OR 1=1 --"})
    assert r.status_code == 201
    assert r.json()["text"] == nasty
    listed = stack.client.get("/v1/orders", params={"street": "' OR 1=1 --"}, headers=stack.headers("agent")).json()
    assert listed["total"] == 0
    assert orders(stack) == 1


def test_emoji_control_characters_and_english_do_not_crash(stack: Stack) -> None:
    for text in ("🚧🚧🚧", "The street light on Haiwu Road is broken", "井盖\x00丢了\x07\u200b", "桂 城 街 道 海 五 路 井 盖 丢 了"):
        r = post(stack, json={"text": text})
        assert r.status_code == 201, (text, r.text)
        assert r.json()["text"] == text  # the citizen's words are kept exactly


def test_auth_errors(stack: Stack) -> None:
    assert stack.client.post("/v1/intake", json={"text": MANHOLE}).status_code == 401
    bad = stack.client.post("/v1/intake", json={"text": MANHOLE}, headers={"X-API-Key": "hk_nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    assert stack.client.get("/v1/orders", headers=stack.headers("dept_sz")).status_code == 200
    assert stack.client.patch("/v1/orders/FS1", json={"reason": "x", "urgency": "urgent"}, headers=stack.headers("citizen")).status_code == 403
    assert orders(stack) == 0


def test_unknown_order_is_404(stack: Stack) -> None:
    r = stack.client.get("/v1/orders/FS20990101-000001", headers=stack.headers("agent"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "order_not_found"
