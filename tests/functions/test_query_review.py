"""Query values of the newcomer review (issue 14): a parameter given twice is a 400 naming it (which one a
host keeps differs), full-width digits are not a quarter, and a zone that means the server's is refused."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from functions.mentors import bp as mentors_bp
from micromentor.localhost import starlette_path
from tests.functions import test_admin_and_requests_http as base
from tests.functions.test_admin_and_requests_http import Api

api, mint, admin_token = base.api, base.mint, base.admin_token
EMULATOR_SEED = base.EMULATOR_SEED  # its tenant, for the emulator fixture (tests/conftest.py)


def get(api: Api, route: str, query: str, token: str) -> tuple[int, dict[str, Any]]:
    """GET `route?query` as the host passes it: the raw query in the URL, `params` one value a name (the
    last, as a dict keeps it)."""
    if ("GET", route) not in api.routes:  # the mentors blueprint beside the admin and request ones
        app = func.FunctionApp()
        app.register_functions(mentors_bp)
        for function in app.get_functions():
            trigger = function.get_trigger().get_dict_repr()  # type: ignore[union-attr]
            for method in trigger["methods"]:
                api.routes[(str(method).upper(), starlette_path(trigger["route"]))] = function.get_user_function()
    pairs = [part.split("=", 1) for part in query.split("&")]
    answer = api("GET", route, token=token, params={k: v for k, v in pairs}, query=query)
    return answer.status, json.loads(answer.text or "{}")


@pytest.mark.parametrize(
    ("route", "query", "field"),
    [
        ("admin/report", "quarter=2026Q4&quarter=2026Q3", "quarter"),
        ("admin/report", "tz=UTC&tz=Europe/Paris", "tz"),
        ("admin/report", "format=json&format=csv", "format"),
        ("mentors", "skill=python&skill=sales", "skill"),
    ],
)
def test_a_parameter_given_twice_is_a_400_naming_it(
    api: Api, admin_token: str, route: str, query: str, field: str
) -> None:
    status, body = get(api, route, query, admin_token)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_field" and body["error"]["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("quarter=\uff12\uff10\uff12\uff16Q4", "quarter"),  # full-width 2026
        ("tz=localtime", "tz"),
        ("tz=posixrules", "tz"),
        ("tz=posix/Europe/Paris", "tz"),
    ],
)
def test_full_width_digits_and_server_zones_are_a_400(api: Api, admin_token: str, query: str, field: str) -> None:
    status, body = get(api, "admin/report", query, admin_token)
    assert status == 400, body
    assert body["error"]["field"] == field


def test_one_value_each_still_answers(api: Api, admin_token: str) -> None:
    status, body = get(api, "admin/report", "quarter=2026Q4&tz=Europe/Paris", admin_token)
    assert status == 200, body
    assert body["period"]["from"] == "2026-10-01T00:00:00+02:00"
