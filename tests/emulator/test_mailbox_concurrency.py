"""Outlook's concurrency limit per app (throttling-limits.md, "Limits per app ID"): a fifth Outlook request
of an app running at once is refused with 429 ApplicationThrottled, whichever mailboxes the five target.
onlineMeetings (not an Outlook resource; no documented limit) get the emulator's strict per organizer gate
of 4 instead."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import ADELE, DANA, OBJECT_ID


@pytest.fixture(autouse=True)
def slow_graph(admin: httpx.Client) -> Iterator[None]:
    # Long enough that requests started together are all running at once.
    admin.post("/config", json={"latencyMs": 400})
    admin.post("/requests/reset")
    yield
    admin.post("/config", json={"latencyMs": 0, "mailboxConcurrency": 4})


def at_once(graph: httpx.Client, users: list[str], what: str = "mailboxSettings") -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        return list(pool.map(lambda u: graph.get(f"/users/{u}/{what}"), users))


MEETINGS = "onlineMeetings/no-such-meeting/attendanceReports"


def test_a_fifth_request_at_once_on_one_mailbox_is_refused(graph: httpx.Client, admin: httpx.Client) -> None:
    answers = at_once(graph, [DANA] * 5)
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == 1
    assert refused[0].json()["error"]["code"] == "ApplicationThrottled"
    assert refused[0].json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
    assert refused[0].headers["Retry-After"] == "1"
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 429]
    counted = admin.get("/concurrency").json()
    assert counted["refused"] == 1 and counted["limit"] == 4
    assert [k.endswith("|outlook") for k in counted["peak"]] == [True]
    assert list(counted["peak"].values()) == [4]


def test_another_mailbox_shares_the_apps_four(graph: httpx.Client, admin: httpx.Client) -> None:
    # "regardless of whether the requests all access the same mailbox, or access different mailboxes":
    # 4 on Dana's and 4 on Adele's at once are 8 of one app, so 4 are refused (the old gate, per app and
    # mailbox, let all 8 through).
    answers = at_once(graph, [DANA] * 4 + [ADELE] * 4)
    assert sorted(a.status_code for a in answers) == [200] * 4 + [429] * 4
    counted = admin.get("/concurrency").json()
    assert list(counted["peak"].values()) == [4] and counted["refused"] == 4


def test_a_fifth_request_on_one_organizers_meetings_is_refused(graph: httpx.Client, admin: httpx.Client) -> None:
    # The emulator's strict choice (no doc gives onlineMeetings a concurrency limit): 4 per organizer.
    answers = at_once(graph, [OBJECT_ID[DANA]] * 5, MEETINGS)
    assert sorted(a.status_code for a in answers).count(429) == 1
    counted = admin.get("/concurrency").json()
    assert counted["refused"] == 1
    assert [k.split("|")[1:] for k in counted["peak"]] == [["onlineMeetings", OBJECT_ID[DANA]]]
    assert list(counted["peak"].values()) == [4]


def test_two_organizers_meetings_and_outlook_have_their_own_fours(graph: httpx.Client, admin: httpx.Client) -> None:
    # 4 on Dana's meetings, 4 on Adele's meetings and 4 Outlook requests (2 on each mailbox) at once: 12
    # requests of one app, none refused (one gate of 4 for the app, as before, refused 8 of them).
    dana, adele = OBJECT_ID[DANA], graph.get(f"/users/{ADELE}").json()["id"]
    paths = [f"/users/{dana}/{MEETINGS}"] * 4 + [f"/users/{adele}/{MEETINGS}"] * 4
    paths += [f"/users/{u}/mailboxSettings" for u in (DANA, ADELE, DANA, ADELE)]
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        answers = list(pool.map(graph.get, paths))
    assert 429 not in [a.status_code for a in answers]
    assert [a.status_code for a in answers[8:]] == [200] * 4
    counted = admin.get("/concurrency").json()
    assert counted["refused"] == 0
    assert sorted(counted["peak"].values()) == [4, 4, 4]
    assert sorted(k.split("|", 1)[1] for k in counted["peak"]) == [
        *sorted([f"onlineMeetings|{adele}", f"onlineMeetings|{dana}"]), "outlook"
    ]


def test_batch_items_are_gated_by_what_each_targets(graph: httpx.Client, admin: httpx.Client) -> None:
    # A parallel batch runs its 4 items at once (json-batching.md). With a limit of 1: of its two Outlook
    # items one is refused; its two meeting items, one per organizer, both run.
    admin.post("/config", json={"mailboxConcurrency": 1})
    dana, adele = OBJECT_ID[DANA], graph.get(f"/users/{ADELE}").json()["id"]
    urls = [f"/users/{dana}/{MEETINGS}", f"/users/{adele}/{MEETINGS}", f"/users/{DANA}/mailboxSettings",
            f"/users/{ADELE}/mailboxSettings"]  # fmt: skip
    items = [{"id": str(i), "method": "GET", "url": url} for i, url in enumerate(urls)]
    answer = graph.post("/$batch", json={"requests": items})
    statuses = {r["id"]: r["status"] for r in answer.json()["responses"]}
    assert 429 not in (statuses["0"], statuses["1"])
    assert sorted((statuses["2"], statuses["3"])) == [200, 429]
    assert admin.get("/concurrency").json()["refused"] == 1


def test_batch_items_count_one_by_one(graph: httpx.Client, admin: httpx.Client) -> None:
    # Two batches of 4 independent items on one mailbox: Graph runs up to 4 items of each at once,
    # 8 requests against the mailbox, so 4 of them are refused, each in its own item.
    items = [{"id": str(i), "method": "GET", "url": f"/users/{DANA}/mailboxSettings"} for i in range(4)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: graph.post("/$batch", json={"requests": items}), range(2)))
    statuses = sorted(r["status"] for a in answers for r in a.json()["responses"])
    assert [a.status_code for a in answers] == [200, 200]
    assert statuses == [200] * 4 + [429] * 4


def test_a_chained_batch_holds_one_request_at_a_time(graph: httpx.Client, admin: httpx.Client) -> None:
    # dependsOn runs the items one after the other: four such batches stay within the limit (the
    # documented way to run several batches against one mailbox).
    admin.post("/config", json={"latencyMs": 100})
    items = [
        {"id": str(i), "method": "GET", "url": f"/users/{DANA}/mailboxSettings", "dependsOn": [str(i - 1)] if i else []}
        for i in range(3)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: graph.post("/$batch", json={"requests": items}), range(4)))
    assert [r["status"] for a in answers for r in a.json()["responses"]] == [200] * 12
    counted = admin.get("/concurrency").json()
    assert counted["refused"] == 0 and list(counted["peak"].values()) == [4]


def test_the_limit_is_configurable_and_zero_turns_it_off(graph: httpx.Client, admin: httpx.Client) -> None:
    assert admin.post("/config", json={"mailboxConcurrency": 2}).json()["mailboxConcurrency"] == 2
    assert sorted(a.status_code for a in at_once(graph, [DANA] * 3)) == [200, 200, 429]
    admin.post("/config", json={"mailboxConcurrency": 0})
    assert [a.status_code for a in at_once(graph, [DANA] * 6)] == [200] * 6
    bad = admin.post("/config", json={"mailboxConcurrency": -1})
    assert bad.status_code == 400 and "mailboxConcurrency" in bad.json()["error"]["message"]
