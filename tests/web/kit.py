"""Browser helpers for the web tests: sign in, wait, screenshots, and the accessibility checks."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from hotline.settings import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

WAIT_S = 15


def wait(driver: Any, condition: Any, timeout: float = WAIT_S) -> Any:
    return WebDriverWait(driver, timeout).until(condition)


def css(driver: Any, selector: str) -> Any:
    return driver.find_element(By.CSS_SELECTOR, selector)


def all_css(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def visible(driver: Any, selector: str, timeout: float = WAIT_S) -> Any:
    return wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout)


def text_in(driver: Any, selector: str, text: str, timeout: float = WAIT_S) -> None:
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text), timeout)


def act(driver: Any, button: Any, timeout: float = WAIT_S) -> None:
    """Click an action button of an ``api-form`` and wait for the page to reload with the result."""
    driver.execute_script("window.__beforeAction = true")
    button.click()
    wait(driver, lambda d: d.execute_script("return !window.__beforeAction && document.readyState === 'complete'"), timeout)


def shot(driver: Any, name: str) -> Path:
    """Save a full-height screenshot as ``test-artifacts/screenshots/<name>.png``."""
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 4000)")
    original = driver.get_window_size()
    driver.set_window_size(original["width"], max(height + 120, 400))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(original["width"], original["height"])
    assert width > 0 and path.stat().st_size > 1000
    return path


def sign_in(driver: Any, base: str, username: str, password: str) -> None:
    """Sign in through the form, typing like a person (the keyboard only: Tab between fields, Enter to send)."""
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    user = css(driver, "#username")
    user.clear()
    user.send_keys(username)
    password_box = css(driver, "#password")
    password_box.send_keys(password + "\n")
    wait(driver, lambda d: "/login" not in d.current_url)


def sign_out(driver: Any) -> None:
    css(driver, "form.who button").click()
    wait(driver, lambda d: "/login" in d.current_url)


def tiny_png(path: Path, width: int = 8, height: int = 8) -> Path:
    """A real PNG (solid colour), written with the standard library."""
    raw = b"".join(b"\x00" + bytes((200, 60, 40)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


UNLABELLED_FIELDS_JS = """
const out = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) || el.closest('label')
    || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!labelled) out.push(el.outerHTML.slice(0, 120));
}
for (const img of document.querySelectorAll('img')) { if (!img.getAttribute('alt')) out.push(img.outerHTML.slice(0, 120)); }
for (const b of document.querySelectorAll('button')) { if (!(b.textContent.trim() || b.getAttribute('aria-label'))) out.push(b.outerHTML.slice(0, 120)); }
return out;
"""

LOW_CONTRAST_JS = """
function rgba(s) { const m = s.match(/[\\d.]+/g) || []; return m.map(Number).concat([1]).slice(0, 4); }
function lum(c) { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
function background(el) {
  for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; }
  return [255, 255, 255, 1];
}
const bad = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
while (walker.nextNode()) {
  const node = walker.currentNode, el = node.parentElement;
  if (!node.textContent.trim() || !el || seen.has(el)) continue;
  seen.add(el);
  const st = getComputedStyle(el);
  if (st.visibility === 'hidden' || st.display === 'none' || el.closest('.visually-hidden, .skip, svg, option, [hidden]')) continue;
  const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
  const fg = rgba(st.color), bg = background(el);
  const opacity = parseFloat(st.opacity) || 1;
  const L1 = lum(fg), L2 = lum(bg), ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
  const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
  const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio * opacity < need && !el.closest('button:disabled')) bad.push(el.tagName + ' "' + node.textContent.trim().slice(0, 20) + '" ' + ratio.toFixed(2));
}
return bad;
"""


def accessibility_problems(driver: Any) -> list[str]:
    """Fields without labels, images without alt, nameless buttons, text below WCAG AA contrast, missing lang."""
    problems = [f"unlabelled: {p}" for p in driver.execute_script(UNLABELLED_FIELDS_JS)]
    problems += [f"contrast: {p}" for p in driver.execute_script(LOW_CONTRAST_JS)]
    if driver.execute_script("return document.documentElement.lang") != "zh-CN":
        problems.append("html lang is not zh-CN")
    if not all_css(driver, "main h1"):
        problems.append("no h1 in main")
    return problems
