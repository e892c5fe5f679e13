"""Mail: `POST /users/{id}/sendMail` and the sender's Sent Items, as Graph documents them.

Sources (microsoftgraph/microsoft-graph-docs-contrib):
- api-reference/v1.0/api/user-sendmail.md: `POST /users/{id | userPrincipalName}/sendMail` with a JSON
  `{"message": <message>, "saveToSentItems": <Boolean, default true>}`; success is `202 Accepted` with no
  body; the message is saved in Sent Items; application permission `Mail.Send` (least and only).
- api-reference/v1.0/resources/internetmessageheader.md / message.md: `internetMessageHeaders` may only
  carry custom headers, whose names start with `x-` or `X-`.
- api-reference/v1.0/api/singlevaluelegacyextendedproperty-get.md: messages are found by
  `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{id}' and ep/value eq '{value}')`; the name in
  the id compares case-sensitively, the value case-insensitively; the answer does not include the
  property; application permission `Mail.Read`.
- Scoped mailbox access (emulator/access.py): outside an application access policy 403 `ErrorAccessDenied`
  "Access to OData is disabled." (concepts/auth-limit-mailbox-access.md); outside an RBAC for Applications
  scope 403 `ErrorAccessDenied` "Access is denied. Check credentials and try again." (no documented text).

- user-sendmail.md ("A `202 Accepted` response code indicates that the request has been accepted; however,
  it does not indicate that the request processing has completed") and concepts/outlook-things-to-know-
  about-send-mail.md (steps 2-7 "take place after the method response is returned"; step 4, the move from
  Drafts to Sent Items, comes only after transport has copied the message): the Sent Items copy can appear
  a while after the 202. `sentItemsDelaySeconds` (`POST /_emulator/mail/sentItems`, default 0) holds each
  copy back that long (wall clock); `{"fileNow": true}` files every held copy at once (transport caught up).

What the emulator does not model: delivery to recipients' inboxes, attachments, MIME bodies (refused with
400 here rather than accepted half-read), and the Drafts folder where a message waits before it is filed.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from emulator.errors import GraphError

__all__ = ["SENT_ITEMS", "MailFolders", "parse_property_filter", "parse_send_mail"]

SENT_ITEMS = "sentitems"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
_RECIPIENT_LISTS = ("toRecipients", "ccRecipients", "bccRecipients", "replyTo")
# message.md's writable properties a sendMail body may carry; anything else is not a property of the type.
_MESSAGE_FIELDS = {
    "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "from", "sender",
    "importance", "internetMessageHeaders", "singleValueExtendedProperties", "multiValueExtendedProperties",
    "isDeliveryReceiptRequested", "isReadReceiptRequested", "categories", "flag", "attachments", "uniqueBody",
    "@odata.type",
}  # fmt: skip
_FILTER = re.compile(
    r"^\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*(\w+)/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+"
    r"(\w+)/value\s+eq\s+'((?:[^']|'')*)'\s*\)\s*$",
    re.IGNORECASE,
)


def _bad(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def _unknown_property(name: str) -> GraphError:
    return GraphError(
        400, "RequestBodyRead", f"The property '{name}' does not exist on type 'microsoft.graph.message'."
    )


def _recipients(message: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = message.get(key, [])
    if not isinstance(raw, list):
        raise _bad(f"Property '{key}' must be a collection of recipients.")
    out = []
    for item in raw:
        address = item.get("emailAddress") if isinstance(item, dict) else None
        if not isinstance(address, dict) or not isinstance(address.get("address"), str):
            raise _bad(f"Each of '{key}' needs emailAddress.address.")
        if not _ADDRESS.match(address["address"].strip()):
            raise GraphError(
                400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A recipient address isn't valid."
            )
        entry = {"address": address["address"].strip()}
        if isinstance(address.get("name"), str):
            entry["name"] = address["name"]
        out.append({"emailAddress": entry})
    return out


def parse_send_mail(body: Any) -> tuple[dict[str, Any], bool]:
    """A sendMail JSON body → (the message as stored, saveToSentItems); GraphError 400 when malformed."""
    if not isinstance(body, dict):
        raise _bad("Empty Payload. JSON content expected.", "ErrorInvalidRequest")
    # Action parameter names are matched case-insensitively: msgraph-sdk's SendMailPostRequestBody writes
    # "Message" and "SaveToSentItems" (the metadata's casing), as in the docs' own SDK snippets for this page.
    canonical = {"message": "message", "savetosentitems": "saveToSentItems"}
    body = {canonical.get(str(k).lower(), k): v for k, v in body.items()}
    unknown = set(body) - {"message", "saveToSentItems"}
    if unknown:
        raise GraphError(
            400,
            "RequestBodyRead",
            f"The parameter '{sorted(unknown)[0]}' in the request payload is not a valid parameter "
            "for the operation 'sendMail'.",
        )
    message = body.get("message")
    if not isinstance(message, dict):
        raise _bad("The 'message' parameter is required and must be an object.")
    save = body.get("saveToSentItems", True)
    # The docs' own example sends "false" as a string; Graph's OData reader accepts both spellings.
    if isinstance(save, str) and save.lower() in ("true", "false"):
        save = save.lower() == "true"
    if not isinstance(save, bool):
        raise _bad("Cannot convert the literal to the expected type 'Edm.Boolean'.", "RequestBodyRead")
    for key in message:
        if key not in _MESSAGE_FIELDS:
            raise _unknown_property(key)
    if message.get("attachments"):
        raise _bad("Attachments are not modelled by the emulator.", "ErrorNotSupported")
    stored: dict[str, Any] = {k: _recipients(message, k) for k in _RECIPIENT_LISTS if k in message}
    if not any(stored.get(k) for k in ("toRecipients", "ccRecipients", "bccRecipients")):
        raise GraphError(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        )
    subject = message.get("subject", "")
    if not isinstance(subject, str):
        raise _bad("Property 'subject' must be a string.")
    stored["subject"] = subject
    content = message.get("body", {"contentType": "text", "content": ""})
    if (
        not isinstance(content, dict)
        or set(content) - {"contentType", "content"}
        or str(content.get("contentType", "text")).lower() not in ("text", "html")
        or not isinstance(content.get("content", ""), str)
    ):
        raise _bad("Property 'body' must be an itemBody: contentType text or html, content a string.")
    stored["body"] = {
        "contentType": str(content.get("contentType", "text")).lower(),
        "content": content.get("content", ""),
    }
    headers = message.get("internetMessageHeaders", [])
    if not isinstance(headers, list):
        raise _bad("Property 'internetMessageHeaders' must be a collection.")
    for header in headers:
        name = header.get("name") if isinstance(header, dict) else None
        if not isinstance(name, str) or not name.lower().startswith("x-") or not isinstance(header.get("value"), str):
            raise GraphError(
                400, "InvalidInternetMessageHeader", "The internet message header name should start with 'x-' or 'X-'."
            )
    stored["internetMessageHeaders"] = [{"name": h["name"], "value": h["value"]} for h in headers]
    props = message.get("singleValueExtendedProperties", [])
    if not isinstance(props, list) or not all(
        isinstance(p, dict) and set(p) == {"id", "value"} and isinstance(p["id"], str) and isinstance(p["value"], str)
        for p in props
    ):
        raise _bad("Property 'singleValueExtendedProperties' must be a collection of {id, value} strings.")
    stored["singleValueExtendedProperties"] = [dict(p) for p in props]
    return stored, save


def parse_property_filter(raw: str) -> tuple[str, str]:
    """The one $filter shape the docs give for finding messages by a string extended property."""
    match = _FILTER.match(raw)
    if match is None or match.group(1) != match.group(2) or match.group(1) != match.group(4):
        raise GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
    return match.group(3).replace("''", "'"), match.group(5).replace("''", "'")


class MailFolders:
    """Each mailbox's Sent Items, and every accepted send (for `GET /_emulator/mail`); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent_items: dict[str, list[dict[str, Any]]] = {}
        self._held: list[tuple[float, str, dict[str, Any]]] = []  # (filed at, monotonic), mailbox, item
        self.accepted: list[dict[str, Any]] = []
        self.sent_items_delay = 0.0  # seconds before a Sent Items copy appears (see the module docstring)

    def record(self, sender_id: str, sender_address: str, message: dict[str, Any], save: bool) -> dict[str, Any]:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = {
            "id": f"AAMkAG{uuid.uuid4().hex}",
            "createdDateTime": now,
            "sentDateTime": now,
            "internetMessageId": f"<{uuid.uuid4().hex}@emulator.local>",
            "from": {"emailAddress": {"address": sender_address}},
            "sender": {"emailAddress": {"address": sender_address}},
            **message,
        }
        with self._lock:
            if save and self.sent_items_delay > 0:
                self._held.append((time.monotonic() + self.sent_items_delay, sender_id, item))
            elif save:
                self._sent_items.setdefault(sender_id, []).append(item)
            self.accepted.append({**item, "mailboxId": sender_id, "mailbox": sender_address, "savedToSentItems": save})
        return item

    def _file(self, until: float) -> None:
        """Move the held copies whose time has come into Sent Items (caller holds the lock)."""
        keep = []
        for filed_at, sender_id, item in self._held:
            if filed_at <= until:
                self._sent_items.setdefault(sender_id, []).append(item)
            else:
                keep.append((filed_at, sender_id, item))
        self._held = keep

    def file_now(self) -> int:
        """File every held copy at once; how many there were."""
        with self._lock:
            held = len(self._held)
            self._file(float("inf"))
        return held

    def held(self) -> int:
        with self._lock:
            self._file(time.monotonic())
            return len(self._held)

    def find(self, sender_id: str, property_id: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            self._file(time.monotonic())
            items = list(self._sent_items.get(sender_id, ()))
        found = []
        for item in items:
            for prop in item.get("singleValueExtendedProperties", ()):
                if prop["id"] == property_id and prop["value"].casefold() == value.casefold():
                    found.append({k: v for k, v in item.items() if k != "singleValueExtendedProperties"})
                    break
        return found

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self.accepted]

    def clear(self) -> None:
        with self._lock:
            self._sent_items.clear()
            self._held.clear()
            self.accepted.clear()
