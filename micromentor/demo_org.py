"""The demo organisation: about thirty people of a hybrid company, as a Graph emulator seed.

Mentors and mentees sit in a dozen time zones on purpose: India (+05:30) and Nepal (+05:45) for the
half-hour and quarter-hour offsets, Sydney for a southern-hemisphere DST zone, US and EU zones whose
clocks change a week apart (EU on 25 Oct 2026, US on 1 Nov 2026). Mailbox zones are written as Graph
returns them (Windows names) for some people and as IANA names for others; one person's working hours
use a Graph `customTimeZone`; three work Sunday to Thursday. Calendars hold recurring stand-ups, focus
holds shown as free, tentative invitations, ordinary meetings and the odd day out of office.

Everything is derived from a seeded `random.Random`, so one (start, weeks, seed) gives one seed file.
`DemoOrg.from_seed` reads any seed back (mentors are the users whose `jobTitle` says "mentor").
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from core.errors import InputError
from graph.timezones import UnknownTimeZone, zone_from_graph, zone_from_name

__all__ = [
    "DEMO_TENANT_ID",
    "DemoOrg",
    "DemoPerson",
    "available_windows",
    "build_demo_org",
    "overlap_minutes",
]

DEMO_TENANT_ID = "d3e0d3e0-0000-4000-8000-00000000d3e0"
DOMAIN = "fabrikam.example"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MON_FRI = WEEKDAYS[:5]
SUN_THU = ("sunday", "monday", "tuesday", "wednesday", "thursday")
DAY_WINDOW = (time(8, 0), time(18, 0))  # policy.md's default day_start / day_end, for mentor matching only
_MENTOR_TITLE = re.compile(r"\bmentor\b", re.IGNORECASE)

# Central Europe as Outlook exports a customised zone: UTC+1, daylight -60 min from the last Sunday of
# March 02:00 to the last Sunday of October 03:00 (Graph's customTimeZone shape).
CUSTOM_CENTRAL_EUROPE: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.customTimeZone",
    "name": "Customized Time Zone",
    "bias": -60,
    "standardOffset": {"time": "03:00:00.0000000", "dayOccurrence": 5, "dayOfWeek": "sunday", "month": 10, "year": 0},
    "daylightOffset": {
        "daylightBias": -60,
        "time": "02:00:00.0000000",
        "dayOccurrence": 5,
        "dayOfWeek": "sunday",
        "month": 3,
        "year": 0,
    },
}


@dataclass(frozen=True, slots=True)
class DemoPerson:
    upn: str
    display_name: str
    role: str  # "mentor" or "mentee"
    department: str
    office: str
    zone_name: str  # mailboxSettings.timeZone as written in the seed (Windows or IANA name)
    hours_zone: Mapping[str, Any]  # workingHours.timeZone: {"name": …} or a customTimeZone
    days: tuple[str, ...]
    start: time
    end: time
    skills: tuple[str, ...] = ()  # a mentor's skills, a mentee's interests; () = anything

    @property
    def tz(self) -> tzinfo:
        return zone_from_name(self.zone_name)

    @property
    def hours_tz(self) -> tzinfo:
        return zone_from_graph(dict(self.hours_zone), self.tz)


@dataclass(frozen=True)
class DemoOrg:
    seed: dict[str, Any]
    people: tuple[DemoPerson, ...]
    by_upn: dict[str, DemoPerson] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_upn", {p.upn.lower(): p for p in self.people})

    @property
    def mentors(self) -> tuple[DemoPerson, ...]:
        return tuple(p for p in self.people if p.role == "mentor")

    @property
    def mentees(self) -> tuple[DemoPerson, ...]:
        return tuple(p for p in self.people if p.role == "mentee")

    def zones(self) -> dict[str, tzinfo]:
        """The organisation's distinct time zones, by behaviour (the same offsets all year), each named by
        every name the seed uses for it: "Asia/Kolkata, India Standard Time" is one zone."""
        groups: dict[tuple[timedelta | None, ...], tuple[list[str], tzinfo]] = {}
        for person in self.people:
            named = [(person.zone_name, person.tz)]
            if "bias" in person.hours_zone:
                named.append((f"{person.hours_zone.get('name') or 'custom'} ({person.office})", person.hours_tz))
            for name, zone in named:
                names, _ = groups.setdefault(_behaviour(zone), ([], zone))
                if name not in names:
                    names.append(name)
        return {", ".join(names): zone for names, zone in groups.values()}

    @classmethod
    def from_seed(cls, seed: Mapping[str, Any]) -> DemoOrg:
        """Any tenant seed as a demo organisation: mentors are the users whose jobTitle says "mentor",
        everyone else is a mentee, and a mentor helps with anything."""
        people = []
        for user in seed.get("users") or ():
            upn = str(user.get("userPrincipalName") or "")
            if not upn:
                continue
            box = user.get("mailboxSettings") or {}
            zone_name = str(box.get("timeZone") or "UTC")
            hours = box.get("workingHours") or {}
            hours_zone = hours.get("timeZone") or {"name": zone_name}
            if isinstance(hours_zone, str):
                hours_zone = {"name": hours_zone}
            try:
                zone_from_name(zone_name)
                zone_from_graph(dict(hours_zone))
            except (UnknownTimeZone, ValueError, TypeError) as exc:
                raise InputError("--tenant", f"{upn}: {exc}") from exc
            title = str(user.get("jobTitle") or "")
            people.append(
                DemoPerson(
                    upn=upn.lower(),
                    display_name=str(user.get("displayName") or upn),
                    role="mentor" if _MENTOR_TITLE.search(title) else "mentee",
                    department=str(user.get("department") or ""),
                    office=str(user.get("officeLocation") or ""),
                    zone_name=zone_name,
                    hours_zone=hours_zone,
                    days=tuple(d.lower() for d in hours.get("daysOfWeek") or MON_FRI),
                    start=_clock(hours.get("startTime"), time(8, 0)),
                    end=_clock(hours.get("endTime"), time(17, 0)),
                )
            )
        org = cls(dict(seed), tuple(people))
        if not org.mentors or not org.mentees:
            raise InputError(
                "--tenant", "the demo needs mentors and mentees: give mentors a jobTitle containing 'Mentor'"
            )
        return org


def _clock(value: Any, default: time) -> time:
    if not isinstance(value, str) or not value:
        return default
    return time.fromisoformat(value.split(".")[0])


_SAMPLES = tuple(datetime(2026, month, day, 12, tzinfo=UTC) for month in range(1, 13) for day in (1, 15))


def _behaviour(zone: tzinfo) -> tuple[timedelta | None, ...]:
    """A zone's UTC offsets through a year, twice a month: equal for aliases such as Asia/Calcutta and
    Asia/Kolkata, or a customTimeZone and the zone it copies."""
    return tuple(moment.astimezone(zone).utcoffset() for moment in _SAMPLES)


# --- who is who -------------------------------------------------------------------------------------

_HOURS = {
    "GMT": {"name": "GMT Standard Time"},
    "EST": {"name": "Eastern Standard Time"},
}


def _person(
    role: str,
    handle: str,
    name: str,
    department: str,
    office: str,
    zone: str,
    skills: Sequence[str],
    *,
    hours: tuple[str, str] = ("09:00", "17:00"),
    days: Sequence[str] = MON_FRI,
    hours_zone: Mapping[str, Any] | None = None,
) -> DemoPerson:
    return DemoPerson(
        upn=f"{handle}@{DOMAIN}",
        display_name=name,
        role=role,
        department=department,
        office=office,
        zone_name=zone,
        hours_zone=dict(hours_zone) if hours_zone is not None else {"name": zone},
        days=tuple(days),
        start=time.fromisoformat(hours[0]),
        end=time.fromisoformat(hours[1]),
        skills=tuple(skills),
    )


FEEDBACK, RETRO, SQL, SCOPE = "giving feedback", "running a retro", "SQL window functions", "negotiating scope"
DESIGN_DOC, PRESENTING, DISCOVERY = "writing a design doc", "presenting to executives", "customer discovery calls"
PRICING, INCIDENTS, TYPING, STORY, HIRING = (
    "pricing experiments",
    "incident reviews",
    "Python typing",
    "storytelling with data",
    "hiring interviews",
)

PEOPLE: tuple[DemoPerson, ...] = (
    # Mentors: one per hub, skills chosen so every interest below has a mentor in a reachable zone.
    _person("mentor", "maya.lind", "Maya Lind", "Engineering", "London", "Europe/London",
            [INCIDENTS, DESIGN_DOC, FEEDBACK], hours=("08:00", "16:30"), days=MON_FRI[:4], hours_zone=_HOURS["GMT"]),
    _person("mentor", "jonas.weber", "Jonas Weber", "Engineering", "Berlin", "W. Europe Standard Time",
            [TYPING, SQL, DESIGN_DOC, RETRO], hours=("08:30", "17:00")),
    _person("mentor", "priya.raman", "Priya Raman", "Product", "Bengaluru", "India Standard Time",
            [DISCOVERY, SCOPE, STORY], hours=("09:30", "18:30")),
    _person("mentor", "olivia.chen", "Olivia Chen", "Sales", "Sydney", "AUS Eastern Standard Time",
            [PRESENTING, SCOPE, PRICING], hours=("08:00", "16:30")),
    _person("mentor", "marcus.johnson", "Marcus Johnson", "Customer Success", "New York", "America/New_York",
            [DISCOVERY, FEEDBACK, HIRING], hours=("08:00", "17:00"), hours_zone=_HOURS["EST"]),
    _person("mentor", "ana.ortiz", "Ana Ortiz", "Product", "Seattle (remote)", "Pacific Standard Time",
            [PRICING, STORY, PRESENTING], hours=("07:00", "15:30")),
    _person("mentor", "sita.thapa", "Sita Thapa", "Engineering", "Kathmandu", "Nepal Standard Time",
            [SQL, INCIDENTS, HIRING, TYPING], days=SUN_THU),
    _person("mentor", "lucas.almeida", "Lucas Almeida", "Marketing", "São Paulo", "E. South America Standard Time",
            [STORY, RETRO, FEEDBACK], hours=("08:00", "17:00")),
    # Mentees.
    _person("mentee", "ravi.menon", "Ravi Menon", "Marketing", "Bengaluru", "India Standard Time",
            [STORY, PRESENTING], hours=("10:00", "19:00")),
    _person("mentee", "ananya.iyer", "Ananya Iyer", "Engineering", "Bengaluru", "Asia/Kolkata",
            [SQL, TYPING]),
    _person("mentee", "arjun.nair", "Arjun Nair", "Product", "Pune", "Asia/Calcutta",
            [DISCOVERY, SCOPE], hours=("09:30", "18:00")),
    _person("mentee", "meera.pillai", "Meera Pillai", "Customer Success", "Hyderabad", "India Standard Time",
            [FEEDBACK, HIRING]),
    _person("mentee", "bikash.shrestha", "Bikash Shrestha", "Engineering", "Kathmandu", "Asia/Kathmandu",
            [SQL, INCIDENTS], hours=("10:00", "17:30"), days=SUN_THU),
    _person("mentee", "pooja.gurung", "Pooja Gurung", "Engineering", "Kathmandu", "Nepal Standard Time",
            [TYPING, DESIGN_DOC]),
    _person("mentee", "liam.walsh", "Liam Walsh", "Sales", "Sydney", "AUS Eastern Standard Time",
            [SCOPE, PRESENTING], hours=("08:30", "17:00")),
    _person("mentee", "chloe.nguyen", "Chloe Nguyen", "Product", "Sydney", "Australia/Sydney",
            [PRICING, DISCOVERY]),
    _person("mentee", "emily.carter", "Emily Carter", "Customer Success", "New York", "Eastern Standard Time",
            [FEEDBACK, DISCOVERY]),
    _person("mentee", "david.kim", "David Kim", "Engineering", "New York", "America/New_York",
            [INCIDENTS, DESIGN_DOC], hours=("08:00", "16:30")),
    _person("mentee", "grace.miller", "Grace Miller", "Sales", "Chicago", "Central Standard Time",
            [PRESENTING, PRICING]),
    _person("mentee", "noah.garcia", "Noah Garcia", "Marketing", "Los Angeles", "America/Los_Angeles",
            [STORY, RETRO]),
    _person("mentee", "sofia.lopez", "Sofia Lopez", "Product", "Seattle (remote)", "Pacific Standard Time",
            [SCOPE, PRICING], hours=("08:00", "16:00")),
    _person("mentee", "tom.baker", "Tom Baker", "Engineering", "London", "GMT Standard Time",
            [TYPING, RETRO]),
    _person("mentee", "hannah.schmidt", "Hannah Schmidt", "Engineering", "Berlin", "Europe/Berlin",
            [DESIGN_DOC, INCIDENTS], hours=("08:00", "16:30")),
    _person("mentee", "felix.wagner", "Felix Wagner", "Marketing", "Munich", "W. Europe Standard Time",
            [STORY, FEEDBACK]),
    _person("mentee", "eva.novak", "Eva Novak", "Product", "Prague", "Central Europe Standard Time",
            [RETRO, DISCOVERY], hours=("08:00", "16:00"), hours_zone=CUSTOM_CENTRAL_EUROPE),
    _person("mentee", "siobhan.kelly", "Siobhán Kelly", "Customer Success", "Dublin", "Europe/Dublin",
            [HIRING, FEEDBACK]),
    _person("mentee", "mariana.souza", "Mariana Souza", "Marketing", "São Paulo", "America/Sao_Paulo",
            [STORY, RETRO]),
    _person("mentee", "weiling.tan", "Wei Ling Tan", "Sales", "Singapore", "Singapore Standard Time",
            [SCOPE, PRESENTING]),
    _person("mentee", "noa.levi", "Noa Levi", "Engineering", "Tel Aviv", "Israel Standard Time",
            [SQL, HIRING], hours=("09:00", "18:00"), days=SUN_THU),
    _person("mentee", "thabo.nkosi", "Thabo Nkosi", "Customer Success", "Johannesburg", "South Africa Standard Time",
            [DISCOVERY, FEEDBACK]),
)  # fmt: skip

# The mentor the Teams admin forgot when granting the application access policy (the demo's doctor finds him).
NOT_YET_GRANTED = next(p for p in PEOPLE if p.upn.startswith("jonas.weber@"))


# --- calendars ----------------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000")


def _event(
    subject: str,
    start: datetime,
    minutes: int,
    zone: str,
    *,
    show_as: str = "busy",
    categories: Sequence[str] = (),
    recurrence: Mapping[str, Any] | None = None,
    all_day: bool = False,
) -> dict[str, Any]:
    """A seed event in Graph's shape, its times written as local wall-clock times of `zone`."""
    body: dict[str, Any] = {
        "subject": subject,
        "start": {"dateTime": _stamp(start), "timeZone": zone},
        "end": {"dateTime": _stamp(start + timedelta(minutes=minutes)), "timeZone": zone},
        "showAs": show_as,
        "categories": list(categories),
        "isAllDay": all_day,
    }
    if recurrence is not None:
        body["recurrence"] = dict(recurrence)
    return body


def _working_dates(person: DemoPerson, first: date, last: date) -> list[date]:
    days, current = [], first
    while current <= last:
        if WEEKDAYS[current.weekday()] in person.days:
            days.append(current)
        current += timedelta(days=1)
    return days


def _at(day: date, clock: time, plus_minutes: int = 0) -> datetime:
    return datetime.combine(day, clock) + timedelta(minutes=plus_minutes)


def _working_minutes(person: DemoPerson) -> int:
    return (person.end.hour * 60 + person.end.minute) - (person.start.hour * 60 + person.start.minute)


def _calendar(person: DemoPerson, first: date, last: date, rng: random.Random) -> list[dict[str, Any]]:
    """A plausible calendar between two local dates: the same recipe for everyone, varied by `rng`."""
    zone = person.zone_name
    events: list[dict[str, Any]] = []
    span = _working_minutes(person)
    workdays = _working_dates(person, first, last)
    if not workdays:
        return events
    monday_first = first - timedelta(days=first.weekday())
    # Mentors keep lighter calendars (that is why they can mentor), and the demo needs them light: every
    # event on a mentor's calendar is read through msgraph-sdk on each search and booking (~6 ms each).
    mentor = person.role == "mentor"
    if rng.random() < 0.75:
        # A recurring stand-up every working day (a mentor's team syncs once a week), 30 min into the day.
        # Its wall-clock time stays put across DST changes, so its UTC time moves: Graph expands it in its zone.
        ranged: dict[str, Any] = (
            {"type": "noEnd", "startDate": monday_first.isoformat()}
            if rng.random() < 0.5
            else {"type": "endDate", "startDate": monday_first.isoformat(), "endDate": last.isoformat()}
        )
        events.append(
            _event(
                "Weekly team sync" if mentor else "Team stand-up",
                _at(monday_first, person.start, 30),
                30 if mentor else 15,
                zone,
                recurrence={
                    "pattern": {
                        "type": "weekly",
                        "interval": 1,
                        "daysOfWeek": list(person.days[:1] if mentor else person.days),
                        "firstDayOfWeek": person.days[0],
                    },
                    "range": ranged,
                },
            )
        )
    weekly_day = rng.choice(person.days)
    first_weekly = monday_first + timedelta(days=(WEEKDAYS.index(weekly_day) - monday_first.weekday()) % 7)
    events.append(
        _event(
            "1:1 with manager",
            _at(first_weekly, person.start, rng.choice((120, 180, 240, span - 90))),
            30,
            zone,
            recurrence={
                "pattern": {
                    "type": "weekly",
                    "interval": 2 if mentor else rng.choice((1, 2)),
                    "daysOfWeek": [weekly_day],
                },
                "range": {"type": "numbered", "startDate": first_weekly.isoformat(), "numberOfOccurrences": 12},
            },
        )
    )
    for day in workdays:
        # Ordinary meetings on a half-hour grid, none in the day's first hour (stand-up) or last half hour.
        for _ in range(rng.choice((0, 0, 0, 1) if mentor else (0, 1, 1, 2, 2, 3))):
            offset = 60 + 30 * rng.randrange(max(1, (span - 150) // 30))
            subject = rng.choice(("Project sync", "Design review", "Customer call", "Planning", "Pairing"))
            minutes = rng.choice((60, 90, 120) if mentor else (30, 60, 60, 90))
            events.append(_event(subject, _at(day, person.start, offset), minutes, zone))
        if rng.random() < (0.2 if mentor else 0.3):
            # Focus holds from a focus tool: shown as free, so only the focus-time policy makes them block.
            offset = 60 + 30 * rng.randrange(max(1, (span - 180) // 30))
            marker = rng.choice(("Focus time", "Deep work"))
            events.append(
                _event(marker, _at(day, person.start, offset), 120, zone, show_as="free", categories=["Focus"])
            )
        if rng.random() < (0.04 if mentor else 0.12):
            offset = 60 + 30 * rng.randrange(max(1, (span - 90) // 30))
            events.append(
                _event("Optional: brown-bag talk", _at(day, person.start, offset), 45, zone, show_as="tentative")
            )
    if rng.random() < 0.25:
        away = rng.choice(workdays)
        events.append(_event("Out of office", _at(away, time(0, 0)), 24 * 60, zone, show_as="oof", all_day=True))
    return events


def _user(person: DemoPerson, index: int, events: list[dict[str, Any]]) -> dict[str, Any]:
    given, _, surname = person.display_name.partition(" ")
    return {
        "id": f"0000d3e0-0000-4000-8000-{index:012d}",
        "userPrincipalName": person.upn,
        # As in most tenants, mail is not the sign-in name: people sign in as …@fabrikam.example and
        # receive mail at …@fabrikam.com. Only the mail address reaches their mailbox.
        "mail": mail_of(person),
        "displayName": person.display_name,
        "givenName": given,
        "surname": surname,
        "jobTitle": f"{person.department} mentor" if person.role == "mentor" else f"{person.department} specialist",
        "department": person.department,
        "officeLocation": person.office,
        "mailboxSettings": {
            "timeZone": person.zone_name,
            "workingHours": {
                "daysOfWeek": list(person.days),
                "startTime": f"{person.start.isoformat()}.0000000",
                "endTime": f"{person.end.isoformat()}.0000000",
                "timeZone": dict(person.hours_zone),
            },
        },
        "events": events,
    }


def build_demo_org(start: datetime, *, weeks: int, seed: int = 7) -> DemoOrg:
    """The demo organisation with calendars from the day before `start` to a little over two weeks after
    the last simulated week: a booking looks 14 days ahead. (Kept that short on purpose: every event on a
    mentor's calendar is read, through msgraph-sdk, on every slot search and booking.)"""
    rng = random.Random(seed)
    users = []
    for index, person in enumerate(PEOPLE, 1):
        local = start.astimezone(person.tz).date()
        first, last = local - timedelta(days=1), local + timedelta(days=7 * weeks + 15)
        users.append(_user(person, index, _calendar(person, first, last, rng)))
    mentors = [p for p in PEOPLE if p.role == "mentor"]
    mentees = [p for p in PEOPLE if p.role == "mentee"]
    tenant: dict[str, Any] = {
        "tenantId": DEMO_TENANT_ID,
        "apps": [{"clientId": "micromentor-local", "clientSecret": "local-secret"}],
        # As real tenants are at first: the Teams admin granted the access policy mentor by mentor and
        # missed one (the demo's doctor finds it), and one person's attendance records carry no e-mail.
        "emulator": {
            "teamsAccessPolicy": {"users": [m.upn for m in mentors if m is not NOT_YET_GRANTED]},
            "attendanceWithoutEmail": [mentors[-1].upn, mentees[0].upn],
        },
        "users": users,
    }
    return DemoOrg(tenant, PEOPLE)


def mail_of(person: DemoPerson) -> str:
    local, _, _ = person.upn.partition("@")
    return f"{local.title()}@fabrikam.com"


# --- who can meet whom ---------------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def _daily(clock_from: time, clock_to: time, zone: tzinfo, dates: Iterable[date]) -> list[Interval]:
    return [
        (
            datetime.combine(day, clock_from, tzinfo=zone).astimezone(UTC),
            datetime.combine(day, clock_to, tzinfo=zone).astimezone(UTC),
        )
        for day in dates
    ]


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out = []
    for a_from, a_to in a:
        for b_from, b_to in b:
            lo, hi = max(a_from, b_from), min(a_to, b_to)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def available_windows(person: DemoPerson, since: datetime, until: datetime) -> list[Interval]:
    """Roughly when a person can take a session: working hours (in their own zone) inside the default
    08:00-18:00 day window (in the mailbox zone). For ranking mentors only; the real check is Graph's."""
    first, last = (since - timedelta(days=1)).date(), (until + timedelta(days=1)).date()
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    working = _daily(
        person.start, person.end, person.hours_tz, (d for d in dates if WEEKDAYS[d.weekday()] in person.days)
    )
    window = _daily(DAY_WINDOW[0], DAY_WINDOW[1], person.tz, dates)
    clipped = [(max(lo, since), min(hi, until)) for lo, hi in _intersect(working, window)]
    return [(lo, hi) for lo, hi in clipped if lo < hi]


def overlap_minutes(a: DemoPerson, b: DemoPerson, since: datetime, until: datetime) -> int:
    shared = _intersect(available_windows(a, since, until), available_windows(b, since, until))
    return int(sum((hi - lo).total_seconds() for lo, hi in shared) // 60)
