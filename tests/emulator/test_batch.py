"""JSON batching (json-batching.md): limits, dependsOn → 424, per-item faults with their own Retry-After."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import ADELE, DANA, MEGAN, SAMANTHA, assert_graph_error


def batch(graph: httpx.Client, requests: list[dict[str, Any]]) -> httpx.Response:
    return graph.post("/$batch", json={"requests": requests})


def by_id(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["responses"]}


def test_mixed_batch_keeps_an_outer_200(graph: httpx.Client) -> None:
    responses = by_id(
        batch(
            graph,
            [
                {"id": "1", "method": "GET", "url": f"/users/{DANA}"},
                {"id": "2", "method": "GET", "url": "users/ghost@contoso.example"},  # no leading slash, as in the doc
                {
                    "id": "3",
                    "method": "POST",
                    "url": f"/users/{DANA}/calendar/getSchedule",
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "schedules": [ADELE],
                        "availabilityViewInterval": 60,
                        "startTime": {"dateTime": "2019-03-15T16:00:00", "timeZone": "UTC"},
                        "endTime": {"dateTime": "2019-03-15T22:00:00", "timeZone": "UTC"},
                    },
                },
                {"id": "4", "method": "DELETE", "url": f"/users/{DANA}"},
            ],
        )
    )
    assert responses["1"]["status"] == 200 and responses["1"]["body"]["userPrincipalName"] == DANA
    assert responses["2"]["status"] == 404 and responses["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    # Lunch 12-14 PDT = 19-21Z in 16:00-22:00Z hourly slots.
    assert responses["3"]["body"]["value"][0]["availabilityView"] == "000220"
    assert responses["4"]["status"] == 405
    assert responses["1"]["headers"]["Content-Type"].startswith("application/json")


def test_more_than_20_requests_is_a_400(graph: httpx.Client) -> None:
    requests = [{"id": str(i), "method": "GET", "url": f"/users/{DANA}"} for i in range(21)]
    assert_graph_error(batch(graph, requests), 400, "BadRequest")
    assert batch(graph, requests[:20]).status_code == 200


def test_duplicate_ids_are_a_400(graph: httpx.Client) -> None:
    requests = [{"id": "a", "method": "GET", "url": f"/users/{DANA}"}, {"id": "A", "method": "GET", "url": "/users"}]
    assert_graph_error(batch(graph, requests), 400, "BadRequest")


def test_depends_on_runs_in_order_and_a_failure_gives_424(graph: httpx.Client) -> None:
    responses = by_id(
        batch(
            graph,
            [
                {"id": "1", "method": "GET", "url": f"/users/{DANA}"},
                {"id": "2", "dependsOn": ["1"], "method": "GET", "url": "/users/ghost@contoso.example"},
                {"id": "4", "dependsOn": ["2"], "method": "GET", "url": f"/users/{MEGAN}"},
                {"id": "3", "dependsOn": ["4"], "method": "GET", "url": f"/users/{SAMANTHA}"},
            ],
        )
    )
    assert [responses[k]["status"] for k in ("1", "2", "4", "3")] == [200, 404, 424, 424]


def test_a_batch_half_sequential_half_parallel_is_a_400(graph: httpx.Client) -> None:
    # json-batching.md: "Batch should be either fully sequential or fully parallel."
    mixed: list[dict[str, Any]] = [
        {"id": "1", "method": "GET", "url": f"/users/{DANA}"},
        {"id": "2", "dependsOn": ["1"], "method": "GET", "url": f"/users/{MEGAN}"},
        {"id": "3", "method": "GET", "url": f"/users/{SAMANTHA}"},
    ]
    refused = assert_graph_error(batch(graph, mixed), 400, "BadRequest")
    assert refused["message"] == "Batch should be either fully sequential or fully parallel."
    mixed[2]["dependsOn"] = ["1"]  # all after the first: sequential
    assert batch(graph, mixed).status_code == 200


def test_each_item_is_throttled_on_its_own(graph: httpx.Client, admin: httpx.Client) -> None:
    fault = admin.post(
        "/faults", json={"method": "GET", "path": f"^/users/{SAMANTHA}$", "status": 429, "retryAfter": 2, "times": 1}
    ).json()
    try:
        responses = by_id(
            batch(
                graph,
                [
                    {"id": "1", "method": "GET", "url": f"/users/{DANA}"},
                    {"id": "2", "method": "GET", "url": f"/users/{SAMANTHA}"},
                ],
            )
        )
        assert responses["1"]["status"] == 200
        assert responses["2"]["status"] == 429
        assert responses["2"]["headers"]["Retry-After"] == "2"
        assert responses["2"]["body"]["error"]["code"] == "TooManyRequests"
        again = by_id(batch(graph, [{"id": "2", "method": "GET", "url": f"/users/{SAMANTHA}"}]))
        assert again["2"]["status"] == 200
    finally:
        admin.delete(f"/faults/{fault['id']}")


def test_batch_items_may_carry_the_v1_prefix_the_sdk_leaves_in(graph: httpx.Client) -> None:
    responses = by_id(batch(graph, [{"id": "1", "method": "GET", "url": f"/v1.0/users/{DANA}?$select=id"}]))
    assert responses["1"]["status"] == 200 and set(responses["1"]["body"]) == {"@odata.context", "id"}
