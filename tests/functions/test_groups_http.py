"""Group flash sessions through the local host and the emulator (clock: Monday 30 Nov 2026 00:00Z).

Maya (London = UTC in winter, Mon-Thu 07:30-15:30, empty calendar) publishes two seats on Tuesday
1 Dec 10:00Z; Ravi joins by id, Sita through the signed link, Ana finds it full."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LiveApi

MAYA, RAVI, SITA, ANA = (f"{n}@contoso.example" for n in ("maya", "ravi", "sita", "ana"))
START = "2026-12-01T10:00:00Z"


def call(live_api: LiveApi, method: str, path: str, who: str | None, body: Any = None) -> httpx.Response:
    headers = live_api.auth(who) if who else {}
    return httpx.request(method, f"{live_api.url}/{path}", json=body, headers=headers, timeout=60)


def publish(live_api: LiveApi, **changes: Any) -> httpx.Response:
    body = {"mentor": MAYA, "topic": "Estimating honestly", "start": START, "seats": 2, **changes}
    return call(live_api, "POST", "groups", MAYA, body)


def test_publish_join_by_id_and_by_link_full_and_leave(live_api: LiveApi) -> None:
    published = publish(live_api)
    assert published.status_code == 201, published.text
    group = published.json()
    gid, token = group["id"], group["link"]["token"]
    assert (group["seats"], group["seatsLeft"], group["mentees"], group["minutes"]) == (2, 2, [], 15)
    assert group["link"]["url"].endswith(f"/api/group-links/{token}") and group["joinUrl"]

    joined = call(live_api, "POST", f"groups/{gid}/join", RAVI)
    assert joined.status_code == 200, joined.text
    assert joined.json()["mentees"] == [RAVI]
    anonymous = call(live_api, "GET", f"group-links/{token}", None)
    assert anonymous.status_code == 200 and anonymous.json()["seatsLeft"] == 1
    assert "mentees" not in anonymous.json() and "joinUrl" not in anonymous.json()
    by_link = call(live_api, "POST", f"group-links/{token}/join", SITA)
    assert by_link.status_code == 200 and by_link.json()["mentees"] == [RAVI, SITA]

    full = call(live_api, "POST", f"groups/{gid}/join", ANA)
    assert full.status_code == 409
    assert full.json()["error"]["field"] == "seats" and full.json()["alternatives"] == []
    # Ana is in none of it: she sees the session, not who joined.
    seen = call(live_api, "GET", f"groups/{gid}", ANA).json()
    assert seen["seatsLeft"] == 0 and "mentees" not in seen

    left = call(live_api, "DELETE", f"groups/{gid}/join", RAVI)
    assert left.status_code == 200 and left.json()["mentees"] == [SITA]
    assert call(live_api, "POST", f"groups/{gid}/join", ANA).json()["mentees"] == [SITA, ANA]
    assert call(live_api, "POST", f"groups/{gid}/leave", SITA).json()["mentees"] == [ANA]


def test_nobody_joins_or_publishes_for_someone_else(live_api: LiveApi) -> None:
    gid = publish(live_api).json()["id"]
    for_sita = call(live_api, "POST", f"groups/{gid}/join", RAVI, {"mentee": SITA})
    assert for_sita.status_code == 403
    by_ravi = call(live_api, "POST", "groups", RAVI, {"mentor": MAYA, "topic": "x", "start": START, "seats": 2})
    assert by_ravi.status_code == 403
    assert call(live_api, "POST", f"groups/{gid}/join", None).status_code == 401


def test_bad_group_requests_name_the_field(live_api: LiveApi) -> None:
    too_many = publish(live_api, seats=7)  # default max_group_size 6
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "seats"
    one = publish(live_api, seats=1)
    assert one.status_code == 422 and one.json()["error"]["field"] == "seats"
    for changes, field in (({"seats": "two"}, "seats"), ({"topic": " "}, "topic"), ({"start": "soon"}, "start"),
                           ({"room": "B2"}, "room"), ({"minutes": 25}, "minutes")):  # fmt: skip
        answer = publish(live_api, **changes)
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field, answer.text
    unknown = call(live_api, "POST", "groups/nope/join", RAVI)
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "id"
    forged = call(live_api, "GET", "group-links/v1.e30.AAAA", None)
    assert forged.status_code == 400
