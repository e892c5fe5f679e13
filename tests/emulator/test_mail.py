"""sendMail and the Sent Items lookup by extended property (emulator/mail.py): what the docs say, strictly;
then the Graph adapter (graph/mail.py, msgraph-sdk) against it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from emulator import RunningEmulator
from emulator.identity import DEFAULT_APP_ROLES
from graph.gateway import GraphGateway
from graph.mail import MESSAGE_KEY_PROPERTY, OutgoingMail
from micromentor.tenant import emulator_settings

from .conftest import DANA, SAMANTHA, app_token, assert_graph_error, verify

WINDOW = {"startDateTime": "2031-05-06T00:00:00Z", "endDateTime": "2031-05-07T00:00:00Z"}
PROP = "String {6f3c5b2e-8d4a-4e57-9a43-3c1f0d2b7e61} Name micromentorMessageKey"


def _message(key: str = "k-1", **extra: Any) -> dict[str, Any]:
    return {
        "subject": "How useful was your session?",
        "body": {"contentType": "HTML", "content": "<p>1 2 3 4 5</p>"},
        "toRecipients": [{"emailAddress": {"address": SAMANTHA}}],
        "singleValueExtendedProperties": [{"id": PROP, "value": key}],
        **extra,
    }


def _sent(graph: httpx.Client, user: str, key: str) -> httpx.Response:
    flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{PROP}' and ep/value eq '{key}')"
    return graph.get(f"/users/{user}/mailFolders/sentitems/messages", params={"$filter": flt})


@pytest.fixture()
def clean(admin: httpx.Client) -> Iterator[None]:
    admin.delete("/mail")
    before = admin.get("/access").json()
    yield
    admin.delete("/mail")
    admin.patch("/access", json={"mailScope": before.get("mailScope"),
                                 "mailAccessPolicy": before.get("mailAccessPolicy")})


def test_send_mail_answers_202_with_no_body_and_saves_to_sent_items(
    graph: httpx.Client, admin: httpx.Client, clean: None
) -> None:
    response = graph.post(f"/users/{DANA}/sendMail", json={"message": _message("abc")})
    assert response.status_code == 202
    assert response.content == b""
    (mail,) = admin.get("/mail").json()["value"]
    assert mail["mailbox"] == DANA and mail["subject"] == "How useful was your session?"
    assert mail["toRecipients"] == [{"emailAddress": {"address": SAMANTHA}}]
    # Found by its stamp (value compared case-insensitively), and the answer leaves the property out.
    (found,) = _sent(graph, DANA, "ABC").json()["value"]
    assert "singleValueExtendedProperties" not in found
    assert _sent(graph, DANA, "abd").json()["value"] == []
    # Another mailbox's Sent Items do not hold it.
    assert _sent(graph, SAMANTHA, "abc").json()["value"] == []


def test_save_to_sent_items_false_is_not_found_later(graph: httpx.Client, admin: httpx.Client, clean: None) -> None:
    response = graph.post(f"/users/{DANA}/sendMail", json={"message": _message("nosave"), "saveToSentItems": "false"})
    assert response.status_code == 202
    assert _sent(graph, DANA, "nosave").json()["value"] == []
    assert admin.get("/mail").json()["value"][0]["savedToSentItems"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "ErrorInvalidRequest"),
        ({"message": "hello"}, "ErrorInvalidRequest"),
        ({"message": _message(), "extra": 1}, "RequestBodyRead"),
        ({"message": _message(colour="red")}, "RequestBodyRead"),
        ({"message": {**_message(), "toRecipients": []}}, "ErrorInvalidRecipients"),
        (
            {"message": {**_message(), "toRecipients": [{"emailAddress": {"address": "not-an-address"}}]}},
            "ErrorInvalidRecipients",
        ),
        ({"message": _message(body={"contentType": "markdown", "content": "x"})}, "ErrorInvalidRequest"),
        (
            {"message": _message(internetMessageHeaders=[{"name": "Subject", "value": "x"}])},
            "InvalidInternetMessageHeader",
        ),
        ({"message": _message(), "saveToSentItems": "maybe"}, "RequestBodyRead"),
    ],
)
def test_malformed_bodies_are_refused(
    graph: httpx.Client, admin: httpx.Client, clean: None, body: dict[str, Any], code: str
) -> None:
    assert_graph_error(graph.post(f"/users/{DANA}/sendMail", json=body), 400, code)
    assert admin.get("/mail").json()["value"] == []


def test_unknown_sender_is_404_invalid_user(graph: httpx.Client, clean: None) -> None:
    assert_graph_error(
        graph.post("/users/nobody@contoso.example/sendMail", json={"message": _message()}), 404, "ErrorInvalidUser"
    )


def test_sender_outside_the_rbac_scope_is_403(graph: httpx.Client, admin: httpx.Client, clean: None) -> None:
    assert admin.patch("/access", json={"mailScope": [DANA]}).json()["mailScope"] == [DANA]
    denied = assert_graph_error(
        graph.post(f"/users/{SAMANTHA}/sendMail", json={"message": _message()}), 403, "ErrorAccessDenied"
    )
    # Not the application-access-policy text (auth-limit-mailbox-access.md documents it for policies only):
    # Exchange's generic denial, the same as without Mail.Send.
    assert denied["message"] == "Access is denied. Check credentials and try again."
    assert_graph_error(_sent(graph, SAMANTHA, "k-1"), 403, "ErrorAccessDenied")
    # RBAC scopes the mail roles only: Samantha's calendar is still reachable with Calendars.ReadWrite.
    assert graph.get(f"/users/{SAMANTHA}/calendarView", params=WINDOW).status_code == 200
    assert graph.post(f"/users/{DANA}/sendMail", json={"message": _message()}).status_code == 202
    assert len(admin.get("/mail").json()["value"]) == 1


def test_mailbox_outside_an_application_access_policy_is_403_odata_disabled(
    graph: httpx.Client, admin: httpx.Client, clean: None
) -> None:
    # auth-limit-mailbox-access.md: the policy restricts mail, calendars and mailbox settings alike, and its
    # documented answer is ErrorAccessDenied "Access to OData is disabled.".
    assert admin.patch("/access", json={"mailAccessPolicy": [DANA]}).json()["mailAccessPolicy"] == [DANA]
    for response in (
        graph.post(f"/users/{SAMANTHA}/sendMail", json={"message": _message()}),
        _sent(graph, SAMANTHA, "k-1"),
        graph.get(f"/users/{SAMANTHA}/calendarView", params=WINDOW),
        graph.get(f"/users/{SAMANTHA}/mailboxSettings"),
    ):
        denied = assert_graph_error(response, 403, "ErrorAccessDenied")
        assert denied["message"] == "Access to OData is disabled."
    assert graph.get(f"/users/{DANA}/calendarView", params=WINDOW).status_code == 200
    assert graph.post(f"/users/{DANA}/sendMail", json={"message": _message()}).status_code == 202


def test_filter_other_than_the_documented_shape_is_refused(graph: httpx.Client, clean: None) -> None:
    response = graph.get(f"/users/{DANA}/mailFolders/sentitems/messages", params={"$filter": "subject eq 'x'"})
    assert_graph_error(response, 400, "ErrorInvalidUrlQueryFilter")
    assert_graph_error(graph.get(f"/users/{DANA}/mailFolders/inbox/messages"), 404, "ErrorItemNotFound")


def test_mail_send_role_is_required(emu: RunningEmulator, admin: httpx.Client, clean: None) -> None:
    admin.put("/apps/micromentor-local/roles", json={"roles": ["Calendars.ReadWrite", "Mail.Read"]})
    try:
        headers = {"Authorization": f"Bearer {app_token(emu)}"}
        with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False, headers=headers) as client:
            refused = client.post(f"/users/{DANA}/sendMail", json={"message": _message()})
            assert_graph_error(refused, 403, "ErrorAccessDenied")
            assert _sent(client, DANA, "k-1").status_code == 200  # Mail.Read is enough for the lookup
        admin.put("/apps/micromentor-local/roles", json={"roles": ["Mail.Send"]})
        headers = {"Authorization": f"Bearer {app_token(emu)}"}
        with httpx.Client(base_url=emu.graph_url, verify=verify(emu), trust_env=False, headers=headers) as client:
            assert_graph_error(_sent(client, DANA, "k-1"), 403, "ErrorAccessDenied")
    finally:
        admin.put("/apps/micromentor-local/roles", json={"roles": DEFAULT_APP_ROLES})


def test_the_adapter_sends_and_finds_by_key(emu: RunningEmulator, admin: httpx.Client, clean: None) -> None:
    async def main() -> tuple[bool, bool]:
        graph = GraphGateway(emulator_settings(emu))
        try:
            await graph.send_mail(DANA, OutgoingMail(to=SAMANTHA, subject="Hi", html="<p>Hi</p>", key="s1|p|k"))
            return await graph.was_sent(DANA, "s1|p|k"), await graph.was_sent(DANA, "s1|p|other")
        finally:
            await graph.aclose()

    assert asyncio.run(main()) == (True, False)
    (mail,) = admin.get("/mail").json()["value"]
    assert mail["singleValueExtendedProperties"] == [{"id": MESSAGE_KEY_PROPERTY, "value": "s1|p|k"}]
    assert mail["body"] == {"contentType": "html", "content": "<p>Hi</p>"}


def test_a_delayed_sent_items_copy_is_not_found_until_filed(
    graph: httpx.Client, admin: httpx.Client, clean: None
) -> None:
    # sendMail's 202 only means accepted; Exchange files the Sent Items copy after transport took the message
    # (user-sendmail.md; concepts/outlook-things-to-know-about-send-mail.md, step 4).
    try:
        assert admin.post("/mail/sentItems", json={"delaySeconds": 3600}).json() == {
            "delaySeconds": 3600.0,
            "held": 0,
            "filed": 0,
        }
        assert graph.post(f"/users/{DANA}/sendMail", json={"message": _message("late")}).status_code == 202
        assert len(admin.get("/mail").json()["value"]) == 1  # accepted (and on its way)
        assert _sent(graph, DANA, "late").json()["value"] == []  # but not filed yet
        assert admin.post("/mail/sentItems", json={"fileNow": True}).json()["filed"] == 1
        assert len(_sent(graph, DANA, "late").json()["value"]) == 1
        for bad in ({"delaySeconds": -1}, {"delaySeconds": True}, {"fileNow": False}, {"delay": 5}):
            assert admin.post("/mail/sentItems", json=bad).status_code == 400, bad
    finally:
        admin.post("/mail/sentItems", json={"delaySeconds": 0})
