"""End to end in real headless Chromium against the real service (uvicorn, SQLite, Redis, dispatcher, department
endpoint): each role signs in and clicks through its pages; every page is screenshotted and checked for labels,
contrast and keyboard use."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import os

import pytest

try:
    import selenium  # noqa: F401
except ImportError:  # pragma: no cover — a machine without the dev requirements
    if os.environ.get("CI"):
        raise
    pytest.skip("selenium is not installed (pip install selenium)", allow_module_level=True)

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from sqlalchemy import update

from tests.web.conftest import Live
from tests.web.kit import accessibility_problems, act, all_css, css, shot, sign_in, sign_out, text_in, tiny_png, visible, wait
from triage.models import WorkOrder, utcnow

MANHOLE = "我要反映一下，桂城街道海五路有个井盖丢了，晚上很黑，怕有人掉下去。"
MANHOLE_AGAIN = "海五路的井盖不见了，很危险"
STREETLIGHT = "桂城街道南海大道北路灯坏了好几天，晚上一片漆黑。"
VAGUE = "你好，我就是想说一下，那个，就是那个事情怎么还没处理。"
PHONE = "13800138000"


class Checked:
    """Screenshots and accessibility findings of every page visited."""

    def __init__(self, driver: Any):
        self.driver = driver
        self.problems: dict[str, list[str]] = {}

    def page(self, name: str) -> None:
        shot(self.driver, name)
        found = accessibility_problems(self.driver)
        if found:
            self.problems[name] = found


def citizen_files(driver: Any, live: Live, text: str, phone: str = PHONE, name: str | None = None) -> str:
    driver.delete_all_cookies()
    driver.get(f"{live.base}/report")
    css(driver, "#text").send_keys(text)
    css(driver, "#phone").send_keys(phone)
    if name:
        css(driver, "#name").send_keys(name)
    css(driver, "form.stack button[type=submit]").click()
    return visible(driver, "#order-number").text


def order(live: Live, number: str) -> WorkOrder:
    return live.services.orders.get(number)


def test_roles_sign_in_to_their_pages_and_a_wrong_password_is_refused(driver: Any, live: Live) -> None:
    landings = {"agent": "/agent", "admin": "/agent", "supervisor": "/supervisor", "dept-sz": "/dept"}
    for username, path in landings.items():
        sign_in(driver, live.base, username, live.users[username])
        assert driver.current_url.endswith(path), (username, driver.current_url)
        assert username in css(driver, "form.who").text
        sign_out(driver)
    driver.get(f"{live.base}/agent")
    assert "/login?next=/agent" in driver.current_url
    css(driver, "#username").send_keys("agent")
    css(driver, "#password").send_keys("wrong-password\n")
    assert "用户名或密码不正确" in visible(driver, "#login-error").text
    shot(driver, "login-error")
    sign_in(driver, live.base, "dept-sz", live.users["dept-sz"])
    driver.get(f"{live.base}/supervisor")
    assert "无权" in css(driver, "main").text  # a department may not open the dashboard
    sign_out(driver)


def test_intake_dispatch_department_reply_and_supervisor_view(driver: Any, live: Live) -> None:
    checked = Checked(driver)
    base = live.base

    # -- a citizen files a report with the form; it is classified, located and routed at once
    driver.get(f"{base}/")
    checked.page("citizen-home")
    driver.get(f"{base}/report")
    checked.page("citizen-report")
    manhole = citizen_files(driver, live, MANHOLE)
    checked.page("citizen-filed")
    assert "南海区市政设施管理所" in css(driver, "main").text
    vague = citizen_files(driver, live, VAGUE, phone="13900139000")
    assert order(live, vague).needs_review

    # -- the agent takes a call: the suggestion fills in, the earlier report shows as a possible duplicate
    sign_in(driver, base, "agent", live.users["agent"])
    assert driver.current_url.endswith("/agent")
    css(driver, "#transcript").send_keys(MANHOLE_AGAIN)
    wait(driver, lambda d: css(d, "#category-code").get_attribute("value") == "SJ9001")
    assert Select(css(driver, "#department")).first_selected_option.get_attribute("value") == "nh-sz"
    assert "置信度" in css(driver, '[data-f="category-conf"]').text
    assert css(driver, '[data-f="category-reasons"]').text.strip()  # the cue words behind the category
    text_in(driver, '[data-f="duplicates"]', manhole)
    assert "小时前受理" in css(driver, '[data-f="duplicates"]').text
    checked.page("agent-console-suggestion")

    # next call (Alt+N), typed; the agent raises the urgency and submits with Ctrl+Enter
    css(driver, "body").send_keys(Keys.ALT, "n")
    wait(driver, lambda d: css(d, "#transcript").get_attribute("value") == "")
    css(driver, "#transcript").send_keys(STREETLIGHT)
    css(driver, "#contact-phone").send_keys(PHONE)
    wait(driver, lambda d: css(d, "#category-code").get_attribute("value") == "BJ0116")
    css(driver, "body").send_keys(Keys.ALT, "u")
    assert driver.switch_to.active_element.get_attribute("id") == "urgency"
    Select(css(driver, "#urgency")).select_by_value("urgent")
    css(driver, "#transcript").send_keys(Keys.CONTROL, Keys.ENTER)
    text_in(driver, "#result", "已立案并派遣至 南海区市政设施管理所")
    streetlight = css(driver, "#result-link").text.replace("查看工单 ", "")
    checked.page("agent-console-submitted")
    light = order(live, streetlight)
    assert light.urgency == "urgent" and light.status == "registered"
    assert any(h.action == "corrected" and "urgency" in h.changes for h in light.history)  # kept as training data

    # -- the review queue: the vague report is corrected and accepted in its card
    driver.get(f"{base}/agent/review")
    checked.page("agent-review-queue")
    card = css(driver, f'article[data-number="{vague}"]')
    code = card.find_element(By.NAME, "category_code")
    code.clear()
    code.send_keys("SJ0507")
    Select(card.find_element(By.NAME, "department_id")).select_by_value("gc-cgzd")
    act(driver, card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert not all_css(driver, f'article[data-number="{vague}"]')
    accepted = order(live, vague)
    assert (accepted.status, accepted.department_id, accepted.category_code) == ("registered", "gc-cgzd", "SJ0507")

    # -- dispatch: the worker delivers the three orders to the departments' endpoint (signed webhooks)
    live.dispatch()
    delivered = {r["order"]["number"] for r in live.departments.orders()}
    assert {manhole, streetlight, vague} <= delivered
    with live.services.sessions.begin() as session:  # the street-light order is past its deadline
        session.execute(update(WorkOrder).where(WorkOrder.number == streetlight).values(deadline=utcnow() - timedelta(hours=30)))

    driver.get(f"{base}/orders?q={manhole}")
    wait(driver, lambda d: d.current_url.endswith(f"/orders/{manhole}"))
    assert "派遣送达" in css(driver, "table.history").text
    checked.page("agent-order-detail")
    driver.get(f"{base}/orders")
    checked.page("agent-order-search")
    sign_out(driver)

    # -- the 市政 department: overdue first and highlighted; sign, ask for more time, report handled with a photo
    sign_in(driver, base, "dept-sz", live.users["dept-sz"])
    cards = all_css(driver, "article.inbox-card")
    assert [c.get_attribute("data-number") for c in cards][:1] == [streetlight]
    assert "overdue" in cards[0].get_attribute("class") and "超时" in cards[0].text
    checked.page("department-inbox")
    act(driver, css(driver, f'article[data-number="{manhole}"] form[data-action="sign"] button'))
    assert order(live, manhole).status == "handling"
    driver.get(f"{base}/orders/{streetlight}")
    css(driver, "#ext-hours").send_keys("4")
    css(driver, "#ext-reason").send_keys("需要更换灯杆，等待材料")
    act(driver, css(driver, 'form[data-action="request_extension"] button'))
    assert order(live, streetlight).pending_extension_hours == 4
    driver.get(f"{base}/orders/{manhole}")
    css(driver, "#handled-result").send_keys("已补装井盖并设置警示标志")
    photo = tiny_png(live.settings.data_dir.parent / "field.png", 160, 120)
    css(driver, "#handled-photo").send_keys(str(photo))
    checked.page("department-handle")
    act(driver, css(driver, 'form[data-action="handled"] button'))
    assert order(live, manhole).status == "handled"
    image = visible(driver, "img.photo")
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 160
    checked.page("department-order-handled")
    driver.set_window_size(390, 844)  # a field worker's phone
    driver.get(f"{base}/dept")
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    checked.page("department-inbox-phone")
    driver.set_window_size(1280, 900)
    sign_out(driver)

    # -- the 城管 department sends its order back (退单); it returns to the agents' queue with the reason
    sign_in(driver, base, "dept-cg", live.users["dept-cg"])
    driver.get(f"{base}/orders/{vague}")
    css(driver, "#return-reason").send_keys("诉求不明确，无法处置")
    act(driver, css(driver, 'form[data-action="return"] button'))
    assert order(live, vague).status == "returned"
    sign_out(driver)

    # -- the centre: approve the extension, verify, close and follow up the handled order
    sign_in(driver, base, "agent", live.users["agent"])
    driver.get(f"{base}/agent/review")
    assert "部门退单：诉求不明确" in css(driver, f'article[data-number="{vague}"]').text
    driver.get(f"{base}/orders/{streetlight}")
    act(driver, css(driver, 'form[data-action="decide_extension"] button'))
    assert order(live, streetlight).pending_extension_hours is None
    driver.get(f"{base}/orders/{manhole}")
    for action, status in (("verify", "verified"), ("close", "closed"), ("follow_up", "followed_up")):
        act(driver, visible(driver, f'form[data-action="{action}"] button'))
        assert order(live, manhole).status == status, action
    assert order(live, manhole).satisfied is True
    assert "回访" in css(driver, "table.history").text
    sign_out(driver)

    # -- the supervisor sees the measures, the breakdowns, the heat view and the overdue list
    sign_in(driver, base, "supervisor", live.users["supervisor"])
    kpis = {k.get_attribute("data-kpi"): k.find_element(By.CLASS_NAME, "kpi-value").text for k in all_css(driver, ".kpi")}
    assert int(kpis["intakes"]) >= 3  # the three cases of this flow (merged reports are not counted)
    assert kpis["satisfaction_rate"] == "100%"
    assert kpis["closure_rate"] != "—" and kpis["dispatch_rate"] != "—"
    assert len(all_css(driver, "svg.heat polygon")) >= 2
    assert "南海区市政设施管理所" in css(driver, 'table[data-breakdown="department"]').text
    assert streetlight in css(driver, "#od-h").find_element(By.XPATH, "..").text
    checked.page("supervisor-dashboard")
    sign_out(driver)

    # -- the citizen checks progress with the number and phone, and urges the open one
    driver.get(f"{base}/progress")
    css(driver, "#number").send_keys(manhole)
    css(driver, "#phone").send_keys(PHONE + "\n")
    assert visible(driver, "#progress-status").text == "已回访"
    checked.page("citizen-progress")
    driver.get(f"{base}/progress")
    css(driver, "#number").send_keys(manhole)
    css(driver, "#phone").send_keys("13000000000\n")
    assert "没有找到" in visible(driver, "[role=alert]").text  # a wrong phone reveals nothing

    assert checked.problems == {}


def test_console_without_a_speech_model_says_so_and_typing_still_works(driver: Any, live: Live) -> None:
    sign_in(driver, live.base, "agent", live.users["agent"])
    css(driver, "#call-start").click()
    text_in(driver, "#speech-status", "语音识别模型未安装")
    assert driver.switch_to.active_element.get_attribute("id") == "transcript"
    driver.switch_to.active_element.send_keys("千灯湖公园旁边天天有人摆摊占道经营")
    wait(driver, lambda d: css(d, "#category-code").get_attribute("value") == "SJ0507")
    shot(driver, "agent-console-no-speech-model")
    sign_out(driver)


def test_citizen_chat_answers_even_when_the_bot_is_down(driver: Any, live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_RASA_URL", "http://127.0.0.1:9")  # nothing listens there
    driver.delete_all_cookies()
    driver.get(f"{live.base}/chat")
    css(driver, "#chat-input").send_keys("我家门口的路灯坏了\n")
    wait(driver, lambda d: len(all_css(d, "#chat-log li.bot")) >= 2)
    reply = all_css(driver, "#chat-log li.bot")[-1].text
    assert "智能客服暂时无法服务" in reply or "在线客服暂未开通" in reply
    assert accessibility_problems(driver) == []
    shot(driver, "citizen-chat")


def test_keyboard_only_citizen_report(driver: Any, live: Live) -> None:
    driver.delete_all_cookies()
    driver.get(f"{live.base}/report")
    body = css(driver, "body")
    body.send_keys(Keys.TAB)
    skip = driver.switch_to.active_element
    assert skip.get_attribute("class") == "skip" and skip.is_displayed()
    skip.send_keys(Keys.ENTER)
    assert driver.switch_to.active_element.get_attribute("id") == "main"
    outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle",
                                    driver.find_element(By.ID, "text"))
    for _ in range(10):  # Tab until the text box has focus
        if driver.switch_to.active_element.get_attribute("id") == "text":
            break
        driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "text"
    assert driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none" or outline
    driver.switch_to.active_element.send_keys("Streetlight broken 🚧 on 海五路")
    driver.switch_to.active_element.send_keys(Keys.TAB, Keys.TAB, Keys.TAB, "13700137000", Keys.ENTER)
    assert visible(driver, "#order-number").text.startswith(live.services.city.order_prefix)


def test_the_accessibility_checks_catch_what_they_look_for(driver: Any) -> None:
    """The checker itself: a page with an unlabelled field, an image without alt and pale text is reported."""
    driver.get("data:text/html;charset=utf-8," + "<html><body><main><h2>x</h2><input id=a><img src=x>"
               "<p style='color:rgb(187,187,187);background:white'>浅色文字</p></main></body></html>")
    found = accessibility_problems(driver)
    assert any(p.startswith("unlabelled: <input") for p in found), found
    assert any(p.startswith("unlabelled: <img") for p in found), found
    assert any(p.startswith("contrast: P") for p in found), found
    assert "html lang is not zh-CN" in found and "no h1 in main" in found
