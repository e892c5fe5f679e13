"""The tenant's mutable state behind one re-entrant lock: users, calendars, online meetings, attendance,
subscriptions and the change sequence that delta queries read.

Calendars are indexed by user and by event id, so a request costs O(events of that user)."""

from __future__ import annotations

import bisect
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator import ids
from emulator.access import AccessRules, parse_access_rules
from emulator.bodies import html_body, stored_body, with_join_block
from emulator.errors import GraphError, bad_request, item_not_found
from emulator.mail import MailFolders
from emulator.model import App, AttendanceReport, Event, OnlineMeeting, Subscription, User
from emulator.occurrences import Occurrence, expand, instance_at, single, split_occurrence_id
from emulator.seed import Seed, UserSpec
from emulator.timeutil import DateTimeZone, utc_stamp

__all__ = ["ChangeListener", "TenantState"]

ChangeListener = Callable[[str, str, Event], None]  # (user id, "created"|"updated"|"deleted", event)

_PERSONAL_FIELDS = ("categories", "show_as", "is_reminder_on", "reminder_minutes", "sensitivity")


class TenantState:
    """Everything the emulator knows; all public methods are thread-safe (callers may also hold `lock`)."""

    def __init__(self, seed: Seed) -> None:
        self.lock = threading.RLock()
        self.tenant_id = seed.tenant_id
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self._keys: dict[str, str] = {}
        self._smtp: dict[str, str] = {}  # SMTP address (lower case) → user id
        self.calendars: dict[str, dict[str, Event]] = {}
        self.tombstones: dict[str, dict[str, Event]] = {}
        self.meetings: dict[str, OnlineMeeting] = {}
        self._meetings_by_url: dict[str, str] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.transactions: dict[tuple[str, str], str] = {}
        self.cancel_comments: dict[str, str] = {}
        # Per-user index of single events by start, plus the series, so a window costs O(events in it).
        self._by_start: dict[str, list[tuple[datetime, str]]] = {}
        self._series: dict[str, set[str]] = {}
        self._longest: dict[str, timedelta] = {}
        self.seq = 0
        self.token_lifetime = 3600
        self.latency_ms = 0
        self.listeners: list[ChangeListener] = []
        for app in seed.apps:
            self.add_app(app.client_id, app.client_secret, app.roles)
        for spec in seed.users:
            self.add_user(spec)
        # A seed without apps stands for micromentor deployed as its README says, policy granted to all;
        # a seed that declares its apps gets only what it declares (emulator/README.md).
        self.access = AccessRules(policy_global=not seed.apps_declared)
        self.access.update(parse_access_rules(seed.emulator, "emulator", self.user_id_of))
        self.resend_returns_event = False  # a create resent with a used transactionId: 409, or the first event
        self.free_busy_working_hours = "mailbox"  # getSchedule's workingHours form (emulator/freebusy.py)
        self.delta_generation = 0  # delta and skip tokens of an older generation have expired
        self.delta_expire_after: int | None = None  # delta pages still to serve before the tokens expire
        self.mail = MailFolders()  # sendMail's Sent Items (emulator/mail.py)

    # ---- directory -------------------------------------------------------------------------------------

    def add_app(self, client_id: str, secret: str | None, roles: list[str] | None) -> App:
        with self.lock:
            app = App(client_id, secret, roles, str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{client_id}")))
            self.apps[client_id] = app
            return app

    def add_user(self, spec: UserSpec) -> User:
        with self.lock:
            for key in (spec.upn, spec.mail, spec.id or ""):
                if key and key.lower() in self._keys:
                    raise ValueError(f"a user with {key!r} already exists")
            user = User(spec.id or ids.new_guid(), spec.upn, spec.mail, spec.display_name, spec.extra,
                        spec.mailbox_settings)
            self.users[user.id] = user
            for key in (user.id, user.upn, user.mail):
                self._keys[key.lower()] = user.id
            for address in user.smtp_addresses:
                self._smtp[address] = user.id
            self.calendars[user.id] = {}
            self.tombstones[user.id] = {}
            self._by_start[user.id] = []
            self._series[user.id] = set()
            self._longest[user.id] = timedelta(0)
            for fields in spec.events:
                self.create_event(user, fields, from_seed=True)
            return user

    def user_id_of(self, key: str) -> str | None:
        user = self.find_user(key)
        return user.id if user is not None else None

    def find_directory_user(self, key: str) -> User | None:
        """A user as `GET /users/{id | userPrincipalName}` finds one (resources/user.md): not by mail, which
        reaches a user only through `$filter` (a guest's mail is not their `#EXT#` UPN)."""
        user = self.find_user(key)
        if user is None or key.strip().lower() not in (user.id.lower(), user.upn.lower()):
            return None
        return user

    def find_mailbox(self, address: str) -> User | None:
        """A user by an SMTP address (mail or an smtp proxy address): what getSchedule's `schedules` and
        attendee addresses are (api/calendar-getschedule.md: "SMTP addresses"). A user principal name
        that is not also one of them resolves to nobody, as in Exchange."""
        with self.lock:
            user_id = self._smtp.get(address.strip().lower())
            return self.users.get(user_id) if user_id else None

    def find_user(self, key: str) -> User | None:
        with self.lock:
            user_id = self._keys.get(key.strip().lower())
            return self.users.get(user_id) if user_id else None

    # ---- change tracking -------------------------------------------------------------------------------

    def _touch(self, event: Event, change: str, now: datetime | None = None) -> None:
        self.seq += 1
        event.seq = self.seq
        event.last_modified = now or datetime.now(UTC)
        event.change_key = ids.new_change_key()
        for listener in list(self.listeners):
            listener(event.owner_id, change, event)

    def _index(self, event: Event) -> None:
        owner = event.owner_id
        if event.recurrence is not None:
            self._series[owner].add(event.id)
            return
        bisect.insort(self._by_start[owner], (event.start, event.id))
        self._longest[owner] = max(self._longest[owner], event.end - event.start)

    def _unindex(self, event: Event) -> None:
        owner = event.owner_id
        self._series[owner].discard(event.id)
        starts = self._by_start[owner]
        at = bisect.bisect_left(starts, (event.start, event.id))
        if at < len(starts) and starts[at] == (event.start, event.id):
            del starts[at]

    def _store(self, event: Event) -> None:
        self.calendars[event.owner_id][event.id] = event
        self._index(event)

    def _remove(self, event: Event) -> None:
        calendar = self.calendars[event.owner_id]
        if calendar.pop(event.id, None) is not None:
            self._unindex(event)
        self._touch(event, "deleted")
        self.tombstones[event.owner_id][event.id] = event

    # ---- reading ---------------------------------------------------------------------------------------

    def events_of(self, user: User) -> list[Event]:
        with self.lock:
            return list(self.calendars[user.id].values())

    def view(self, user: User, start: datetime, end: datetime) -> list[Occurrence]:
        """calendarView: instances overlapping [start, end), ordered by start."""
        with self.lock:
            calendar = self.calendars[user.id]
            starts = self._by_start[user.id]
            first = bisect.bisect_left(starts, (start - self._longest[user.id], ""))
            last = bisect.bisect_left(starts, (end, ""))
            found: list[Occurrence] = []
            for _, event_id in starts[first:last]:
                found.extend(expand(calendar[event_id], start, end))
            for event_id in self._series[user.id]:
                found.extend(expand(calendar[event_id], start, end))
            found.sort(key=lambda o: (o.start, o.end, o.id))
            return found

    def lookup(self, user: User, event_id: str) -> Occurrence:
        """An event or one occurrence of a series, by id; 404 ErrorItemNotFound otherwise."""
        with self.lock:
            event = self.calendars[user.id].get(event_id)
            if event is not None:
                return single(event)
            parts = split_occurrence_id(event_id)
            if parts is not None:
                master = self.calendars[user.id].get(parts[0])
                if master is not None and master.recurrence is not None:
                    found = instance_at(master, parts[1])
                    if found is not None:
                        return found
            raise item_not_found()

    # ---- creating --------------------------------------------------------------------------------------

    def create_event(self, owner: User, fields: dict[str, Any], from_seed: bool = False) -> tuple[Event, bool]:
        """A new event on the owner's calendar (and attendee copies); (event, False) for a repeated transactionId."""
        with self.lock:
            tx = fields.get("transaction_id")
            if tx and not from_seed:
                existing_id = self.transactions.get((owner.id, tx))
                existing = self.calendars[owner.id].get(existing_id or "")
                if existing is not None:
                    return existing, False
            now = datetime.now(UTC)
            start: DateTimeZone = fields["start"]
            end: DateTimeZone = fields["end"]
            organizer = fields.get("organizer") or {
                "emailAddress": {"name": owner.display_name, "address": owner.mail}
            }
            org_address = organizer["emailAddress"]["address"].lower()
            is_organizer = org_address in (owner.mail.lower(), owner.upn.lower())
            event_id = str(fields["id"]) if from_seed and fields.get("id") else ids.new_event_id()
            if event_id in self.calendars[owner.id]:
                raise bad_request(f"an event with id {event_id!r} already exists")
            response = fields.get("response") or ("organizer" if is_organizer else "notResponded")
            attendees = [dict(a, status=dict(a["status"])) for a in fields.get("attendees", [])]
            event = Event(
                id=event_id,
                owner_id=owner.id,
                subject=fields.get("subject", ""),
                body_type="html",
                body_content=stored_body(fields.get("body_type", "html"), fields.get("body_content", "")),
                start=start.at,
                end=end.at,
                start_zone=start.zone,
                start_zone_name=start.name,
                end_zone_name=end.name,
                is_all_day=fields.get("is_all_day", False),
                show_as=fields.get("show_as", "busy"),
                categories=list(fields.get("categories", [])),
                location=fields.get("location") or {"displayName": "", "locationType": "default",
                                                     "uniqueIdType": "unknown", "address": {}, "coordinates": {}},
                attendees=attendees,
                organizer=organizer,
                is_organizer=is_organizer,
                response=response,
                response_time=None,
                ical_uid=fields.get("ical_uid") or ids.new_ical_uid(),
                created=now,
                last_modified=now,
                change_key=ids.new_change_key(),
                is_cancelled=fields.get("is_cancelled", False),
                sensitivity=fields.get("sensitivity", "normal"),
                importance=fields.get("importance", "normal"),
                reminder_minutes=fields.get("reminder_minutes", 15),
                is_reminder_on=fields.get("is_reminder_on", True),
                allow_new_time_proposals=fields.get("allow_new_time_proposals", True),
                response_requested=fields.get("response_requested", True),
                transaction_id=tx,
                recurrence=fields.get("recurrence"),
                recurrence_json=fields.get("recurrence_json"),
            )
            if fields.get("is_online_meeting"):
                provider = fields.get("online_meeting_provider", "unknown")
                self._make_online(event, owner, "teamsForBusiness" if provider == "unknown" else provider)
            self._store(event)
            if tx:
                self.transactions[(owner.id, tx)] = event.id
            self._touch(event, "created", now)
            if is_organizer and not from_seed:
                for attendee in attendees:
                    self._invite(event, attendee["emailAddress"]["address"])
            return event, True

    def _make_online(self, event: Event, owner: User, provider: str) -> None:
        if provider == "teamsForBusiness" and not self.access.has_teams(owner.id):
            # docs-contrib #4625 / #4627: a mailbox that cannot host Teams meetings gets a 201 with
            # isOnlineMeeting false, provider "unknown" and no onlineMeeting; nothing says why.
            return
        event.is_online_meeting = True
        event.online_meeting_provider = provider
        if provider != "teamsForBusiness":
            return
        organizer = self.find_user(event.organizer["emailAddress"]["address"]) or owner
        meeting_id, thread, join_url = ids.new_meeting_parts(self.tenant_id, organizer.id)
        meeting = OnlineMeeting(
            id=meeting_id,
            organizer_id=organizer.id,
            join_url=join_url,
            join_meeting_id=ids.digits(12),
            thread_id=thread,
            subject=event.subject or None,
            start=event.start,
            end=event.end,
            created=datetime.now(UTC),
        )
        for attendee in event.attendees:
            user = self.find_mailbox(attendee["emailAddress"]["address"])
            if user is not None and user.id != organizer.id:
                meeting.attendee_ids.append(user.id)
        meeting.event_ids.add(event.id)
        self.meetings[meeting.id] = meeting
        self._meetings_by_url[join_url] = meeting.id
        event.meeting_id = meeting.id
        event.online_meeting = {"joinUrl": join_url, "conferenceId": ids.digits(9), "tollNumber": "+1 425 555 0123"}
        event.body_content = with_join_block(html_body("html", event.body_content), join_url)

    def _invite(self, master: Event, address: str) -> None:
        """The attendee's own copy of a meeting: same iCalUId, tentative until they respond."""
        user = self.find_mailbox(address)
        if user is None or user.id == master.owner_id or user.id in master.copies:
            return
        now = datetime.now(UTC)
        copy = Event(
            id=ids.new_event_id(),
            owner_id=user.id,
            subject=master.subject,
            body_type=master.body_type,
            body_content=master.body_content,
            start=master.start,
            end=master.end,
            start_zone=master.start_zone,
            start_zone_name=master.start_zone_name,
            end_zone_name=master.end_zone_name,
            is_all_day=master.is_all_day,
            # Exchange adds new meeting requests to the invitee's calendar as tentative.
            show_as="tentative",
            categories=[],
            location=dict(master.location),
            attendees=[dict(a, status=dict(a["status"])) for a in master.attendees],
            organizer=master.organizer,
            is_organizer=False,
            response="notResponded",
            response_time=None,
            ical_uid=master.ical_uid,
            created=now,
            last_modified=now,
            change_key=ids.new_change_key(),
            sensitivity=master.sensitivity,
            importance=master.importance,
            allow_new_time_proposals=master.allow_new_time_proposals,
            response_requested=master.response_requested,
            is_online_meeting=master.is_online_meeting,
            online_meeting_provider=master.online_meeting_provider,
            online_meeting=dict(master.online_meeting) if master.online_meeting else None,
            meeting_id=master.meeting_id,
            recurrence=master.recurrence,
            recurrence_json=master.recurrence_json,
            source=(master.owner_id, master.id),
        )
        copy.removed_starts = set(master.removed_starts)
        self._store(copy)
        master.copies[user.id] = copy.id
        if master.meeting_id and master.meeting_id in self.meetings:
            meeting = self.meetings[master.meeting_id]
            meeting.event_ids.add(copy.id)
            if user.id not in meeting.attendee_ids:
                meeting.attendee_ids.append(user.id)
        self._touch(copy, "created", now)

    def _copies(self, master: Event) -> Iterable[Event]:
        for user_id, copy_id in list(master.copies.items()):
            copy = self.calendars.get(user_id, {}).get(copy_id)
            if copy is not None:
                yield copy

    # ---- updating --------------------------------------------------------------------------------------

    def update_event(self, owner: User, event_id: str, fields: dict[str, Any]) -> Event:
        with self.lock:
            event = self.calendars[owner.id].get(event_id)
            if event is None:
                self.lookup(owner, event_id)  # 404 when it does not exist at all
                raise bad_request("The emulator cannot edit a single occurrence of a series; edit the series.")
            if "transaction_id" in fields and fields["transaction_id"] != event.transaction_id:
                raise bad_request("The transactionId of an event cannot be changed.")
            if not event.is_organizer:
                for name in _PERSONAL_FIELDS:
                    if name in fields:
                        setattr(event, name, fields[name])
                self._touch(event, "updated")
                return event
            # api/event-update.md: "An event update that includes only the attendees property in the
            # request body sends a meeting update to only the attendees that have changed." So those who
            # stay get nothing: their copies are left as they were (not even their attendee lists).
            only_attendees = set(fields) == {"attendees"}
            before = {a["emailAddress"]["address"].lower() for a in event.attendees}
            self._unindex(event)
            try:
                moved = self._apply(event, fields)
            finally:
                self._index(event)
            if fields.get("is_online_meeting") and not event.is_online_meeting:
                provider = fields.get("online_meeting_provider", "unknown")
                self._make_online(event, owner, "teamsForBusiness" if provider == "unknown" else provider)
            if moved:
                # A new time needs new answers: Exchange resets attendees' responses.
                for attendee in event.attendees:
                    attendee["status"] = {"response": "none", "time": "0001-01-01T00:00:00Z"}
            meeting = self.meetings.get(event.meeting_id or "")
            if meeting is not None:
                meeting.start, meeting.end = event.start, event.end
                meeting.subject = event.subject or None
            self._touch(event, "updated")
            if "attendees" in fields:
                wanted = {a["emailAddress"]["address"].lower() for a in event.attendees}
                for user_id in list(event.copies):
                    user = self.users.get(user_id)
                    if user is not None and not set(user.smtp_addresses) & wanted:
                        copy = self.calendars[user_id].get(event.copies.pop(user_id))
                        if copy is not None:
                            copy.is_cancelled = True
                            self._touch(copy, "updated")
                for attendee in event.attendees:
                    self._invite(event, attendee["emailAddress"]["address"])
            for copy in self._copies(event):
                owner_user = self.users.get(copy.owner_id)
                stayed = owner_user is not None and bool(set(owner_user.smtp_addresses) & before)
                if only_attendees and stayed:
                    continue
                self._sync_copy(event, copy, moved)
            return event

    def _apply(self, event: Event, fields: dict[str, Any]) -> bool:
        old = (event.start, event.end, event.recurrence)
        if "start" in fields:
            start: DateTimeZone = fields["start"]
            event.start, event.start_zone, event.start_zone_name = start.at, start.zone, start.name
        if "end" in fields:
            end: DateTimeZone = fields["end"]
            event.end, event.end_zone_name = end.at, end.name
        if event.end < event.start:
            event.start, event.end = old[0], old[1]
            raise bad_request("The end of the event is before its start.")
        if "body_content" in fields:
            event.body_content = stored_body(fields.get("body_type", "html"), fields["body_content"])
        for name in ("subject", "show_as", "is_all_day", "categories", "location",
                     "sensitivity", "importance", "reminder_minutes", "is_reminder_on",
                     "allow_new_time_proposals", "response_requested", "recurrence", "recurrence_json"):
            if name in fields:
                setattr(event, name, fields[name])
        if "attendees" in fields:
            previous = {a["emailAddress"]["address"].lower(): a["status"] for a in event.attendees}
            event.attendees = [
                dict(a, status=dict(previous.get(a["emailAddress"]["address"].lower(), a["status"])))
                for a in fields["attendees"]
            ]
        return (event.start, event.end, event.recurrence) != old

    def _sync_copy(self, master: Event, copy: Event, moved: bool) -> None:
        self._unindex(copy)
        for name in ("subject", "body_type", "body_content", "start", "end", "start_zone", "start_zone_name",
                     "end_zone_name", "is_all_day", "location", "sensitivity", "importance",
                     "allow_new_time_proposals", "is_online_meeting", "online_meeting_provider", "meeting_id",
                     "recurrence", "recurrence_json"):
            setattr(copy, name, getattr(master, name))
        copy.online_meeting = dict(master.online_meeting) if master.online_meeting else None
        copy.attendees = [dict(a, status=dict(a["status"])) for a in master.attendees]
        copy.is_cancelled = master.is_cancelled
        if moved:
            copy.response, copy.response_time, copy.show_as = "notResponded", None, "tentative"
        self._index(copy)
        self._touch(copy, "updated")

    # ---- deleting, cancelling, responding -------------------------------------------------------------

    def delete_event(self, owner: User, event_id: str, comment: str | None = None) -> None:
        """DELETE (or cancel): organizers' deletes cancel the meeting for attendees."""
        with self.lock:
            found = self.lookup(owner, event_id)
            event = found.event
            if found.kind == "occurrence":
                event.removed_starts.add(found.start)
                self._touch(event, "updated")
                if event.is_organizer:
                    for copy in self._copies(event):
                        copy.cancelled_starts.add(found.start)
                        self._touch(copy, "updated")
                return
            if event.is_organizer:
                for copy in self._copies(event):
                    copy.is_cancelled = True
                    if comment:
                        self.cancel_comments[copy.id] = comment
                    self._touch(copy, "updated")
            elif event.source is not None:
                master = self.calendars.get(event.source[0], {}).get(event.source[1])
                if master is not None:
                    master.copies.pop(owner.id, None)
            self._remove(event)

    def cancel_event(self, owner: User, event_id: str, comment: str | None) -> None:
        with self.lock:
            found = self.lookup(owner, event_id)
            if not found.event.is_organizer:
                raise GraphError(400, "ErrorInvalidRequest",
                                 "Your request can't be completed. You need to be an organizer to cancel a meeting.")
            self.delete_event(owner, event_id, comment)

    def respond(self, owner: User, event_id: str, response: str, send_response: bool,
                proposed: dict[str, Any] | None) -> None:
        """accept / tentativelyAccept / decline by an attendee on their copy."""
        with self.lock:
            found = self.lookup(owner, event_id)
            copy = found.event
            if copy.is_organizer:
                raise GraphError(400, "ErrorInvalidRequest",
                                 "Your request can't be completed. You can't respond to a meeting you organized.")
            if proposed is not None:
                if not copy.allow_new_time_proposals:
                    raise GraphError(400, "ErrorInvalidRequest",
                                     "The organizer of this meeting doesn't allow new time proposals.")
                if not send_response:
                    raise GraphError(400, "ErrorInvalidRequest",
                                     "A new time can be proposed only when sendResponse is true.")
            now = datetime.now(UTC)
            copy.response, copy.response_time = response, now
            master = None
            if copy.source is not None:
                master = self.calendars.get(copy.source[0], {}).get(copy.source[1])
            if response == "declined":
                # Declined meetings leave the invitee's calendar (Outlook moves them to Deleted Items).
                if master is not None:
                    master.copies.pop(owner.id, None)
                self._remove(copy)
            else:
                copy.show_as = "tentative" if response == "tentativelyAccepted" else (
                    master.show_as if master is not None else "busy")
                self._touch(copy, "updated", now)
            if master is None or not send_response:
                return
            addresses = set(owner.smtp_addresses)
            for attendee in master.attendees:
                if attendee["emailAddress"]["address"].lower() in addresses:
                    attendee["status"] = {"response": response, "time": utc_stamp(now)}
            self._touch(master, "updated", now)

    # ---- online meetings and attendance ----------------------------------------------------------------

    def meeting_by_url(self, join_url: str) -> OnlineMeeting | None:
        """By the exact join URL, as Graph matches `JoinWebUrl eq '…'` after the one decoding of the query
        string (api/onlinemeeting-get.md, example 3): no further decoding, no case folding."""
        with self.lock:
            meeting_id = self._meetings_by_url.get(join_url)
            return self.meetings.get(meeting_id or "")

    def add_report(self, meeting: OnlineMeeting, report: AttendanceReport) -> None:
        with self.lock:
            meeting.reports.append(report)

    # ---- subscriptions ---------------------------------------------------------------------------------

    def add_subscription(self, subscription: Subscription) -> None:
        with self.lock:
            self.subscriptions[subscription.id] = subscription
