"""GET /api/slots exposes free time only to the people searched for (issue #12), and `now` only moves
the clock against the emulator."""

from __future__ import annotations

import dataclasses

from micromentor.bootstrap import Runtime, configure
from tests.conftest import API_NOW, LiveApi

MAYA, RAVI, ANA = "maya@contoso.example", "ravi@contoso.example", "ana@contoso.example"
PAIR = {"mentor": MAYA, "mentee": RAVI, "limit": "1"}


def test_only_the_mentor_a_listed_mentee_or_an_admin_may_search_a_pair(live_api: LiveApi) -> None:
    get = live_api.client.get
    for who, roles in ((MAYA, ()), (RAVI, ()), (ANA, ("Mentoring.Admin",))):
        answer = get("/slots", params=PAIR, headers=live_api.auth(who, *roles), timeout=60)
        assert answer.status_code == 200, (who, answer.text)
    outsider = get("/slots", params=PAIR, headers=live_api.auth(ANA), timeout=60)
    assert outsider.status_code == 403, outsider.text
    assert outsider.json()["error"]["field"] == "mentor" and outsider.json()["error"]["code"] == "forbidden"
    # A mentee among several counts; case and spaces in the addresses do not matter.
    several = {"mentor": " Maya@Contoso.example", "mentee": [ANA.upper(), RAVI], "limit": "1"}
    assert get("/slots", params=several, headers=live_api.auth(ANA), timeout=60).status_code == 200


def test_now_is_refused_unless_graph_is_the_local_emulator(live_api: LiveApi) -> None:
    moved = live_api.client.get("/slots", params={**PAIR, "now": "2026-12-07T00:00:00Z"}, timeout=60)
    assert moved.status_code == 200 and moved.json()["searched"]["from"].startswith("2026-12-07")
    real = live_api.runtime.settings
    assert real.graph is not None
    tenant = dataclasses.replace(real, graph=dataclasses.replace(real.graph, graph_url="https://graph.microsoft.com/v1.0"))
    configure(Runtime(tenant, clock=lambda: API_NOW))
    try:
        refused = live_api.client.get("/slots", params={**PAIR, "now": "2026-12-07T00:00:00Z"}, timeout=60)
    finally:
        configure(live_api.runtime)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "now", refused.text
