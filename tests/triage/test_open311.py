"""Open311 GeoReport v2 over real HTTP (FastAPI's TestClient) on the whole stack, both databases."""

from __future__ import annotations

from sqlalchemy import update

from tests.support.stack import Stack
from triage.models import WorkOrder

BASE = "/open311/v2"


def file_request(stack: Stack, role: str = "citizen", **fields: str):  # type: ignore[no-untyped-def]
    form = {"api_key": stack.keys[role], **fields}
    return stack.client.post(f"{BASE}/requests.json", data=form)


def test_service_list_and_definition_come_from_the_taxonomy(stack: Stack) -> None:
    r = stack.client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = {s["service_code"]: s for s in r.json()}
    assert len(services) > 500
    pipe = services["SJ0402"]
    assert pipe["service_name"] == "自来水管破裂" and pipe["group"] == "城乡建设"
    assert pipe["metadata"] is False and pipe["type"] == "realtime" and "水管爆了" in pipe["keywords"]
    assert services["SJ9001"]["service_name"] == "井盖缺失或破损"  # the city's extension is included
    definition = stack.client.get(f"{BASE}/services/SJ0402.json").json()
    assert definition == {"service_code": "SJ0402", "attributes": []}
    missing = stack.client.get(f"{BASE}/services/XX9999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    xml = stack.client.get(f"{BASE}/services.xml")
    assert xml.status_code == 400 and "json" in xml.json()[0]["description"]


def test_post_a_request_then_follow_it(stack: Stack) -> None:
    r = file_request(stack, service_code="SJ9001", address_string="桂城街道海五路",
                     description="海五路有个井盖丢了，晚上很黑，怕有人掉下去。我的电话13800138000",
                     first_name="先生", last_name="李", phone="13800138000", media_url="https://example.org/p.jpg")
    assert r.status_code == 201, r.text
    [created] = r.json()
    number = created["service_request_id"]
    assert number.startswith("FS") and number in created["service_notice"]
    # the order exists in our system, came in through the open311 channel and is routed
    order = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()
    assert order["channel"] == "open311" and order["department"]["id"] == "nh-sz"
    assert order["contact"]["phone"] == "13800138000" and order["contact"]["name"] == "李先生"

    [view] = stack.client.get(f"{BASE}/requests/{number}.json", params={"api_key": stack.keys["citizen"]}).json()
    assert view["status"] == "open" and view["service_code"] == order["category"]["code"]
    assert view["agency_responsible"] == "南海区市政设施管理所" and view["media_url"] == "https://example.org/p.jpg"
    assert "13800138000" not in view["description"] and "138****8000" in view["description"]
    assert view["address"].endswith("海五路") and view["lat"] and view["long"]
    assert view["requested_datetime"] and view["expected_datetime"]

    with stack.services.sessions() as session, session.begin():
        session.execute(update(WorkOrder).where(WorkOrder.number == number).values(status="closed", result_note="已补装井盖"))
    [closed] = stack.client.get(f"{BASE}/requests/{number}.json", params={"api_key": stack.keys["agent"]}).json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已补装井盖"


def test_lat_long_only_is_placed_by_the_grid_layer(stack: Stack) -> None:
    r = file_request(stack, service_code="SJ0507", lat="23.0455", long="113.1455", description="这里天天有人摆摊占道经营。")
    assert r.status_code == 201, r.text
    number = r.json()[0]["service_request_id"]
    order = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()
    assert order["location"]["street"] == "桂城街道"


def test_list_filters(stack: Stack) -> None:
    a = file_request(stack, service_code="SJ9001", address_string="海五路", description="海五路井盖缺失，很危险。").json()[0]
    b = file_request(stack, service_code="SJ0507", address_string="千灯湖公园", description="千灯湖公园旁边有人摆摊占道经营。").json()[0]
    key = {"api_key": stack.keys["agent"]}
    listed = stack.client.get(f"{BASE}/requests.json", params=key).json()
    assert [v["service_request_id"] for v in listed] == [b["service_request_id"], a["service_request_id"]]
    by_id = stack.client.get(f"{BASE}/requests.json", params={**key, "service_request_id": a["service_request_id"]}).json()
    assert [v["service_request_id"] for v in by_id] == [a["service_request_id"]]
    by_code = stack.client.get(f"{BASE}/requests.json", params={**key, "service_code": by_id[0]["service_code"]}).json()
    assert a["service_request_id"] in [v["service_request_id"] for v in by_code]
    assert b["service_request_id"] not in [v["service_request_id"] for v in by_code]
    with stack.services.sessions() as session, session.begin():
        session.execute(update(WorkOrder).where(WorkOrder.number == a["service_request_id"]).values(status="followed_up"))
    closed = stack.client.get(f"{BASE}/requests.json", params={**key, "status": "closed"}).json()
    assert [v["service_request_id"] for v in closed] == [a["service_request_id"]]
    future = stack.client.get(f"{BASE}/requests.json", params={**key, "start_date": "2099-01-01T00:00:00Z"}).json()
    assert future == []
    bad = stack.client.get(f"{BASE}/requests.json", params={**key, "start_date": "last week"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert stack.client.get(f"{BASE}/requests.json", params={**key, "status": "pending"}).status_code == 400


def test_errors_follow_the_spec(stack: Stack) -> None:
    no_key = stack.client.post(f"{BASE}/requests.json", data={"service_code": "SJ9001", "address_string": "海五路"})
    assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
    bad_key = stack.client.post(f"{BASE}/requests.json", data={"api_key": "nope", "service_code": "SJ9001", "address_string": "海五路"})
    assert bad_key.status_code == 403
    department = file_request(stack, role="dept_sz", service_code="SJ9001", address_string="海五路")
    assert department.status_code == 403
    assert file_request(stack, address_string="海五路").status_code == 400  # no service_code
    assert file_request(stack, service_code="NOPE", address_string="海五路").status_code == 404
    assert file_request(stack, service_code="SJ9001").status_code == 400  # no location
    assert file_request(stack, service_code="SJ9001", lat="north", long="113.1").status_code == 400
    assert file_request(stack, service_code="SJ9001", lat="123", long="113.1").status_code == 400
    assert stack.client.get(f"{BASE}/requests/FS20990101-000001.json", params={"api_key": stack.keys["agent"]}).status_code == 404
    assert stack.client.get(f"{BASE}/requests.json").status_code == 403
    assert stack.client.get(f"{BASE}/services.json", params={"jurisdiction_id": "110101"}).status_code == 404
    assert stack.client.get(f"{BASE}/services.json", params={"jurisdiction_id": "440605"}).status_code == 200


def test_bad_input_gets_a_defined_answer(stack: Stack) -> None:
    for description in ("", "🚰💥💥", "water main burst on Haiwu Road", "\x00\x01控制字符\x7f", "爆" * 6000):
        r = file_request(stack, service_code="SJ0402", address_string="海五路", description=description)
        assert r.status_code in (200, 201, 400), (description[:10], r.status_code, r.text)
        assert isinstance(r.json(), list)
    raw = stack.client.post(f"{BASE}/requests.json", content=b"\xff\xfe\x00garbage", headers={"content-type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 403  # undecodable body: no key can be read from it


def test_a_repeat_report_is_merged_and_follows_its_case(stack: Stack) -> None:
    first = file_request(stack, service_code="SJ9001", address_string="海五路", description="海五路有个井盖丢了。").json()[0]
    again = file_request(stack, service_code="SJ9001", address_string="海五路", description="海五路那边井盖不见了，好危险。").json()[0]
    assert first["service_request_id"] in again["service_notice"]
    [view] = stack.client.get(f"{BASE}/requests/{again['service_request_id']}.json", params={"api_key": stack.keys["agent"]}).json()
    assert view["status"] == "open" and first["service_request_id"] in view["service_notice"]


def test_the_service_code_the_client_chose_is_kept(stack: Stack) -> None:
    """A vague description does not override the category the Open311 client picked (路灯)."""
    r = file_request(stack, service_code="BJ0116", address_string="桂城街道海八路", description="这里有点问题，麻烦来看看。")
    assert r.status_code == 201, r.text
    number = r.json()[0]["service_request_id"]
    order = stack.client.get(f"/v1/orders/{number}", headers=stack.headers("agent")).json()
    assert order["category"]["code"] == "BJ0116" and order["confidence"] == 1.0
    assert order["department"]["id"] == "nh-sz"
