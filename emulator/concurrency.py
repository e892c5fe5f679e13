"""Outlook's concurrency limit per app: at most 4 requests of one app run at once in Outlook, whichever
mailboxes they target; one more is refused with 429 ApplicationThrottled "Application is over its
MailboxConcurrency limit." Sources: DC `concepts/throttling-limits.md`, "Outlook service limits" ->
"Limits per app ID": "Outlook can execute up to 4 concurrent requests ... regardless of whether the
requests all access the same mailbox, or access different mailboxes" (the older text, "evaluated for each
app ID and mailbox combination", was corrected by docs-contrib PR #9428, "Throttling is per
application"); the code and message as tenants report them (alcionai/corso#3695,
magodo/terraform-provider-outlook#21: 429, not 503). Items of a `$batch` count one by one: Graph hands
them to Outlook as separate requests, up to 4 at a time "irrespective of the target mailbox" (same page,
"Outlook service limits for JSON batching").

Which requests are Outlook's: the page's "Outlook service resources" table lists event, calendar,
calendarGroup, message, mailFolder, attachment, contact, person, photo, outlookTask... So every route the
emulator serves below `/users/{user}/` but onlineMeetings counts against the app's four (events,
calendarView, calendar/getSchedule, mailboxSettings, sendMail, mailFolders/messages; mailboxSettings is not
in the table but is read from the mailbox: counted, strict), keyed "<appId>|outlook".

Teams' `onlineMeetings` and their attendance reports are not Outlook resources and no doc gives them a
concurrency limit (the page's Cloud communication limits count meetings a month, not requests at once).
The emulator's own, strict choice: at most 4 at once per app and organizer, keyed
"<appId>|onlineMeetings|<userId>", refused like Outlook's (429, Retry-After 1). One `limit` serves both.
The gate also records the most requests it saw at once per key, and per app over all its gates
("appPeak"), so a test can prove a client never went over, and how many it ran at once in all."""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["DEFAULT_LIMIT", "MailboxGate"]

DEFAULT_LIMIT = 4


class MailboxGate:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._lock = threading.Lock()
        self.limit = limit  # 0: not enforced (the counts are still kept)
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._app_in_flight: Counter[str] = Counter()  # every gate of an app together ("<appId>|..." keys)
        self._app_peak: Counter[str] = Counter()
        self.refused = 0

    def enter(self, key: str) -> bool:
        """Count a request in; False (and not counted) when its gate already runs `limit` of them."""
        app = key.split("|", 1)[0]
        with self._lock:
            if self.limit and self._in_flight[key] >= self.limit:
                self.refused += 1
                return False
            self._in_flight[key] += 1
            self._peak[key] = max(self._peak[key], self._in_flight[key])
            self._app_in_flight[app] += 1
            self._app_peak[app] = max(self._app_peak[app], self._app_in_flight[app])
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]
            self._app_in_flight[key.split("|", 1)[0]] -= 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"limit": self.limit, "peak": dict(self._peak), "appPeak": dict(self._app_peak),
                    "refused": self.refused}

    def reset(self) -> None:
        with self._lock:
            self._peak.clear()
            self._app_peak.clear()
            self.refused = 0
