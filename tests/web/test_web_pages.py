"""The pages and their helpers over real HTTP, without a browser: access rules, bad input, photos, sessions."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from connectors.web import session_secret
from connectors.web.heat import colour, legend, load_grid_map
from connectors.web.photos import MAX_PHOTO_BYTES, sniff_image
from hotline.settings import REPO_ROOT, Settings
from tests.web.conftest import Live

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


@contextmanager
def client(live: Live, username: str | None = None) -> Iterator[httpx.Client]:
    """An HTTP client, signed in as ``username`` when given."""
    with httpx.Client(base_url=live.base, timeout=30, follow_redirects=False) as c:
        if username:
            r = c.post("/login", data={"username": username, "password": live.users[username]})
            assert r.status_code == 303, r.text
        yield c


@pytest.fixture
def citizen(live: Live) -> Iterator[httpx.Client]:
    with client(live) as c:
        yield c


def file_report(c: httpx.Client, **form: str) -> httpx.Response:
    return c.post("/report", data={"token": "", **form})


def number_in(html: str) -> str:
    found = re.search(r'id="order-number">([^<]+)<', html)
    assert found, html[:500]
    return found.group(1)


def test_signed_out_people_are_sent_to_sign_in_and_helpers_answer_401(citizen: httpx.Client) -> None:
    for path in ("/agent", "/agent/review", "/orders", "/dept", "/supervisor", "/orders/FS20261121-000001"):
        r = citizen.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert citizen.post("/web/api/suggest", json={"text": "井盖丢了"}).json()["error"]["code"] == "sign_in_required"
    assert citizen.post("/web/photos", content=JPEG).status_code == 401
    assert citizen.get("/v1/orders").status_code == 401  # no session, no key


def test_session_cookie_is_strict_and_http_only_and_next_cannot_leave_the_site(live: Live) -> None:
    with client(live) as c:
        r = c.post("/login", data={"username": "agent", "password": live.users["agent"], "next": "//evil.example/x"})
        assert r.status_code == 303 and r.headers["location"] == "/agent"
        cookie = r.headers["set-cookie"].lower()
        assert "samesite=strict" in cookie and "httponly" in cookie
        assert c.get("/v1/orders?limit=1").status_code == 200  # the API accepts the signed-in session
        c.post("/logout")
        assert c.get("/agent").status_code == 303


def test_roles_only_reach_their_pages(live: Live) -> None:
    with client(live, "supervisor") as sup, client(live, "dept-cg") as cg, client(live, "dept-sz") as sz:
        assert sup.get("/agent").status_code == 403 and "无权" in sup.get("/agent").text
        assert sup.get("/orders").status_code == 200 and sup.get("/supervisor").status_code == 200
        assert cg.get("/agent/review").status_code == 403 and cg.get("/orders").status_code == 403
        assert sup.post("/web/api/console/submit", json={"text": "路灯坏了"}).status_code == 403
        assert sup.post("/web/photos", content=JPEG).status_code == 403
        # an order sent to 市政 is not visible to 城管
        number = number_in(file_report(httpx.Client(base_url=live.base), text="桂城街道南海大道北路灯坏了", phone="13600000000").text)
        assert cg.get(f"/orders/{number}").status_code == 404
        assert live.services.orders.get(number).department_id == "nh-sz"
        assert sz.get(f"/orders/{number}").status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": ""}, "请填写您要反映的问题"),
        ({"text": "   \u0000\u0007  "}, "请填写您要反映的问题"),
        ({"text": "长" * 5001}, "内容过长"),
        ({"text": "井盖丢了", "phone": "call me"}, "请填写正确的手机或座机号码"),
        ({"text": "井盖丢了", "location": "路" * 201}, "地点最多"),
    ],
)
def test_citizen_form_refuses_bad_input_with_a_chinese_message(citizen: httpx.Client, form: dict[str, str], message: str) -> None:
    r = file_report(citizen, **form)
    assert r.status_code == 422 and message in r.text and 'role="alert"' in r.text


@pytest.mark.parametrize("text", ["Streetlight broken near 千灯湖 🚧🚧", "井盖\u200b丢了\x1b[31m", "Ｈｅｌｌｏ　全角文字，路灯不亮"])
def test_citizen_form_files_emoji_english_and_control_characters(citizen: httpx.Client, text: str) -> None:
    r = file_report(citizen, text=text, phone="13500135000")
    assert r.status_code == 200
    assert number_in(r.text).startswith("FS")


def test_submitting_the_same_form_twice_gives_one_order(citizen: httpx.Client) -> None:
    form = {"text": "叠滘社区垃圾堆了三天没人清理", "phone": "13400134000", "token": "tok-abcdefgh12345"}
    first, second = file_report(citizen, **form), file_report(citizen, **form)
    assert number_in(first.text) == number_in(second.text)


def test_progress_needs_the_right_number_and_phone(citizen: httpx.Client) -> None:
    number = number_in(file_report(citizen, text="海五路路灯不亮", phone="13300133000").text)
    assert citizen.post("/progress", data={"number": "12345", "phone": "13300133000"}).status_code == 422
    wrong = citizen.post("/progress", data={"number": number, "phone": "13300133001"})
    assert wrong.status_code == 404 and "没有找到" in wrong.text and "海五路" not in wrong.text
    right = citizen.post("/progress", data={"number": number.lower(), "phone": "133 0013 3000"})
    assert right.status_code == 200 and 'id="progress-status"' in right.text
    urged = citizen.post("/progress", data={"number": number, "phone": "13300133000", "urge": "1", "note": "请尽快"})
    assert "已为您催办" in urged.text


def test_console_helpers_refuse_bad_input(live: Live) -> None:
    with client(live, "agent") as agent:
        assert agent.post("/web/api/suggest", json={"text": "  "}).status_code == 422
        assert agent.post("/web/api/suggest", json={"text": "路" * 5001}).json()["error"]["code"] == "text_too_long"
        assert agent.post("/web/api/suggest", json={"text": "x", "extra": 1}).json()["error"]["code"] == "unknown_field"
        r = agent.post("/web/api/console/submit", json={"text": "路灯坏了", "corrections": {"category_code": "NOPE"}})
        assert r.status_code == 422 and r.json()["error"]["message"] == "分类代码不存在"
        r = agent.post("/web/api/console/submit", content=b'{"text": "\xff"}', headers={"Content-Type": "application/json"})
        assert r.json()["error"]["code"] == "invalid_encoding"
        suggestion = agent.post("/web/api/suggest", json={"text": "English only, no Chinese at all 🙂"}).json()
        assert suggestion["review_reasons"]  # nothing understood → an agent must look


def test_photos_are_checked_by_their_bytes_and_size_and_served_to_staff_only(live: Live, tmp_path: Path) -> None:
    with client(live, "dept-sz") as dept, client(live) as anonymous:
        fake = dept.post("/web/photos", content=b"<svg xmlns='http://www.w3.org/2000/svg'/>", headers={"Content-Type": "image/png"})
        assert fake.status_code == 415 and fake.json()["error"]["code"] == "photo_unsupported"
        assert dept.post("/web/photos", content=b"").status_code == 400
        big = dept.post("/web/photos", content=b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES)
        assert big.status_code == 413 and "照片过大" in big.json()["error"]["message"]
        ok = dept.post("/web/photos", content=JPEG, headers={"Content-Type": "application/octet-stream"})
        assert ok.status_code == 201
        url = ok.json()["url"]
        assert re.fullmatch(r"/web/photos/[A-Za-z0-9_-]+\.jpg", url)
        served = dept.get(url)
        assert served.content == JPEG and served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert anonymous.get(url).status_code == 401
        assert dept.get("/web/photos/..%2F..%2Fhotline.db").status_code == 404
        assert (live.settings.data_dir / "photos" / url.rsplit("/", 1)[1]).read_bytes() == JPEG


def test_chat_relay_checks_its_input(citizen: httpx.Client) -> None:
    assert citizen.post("/web/api/chat", json={"sender": "bad sender!", "message": "hi"}).status_code == 422
    assert citizen.post("/web/api/chat", content=b"not json", headers={"Content-Type": "application/json"}).status_code == 400


def test_sniff_image_and_session_secret(tmp_path: Path) -> None:
    assert sniff_image(b"\x89PNG\r\n\x1a\n....") == "png" and sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_image(b"GIF89a") == "gif" and sniff_image(b"%PDF-1.7") is None and sniff_image(b"") is None
    settings = Settings(data_dir=tmp_path / "var")
    key = session_secret(settings)
    assert len(key) >= 32 and session_secret(settings) == key
    assert stat.S_IMODE((tmp_path / "var" / "session.key").stat().st_mode) == 0o600
    assert session_secret(Settings(data_dir=tmp_path, session_secret="configured")) == "configured"


def test_heat_map_reads_the_shipped_grid_layer_and_colours_the_busiest_darkest(tmp_path: Path) -> None:
    grid_map = load_grid_map(REPO_ROOT / "cities" / "foshan-nanhai" / "grids.geojson")
    features = json.loads((REPO_ROOT / "cities" / "foshan-nanhai" / "grids.geojson").read_text(encoding="utf-8"))["features"]
    assert grid_map is not None and len(grid_map.cells) == len(features)
    assert 0 < grid_map.height and grid_map.width == 640
    assert colour(10, 10) == "#8f1d12" and colour(1, 10) == "#fde9c8" and colour(0, 10) == "none"
    assert [e["label"] for e in legend({"a": 1, "b": 10, "c": 2})] == ["1–2", "10"]
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    assert load_grid_map(tmp_path / "bad.geojson") is None
