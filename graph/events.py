"""Event writes (Teams meetings, cancel) and change-notification subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from msgraph.generated.models.attendee import Attendee as GraphAttendee
from msgraph.generated.models.attendee_type import AttendeeType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType
from msgraph.generated.models.subscription import Subscription
from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import CancelPostRequestBody

from graph.base import (
    _UTC_PREFER,
    _config,
    _local_moment,
)
from graph.calendar import CalendarCalls
from graph.errors import GraphNotFound, GraphRequestError
from graph.mapping import event_snapshot
from graph.timezones import windows_name
from graph.values import (
    EventDraft,
    EventSnapshot,
)

__all__ = ["EventCalls"]


class EventCalls(CalendarCalls):
    async def create_event(self, organizer: str, draft: EventDraft) -> EventSnapshot:
        """A Teams meeting on the organizer's calendar; `transactionId` makes a resend harmless."""
        event = Event(
            subject=draft.subject,
            body=ItemBody(content_type=BodyType.Html, content=draft.body_html),
            # In the organizer's own zone, as Outlook would write it: other schedulers that created
            # events in UTC showed invites and reminders in the wrong zone in some clients.
            start=_local_moment(draft.start, windows_name(draft.zone)),
            end=_local_moment(draft.end, windows_name(draft.zone)),
            attendees=[
                GraphAttendee(
                    email_address=EmailAddress(address=self._smtp(address), name=name), type=AttendeeType.Required
                )
                for address, name in draft.attendees
            ],
            categories=list(draft.categories),
            is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            allow_new_time_proposals=draft.allow_new_time_proposals,
            is_reminder_on=True,
            reminder_minutes_before_start=draft.reminder_minutes,
            transaction_id=draft.transaction_id,
        )
        builder = self._client.users.by_user_id(organizer).events
        try:
            created = await self._json(
                "POST event", builder.to_post_request_information(event, _config(prefer=[_UTC_PREFER]))
            )
        except GraphRequestError:
            # A create resent after a dropped connection may be refused because the first one got
            # through: what Graph answers a reused transactionId is not documented (resources/event.md).
            # Look before giving up, so that a meeting that exists is never reported as not made.
            made = await self.find_event_by_transaction(
                organizer, draft.start - timedelta(days=1), draft.end + timedelta(days=1), draft.transaction_id
            )
            if made is None:
                raise
            return made
        if not created.get("id"):
            raise GraphRequestError("POST event: Graph returned no event")
        return event_snapshot(created)

    async def get_event(self, organizer: str, event_id: str) -> EventSnapshot | None:
        builder = self._client.users.by_user_id(organizer).events.by_event_id(event_id)
        try:
            event = await self._json("GET event", builder.to_get_request_information(_config(prefer=[_UTC_PREFER])))
        except GraphNotFound:
            return None
        return event_snapshot(event) if event.get("id") else None

    async def set_attendees(
        self, organizer: str, event_id: str, attendees: Sequence[tuple[str, str]]
    ) -> EventSnapshot:
        """PATCH the event with the whole `attendees` collection (address, name), all required.

        Graph replaces the collection, and a PATCH holding only `attendees` sends a meeting update to
        the attendees that changed alone (api-reference/v1.0/api/event-update.md): those added get the
        invitation, those left out are removed; the others hear nothing. So the body holds `attendees` and
        nothing else: reports of everyone getting mail (msgraph-sdk-dotnet#1996) came from PATCHes that also
        set location/recurrence (docs/group-sessions.md)."""
        event = Event(
            attendees=[
                GraphAttendee(
                    email_address=EmailAddress(address=self._smtp(address), name=name), type=AttendeeType.Required
                )
                for address, name in attendees
            ]
        )
        builder = self._client.users.by_user_id(organizer).events.by_event_id(event_id)
        info = builder.to_patch_request_information(event, _config(prefer=[_UTC_PREFER]))
        return event_snapshot(await self._json("PATCH event attendees", info))

    def smtp_address(self, user: str) -> str:
        """The address a user is invited at (their mail, once looked up), lower-cased."""
        return self._smtp(user).lower()

    async def cancel_event(self, organizer: str, event_id: str, comment: str) -> None:
        builder = self._client.users.by_user_id(organizer).events.by_event_id(event_id).cancel
        await self._call("POST event cancel", lambda: builder.post(CancelPostRequestBody(comment=comment)))

    async def subscribe_to_events(
        self, user: str, notification_url: str, client_state: str, expires: datetime
    ) -> tuple[str, datetime]:
        """Subscribe to changes of a user's events; Graph validates `notification_url` before answering."""
        subscription = Subscription(
            change_type="created,updated,deleted",
            notification_url=notification_url,
            lifecycle_notification_url=notification_url,
            resource=f"users/{user}/events",
            expiration_date_time=expires,
            client_state=client_state,
        )
        created = await self._call("POST subscription", lambda: self._client.subscriptions.post(subscription))
        if created is None or not created.id:
            raise GraphRequestError("POST subscription: Graph returned no subscription")
        return str(created.id), created.expiration_date_time or expires

    async def renew_subscription(self, subscription_id: str, expires: datetime) -> datetime:
        builder = self._client.subscriptions.by_subscription_id(subscription_id)
        renewed = await self._call(
            "PATCH subscription", lambda: builder.patch(Subscription(expiration_date_time=expires))
        )
        return (renewed.expiration_date_time if renewed else None) or expires
