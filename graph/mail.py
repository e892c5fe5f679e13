"""Mail calls: send a message from the configured sender mailbox, and find a sent one again.

`sendMail` has no idempotency key (api/user-sendmail.md): a resend is a second e-mail. So it is tried
exactly once here (no retry layer), and every message carries a string extended property with its own
key, by which `was_sent` finds its copy in the sender's Sent Items
(api/singlevaluelegacyextendedproperty-get.md: `$filter=singleValueExtendedProperties/Any(...)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.models.single_value_legacy_extended_property import SingleValueLegacyExtendedProperty
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

from graph.base import GraphBase, _config
from graph.errors import GraphRequestError
from graph.retry import call_graph
from graph.timezones import parse_graph_datetime
from telemetry import graph_span

__all__ = ["MESSAGE_KEY_PROPERTY", "MailCalls", "OutgoingMail", "SentCopy"]

# A named string MAPI property in micromentor's own property set (extended-properties-overview.md: the
# "String {GUID} Name name" form). The GUID is fixed: it names micromentor's namespace, not a message.
MESSAGE_KEY_PROPERTY = "String {6f3c5b2e-8d4a-4e57-9a43-3c1f0d2b7e61} Name micromentorMessageKey"


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    html: str
    key: str  # unique per message: stamped on it, so a copy in Sent Items proves it went out
    language: str = "en"


@dataclass(frozen=True, slots=True)
class SentCopy:
    """A message found in Sent Items; `sent_at` is its `sentDateTime` (None if Graph left it out)."""

    sent_at: datetime | None


def _quoted(text: str) -> str:
    return text.replace("'", "''")


class MailCalls(GraphBase):
    async def send_mail(self, sender: str, mail: OutgoingMail) -> None:
        """POST /users/{sender}/sendMail once. Raises GraphError; a `GraphUnavailable` without a status
        (the connection broke) means "unknown": the mail may or may not have been accepted."""
        message = Message(
            subject=mail.subject,
            body=ItemBody(content_type=BodyType.Html, content=mail.html),
            to_recipients=[Recipient(email_address=EmailAddress(address=mail.to))],
            single_value_extended_properties=[
                SingleValueLegacyExtendedProperty(id=MESSAGE_KEY_PROPERTY, value=mail.key)
            ],
        )
        body = SendMailPostRequestBody(message=message, save_to_sent_items=True)
        info = self._client.users.by_user_id(sender).send_mail.to_post_request_information(body)
        # Tried once: never resent by the retry layer; the outbox decides after a lookup.
        await self._post_once(f"POST /users/{sender}/sendMail", info)

    async def was_sent(self, sender: str, key: str) -> bool:
        """Whether a message stamped with `key` is in the sender's Sent Items (needs Mail.Read)."""
        return await self.sent_copy(sender, key) is not None

    async def sent_copy(self, sender: str, key: str) -> SentCopy | None:
        """The sender's Sent Items copy of the message stamped with `key` (needs Mail.Read), None when
        there is none (yet: Exchange files it after transport took the message)."""
        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            filter=(
                f"singleValueExtendedProperties/Any(ep: ep/id eq '{_quoted(MESSAGE_KEY_PROPERTY)}' "
                f"and ep/value eq '{_quoted(key)}')"
            ),
            select=["id", "sentDateTime"],
            top=1,
        )
        builder = self._client.users.by_user_id(sender).mail_folders.by_mail_folder_id("sentitems").messages
        found = await self._json(
            f"GET /users/{sender}/mailFolders/sentitems/messages", builder.to_get_request_information(_config(query))
        )
        copies = found.get("value") or []
        if not copies:
            return None
        stamp = copies[0].get("sentDateTime")
        return SentCopy(parse_graph_datetime(stamp, UTC) if isinstance(stamp, str) and stamp else None)

    async def probe_send(self, sender: str) -> str | None:
        """Whether the app may send as `sender`, without sending anything (`micromentor doctor`): sendMail
        with a message that has no recipients and `saveToSentItems` false. Graph checks the caller's access
        to the mailbox before the message (a mailbox the app may not use answers 403 `ErrorAccessDenied`,
        raised here as GraphAuthError); a permitted caller gets 400 `ErrorInvalidRecipients` ("A message
        can't be sent because it contains no recipients."), whose code is returned. None: Graph accepted a
        message without recipients, which it does not. Tried once."""
        body = SendMailPostRequestBody(message=Message(subject="micromentor doctor"), save_to_sent_items=False)
        info = self._client.users.by_user_id(sender).send_mail.to_post_request_information(body)
        try:
            await self._post_once(f"POST /users/{sender}/sendMail (doctor probe, no recipients)", info)
        except GraphRequestError as exc:
            return exc.code or str(exc.status)
        return None

    async def _post_once(self, what: str, info: RequestInformation) -> None:
        """Send a request with no answer body once, through the SDK's pipeline (a 401 refreshes the token)."""

        async def send() -> None:
            if info.headers.contains("Authorization"):
                info.headers.remove("Authorization")
            adapter: Any = self._client.request_adapter
            await adapter.send_no_response_content_async(info, {"XXX": ODataError})

        with graph_span(what):
            await call_graph(what, send, attempts=1, on_unauthorized=self._tokens.refresh)
