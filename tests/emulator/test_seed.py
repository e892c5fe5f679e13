"""Seed loading: the spec's example loads, defaults apply, and every malformed field is named by its path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulator import SeedError, TenantState, start_emulator
from emulator.seed import load_seed

SPEC_TENANT = Path(__file__).resolve().parents[1] / "data" / "tenant.json"  # the example tenant


def minimal() -> dict[str, Any]:
    return {
        "tenantId": "11111111-2222-3333-4444-555555555555",
        "users": [
            {
                "userPrincipalName": "a@contoso.example",
                "mailboxSettings": {"timeZone": "Pacific Standard Time"},
                "events": [
                    {
                        "subject": "x",
                        "start": {"dateTime": "2026-12-01T09:00:00", "timeZone": "Pacific Standard Time"},
                        "end": {"dateTime": "2026-12-01T10:00:00", "timeZone": "Pacific Standard Time"},
                    }
                ],
            },
            {"userPrincipalName": "b@contoso.example"},
        ],
    }


def test_spec_example_tenant_loads_with_its_users_and_events() -> None:
    seed = load_seed(SPEC_TENANT)
    assert seed.tenant_id == "11111111-2222-3333-4444-555555555555"
    assert [u.upn for u in seed.users] == [
        "ana@contoso.example",
        "ravi@contoso.example",
        "maya@contoso.example",
        "sita@contoso.example",
        "mentoring-desk@contoso.example",  # the shared mailbox the README's send-due sends from
        "leo@contoso.example",  # no Exchange Online mailbox (emulator.withoutMailbox)
    ]
    state = TenantState(seed)
    ana = state.find_user("ANA@contoso.example")
    assert ana is not None and ana.id == "8b7a2c2e-0001-4b0e-9e8e-000000000001"
    assert len(state.events_of(ana)) == 3


def test_defaults_are_graphs_and_ids_are_generated() -> None:
    state = TenantState(load_seed(minimal()))
    user = state.find_user("a@contoso.example")
    assert user is not None and user.id  # generated
    assert user.mail == "a@contoso.example"
    (event,) = state.events_of(user)
    assert event.show_as == "busy" and event.is_all_day is False and event.categories == []
    assert event.id and event.ical_uid
    # Without workingHours: Outlook's Monday-Friday 08:00-17:00 in the mailbox zone.
    other = state.find_user("b@contoso.example")
    assert other is not None
    assert other.mailbox_settings["workingHours"]["timeZone"] == {"name": "UTC"}
    assert other.mailbox_settings["workingHours"]["startTime"] == "08:00:00.0000000"


def test_iana_windows_and_custom_zones_are_accepted() -> None:
    seed = minimal()
    seed["users"][0]["mailboxSettings"] = {
        "timeZone": "Asia/Kolkata",
        "workingHours": {
            "daysOfWeek": ["monday"],
            "startTime": "09:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"@odata.type": "#microsoft.graph.customTimeZone", "bias": -330, "name": "Customized"},
        },
    }
    seed["users"][0]["events"][0]["start"]["timeZone"] = "Europe/London"
    seed["users"][0]["events"][0]["end"]["timeZone"] = "GMT Standard Time"
    load_seed(seed)


def test_the_seed_file_can_be_given_as_a_path_string(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(minimal()), encoding="utf-8")
    assert load_seed(str(path)).users[0].upn == "a@contoso.example"


def _broken(change: Any) -> dict[str, Any]:
    seed = copy.deepcopy(minimal())
    change(seed)
    return seed


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.pop("tenantId"), "tenantId"),
        (lambda s: s["users"][1].pop("userPrincipalName"), "users[1].userPrincipalName"),
        (
            lambda s: s["users"][0]["mailboxSettings"].update(timeZone="Mars/Olympus"),
            "users[0].mailboxSettings.timeZone",
        ),
        (
            lambda s: s["users"][0]["events"][0]["end"].update(dateTime="2026-12-01T08:00:00"),
            "users[0].events[0].end.dateTime",
        ),
        (
            lambda s: s["users"][0]["events"][0]["start"].update(dateTime="yesterday"),
            "users[0].events[0].start.dateTime",
        ),
        (
            lambda s: s["users"][0]["events"][0]["start"].update(timeZone="Nowhere Standard Time"),
            "users[0].events[0].start.timeZone",
        ),
        (lambda s: s["users"][0]["events"][0].update(isAllDay="no"), "users[0].events[0].isAllDay"),
        (lambda s: s["users"][0]["events"][0].update(showAs="sleeping"), "users[0].events[0].showAs"),
        (lambda s: s["users"][0]["events"][0].update(categories="work"), "users[0].events[0].categories"),
        (lambda s: s["users"][0]["events"][0].pop("end"), "users[0].events[0].end"),
        (
            lambda s: s["users"][0]["events"][0].update(
                recurrence={
                    "pattern": {"type": "weekly", "interval": 0, "daysOfWeek": ["monday"]},
                    "range": {"type": "noEnd"},
                }
            ),
            "users[0].events[0].recurrence.pattern.interval",
        ),
        (
            lambda s: s["users"][0]["events"][0].update(
                recurrence={"pattern": {"type": "weekly", "daysOfWeek": ["funday"]}, "range": {"type": "noEnd"}}
            ),
            "users[0].events[0].recurrence.pattern.daysOfWeek[0]",
        ),
        (
            lambda s: s["users"][0].update(
                mailboxSettings={"workingHours": {"startTime": "9am", "endTime": "17:00", "daysOfWeek": []}}
            ),
            "users[0].mailboxSettings.workingHours.startTime",
        ),
        (lambda s: s["users"].append({"userPrincipalName": "A@contoso.example"}), "users[2].userPrincipalName"),
        (lambda s: s.update(users={}), "users"),
        (lambda s: s.update(apps=[{"clientSecret": "x"}]), "apps[0].clientId"),
    ],
)
def test_a_malformed_seed_names_the_bad_field(change: Any, path: str) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed(_broken(change))
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_start_emulator_raises_seed_error_before_listening() -> None:
    with pytest.raises(SeedError, match=r"^tenantId: required"):
        start_emulator({"users": []})


def test_invalid_json_is_a_seed_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SeedError, match=r"^\$: not valid JSON"):
        load_seed(path)
