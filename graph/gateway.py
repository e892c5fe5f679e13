"""The Graph port: typed Microsoft Graph calls micromentor needs, through msgraph-sdk and one retry layer."""

from __future__ import annotations

from graph.base import SCHEDULES_PER_REQUEST, chunked
from graph.calendar import CalendarCalls
from graph.directory import DirectoryCalls
from graph.events import EventCalls
from graph.mail import MailCalls
from graph.meetings import MeetingCalls

__all__ = ["SCHEDULES_PER_REQUEST", "GraphGateway", "chunked"]


class GraphGateway(DirectoryCalls, EventCalls, CalendarCalls, MeetingCalls, MailCalls):
    """One instance per process (it caches tokens, users and mailboxes), safe for concurrent calls."""
