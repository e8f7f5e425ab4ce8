"""``hotline locate`` prints the location (text and JSON) and never crashes on bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def app():
    from hotline.cli import app

    return app


def test_locate_json(app):
    result = CliRunner().invoke(app, ["locate", "我要反映一下桂城街道海五路有个井盖丢了", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["location"]["normalized"] == "广东省佛山市南海区桂城街道海五路"
    assert data["location"]["adcode"] == "440605011"


@pytest.mark.parametrize("text", ["", "123", "abc", "😀", "a" * 10000])
def test_locate_bad_input(app, text):
    result = CliRunner().invoke(app, ["locate", text, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["location"] is None


def test_locate_text_output(app):
    result = CliRunner().invoke(app, ["locate", "广州市天河区体育西路"])
    assert result.exit_code == 0 and "辖区外" in result.output
