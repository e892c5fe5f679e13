"""The invitation body: 2-10-3 plan, clock times in each attendee's zone, escaping, validation.

Expected clock times are worked out by hand from the zones' offsets on the day (noted beside each)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.agenda import (
    DASH,
    QUESTION_MAX_CHARS,
    SUBJECT_MAX_CHARS,
    SUBJECT_PREFIX,
    Agenda,
    AgendaPerson,
    build_agenda,
    personal_link_mail,
    split_minutes,
    validate_question,
)
from core.errors import InputError

LA = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
LONDON = ZoneInfo("Europe/London")

ANA = AgendaPerson("ana@contoso.com", "Ana Silva", LA)
RAVI = AgendaPerson("ravi@contoso.com", "Ravi Rao", KOLKATA)
MAYA = AgendaPerson("maya@contoso.com", "Maya Shrestha", KATHMANDU)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def agenda(
    *,
    question: str = "How do I split a large pull request?",
    topic: str | None = None,
    start: str = "2026-03-03T18:00",
    minutes: int = 15,
    mentor: AgendaPerson = ANA,
    mentees: tuple[AgendaPerson, ...] = (RAVI,),
    session_url: str | None = None,
) -> Agenda:
    begin = at(start)
    return build_agenda(
        question=question,
        topic=topic,
        start=begin,
        end=begin + timedelta(minutes=minutes),
        mentor=mentor,
        mentees=mentees,
        session_url=session_url,
    )


def times_line(body: str, name: str) -> str:
    """The body's list item with `name`'s clock times."""
    match = re.search(rf"<li><strong>{re.escape(name)}</strong>[^\n]*</li>", body)
    assert match, f"no times line for {name}"
    return match.group(0)


# --- proportions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (15, (2, 10, 3)),
        # 20 x 2/15 = 2.67 -> 3; 20 x 3/15 = 4; work 20 - 3 - 4 = 13
        (20, (3, 13, 4)),
        # 25 x 2/15 = 3.33 -> 3; 25 / 5 = 5; work 17
        (25, (3, 17, 5)),
        # 30 x 2/15 = 4; 30 / 5 = 6; work 20
        (30, (4, 20, 6)),
        # 45 x 2/15 = 6; 45 / 5 = 9; work 30
        (45, (6, 30, 9)),
        # 3 x 2/15 = 0.4 -> 0, raised to the one-minute floor; 3 / 5 = 0.6 -> 1; work 1
        (3, (1, 1, 1)),
    ],
)
def test_split_scales_two_ten_three(total: int, expected: tuple[int, int, int]) -> None:
    assert split_minutes(total) == expected


@pytest.mark.parametrize("total", range(3, 181))
def test_split_always_adds_up_and_keeps_each_part(total: int) -> None:
    context, work, next_steps = split_minutes(total)
    assert context + work + next_steps == total
    assert min(context, work, next_steps) >= 1
    assert work >= context and work >= next_steps


def test_split_refuses_sessions_too_short_for_three_parts() -> None:
    with pytest.raises(InputError):
        split_minutes(2)


@pytest.mark.parametrize(("minutes", "parts"), [(15, (2, 10, 3)), (20, (3, 13, 4)), (30, (4, 20, 6))])
def test_body_states_the_scaled_plan(minutes: int, parts: tuple[int, int, int]) -> None:
    body = agenda(minutes=minutes).body_html
    assert f"Plan: {DASH.join(map(str, parts))} ({minutes} minutes)" in body


# --- clock times per attendee ---------------------------------------------------------------------


def test_times_in_each_attendees_zone() -> None:
    # 2026-03-03 18:00Z: Los Angeles is on PST (UTC-8) -> 10:00; Kolkata is UTC+05:30 -> 23:30.
    body = agenda().body_html
    ana = times_line(body, "Ana Silva")
    assert f"10:00{DASH}10:02 Context" in ana
    assert f"10:02{DASH}10:12 Work" in ana
    assert f"10:12{DASH}10:15 Next steps" in ana
    assert "Tue 3 Mar 2026" in ana and "UTC-08:00" in ana
    ravi = times_line(body, "Ravi Rao")
    assert f"23:30{DASH}23:32 Context" in ravi
    assert f"23:32{DASH}23:42 Work" in ravi
    assert f"23:42{DASH}23:45 Next steps" in ravi
    assert "UTC+05:30" in ravi


def test_quarter_hour_offset_zone_and_midnight() -> None:
    # 18:00Z in Kathmandu (UTC+05:45, no DST) is 23:45; the session ends at 00:00 the next day.
    body = agenda(mentees=(RAVI, MAYA)).body_html
    maya = times_line(body, "Maya Shrestha")
    assert f"23:45{DASH}23:47 Context" in maya
    assert f"23:47{DASH}23:57 Work" in maya
    assert f"23:57{DASH}00:00 Next steps" in maya
    assert "UTC+05:45" in maya
    assert "<strong>Mentees:</strong> Ravi Rao, Maya Shrestha" in body


def test_dst_change_day_uses_the_new_offset() -> None:
    # US clocks sprang forward on 2026-03-08 at 02:00 local; at 17:00Z Los Angeles is on PDT (UTC-7)
    # -> 10:00, while London is still on GMT -> 17:00. A 20 minute session splits 3/13/4.
    london = AgendaPerson("lee@contoso.com", "Lee Hart", LONDON)
    body = agenda(start="2026-03-08T17:00", minutes=20, mentees=(london,)).body_html
    ana = times_line(body, "Ana Silva")
    assert f"10:00{DASH}10:03 Context · 10:03{DASH}10:16 Work · 10:16{DASH}10:20 Next steps" in ana
    assert "Sun 8 Mar 2026" in ana and "UTC-07:00" in ana
    lee = times_line(body, "Lee Hart")
    assert f"17:00{DASH}17:03 Context · 17:03{DASH}17:16 Work · 17:16{DASH}17:20 Next steps" in lee


def test_session_straddling_the_dst_jump_shows_true_wall_times() -> None:
    # 09:50Z = 01:50 PST; 09:52Z = 01:52 PST; 10:02Z = 03:02 PDT (02:00 PST became 03:00 PDT at 10:00Z);
    # 10:05Z = 03:05 PDT. The work block looks 70 minutes long on the wall clock and is 10 minutes.
    body = agenda(start="2026-03-08T09:50").body_html
    ana = times_line(body, "Ana Silva")
    assert f"01:50{DASH}01:52 Context · 01:52{DASH}03:02 Work · 03:02{DASH}03:05 Next steps" in ana


# --- content --------------------------------------------------------------------------------------


def test_body_holds_question_plan_checklist_and_link() -> None:
    result = agenda(question="  How do I review a design doc quickly?  ", session_url="https://mm.example/s/42")
    body = result.body_html
    assert "<strong>Question:</strong> How do I review a design doc quickly?</p>" in body
    plan_words = (
        "situation",
        "desired outcome",
        "help needed",
        "options",
        "risks",
        "practices",
        "one action",
        "one success indicator",
        "follow-up or not",
    )
    checklist = (
        "The question, in one sentence",
        "Two or three options discussed",
        "One next step and its success indicator",
        "Session logged",
    )
    for words in (*plan_words, *checklist):
        assert words in body
    assert '<a href="https://mm.example/s/42">' in body


def test_agenda_meeting_settings() -> None:
    result = agenda()
    assert result.categories == ("Micro-mentoring",)
    assert result.reminder_minutes == 10
    assert result.allow_new_time_proposals is False


def test_no_link_without_session_url() -> None:
    assert "<a " not in agenda(session_url=None).body_html


# --- escaping -------------------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere() -> None:
    evil_person = AgendaPerson("x@contoso.com", 'Eve "<b>" O\'Neil', KOLKATA)
    result = agenda(
        question="""Why does <script>alert("hi")</script> & 'this' run?""",
        topic="<img src=x onerror=alert(1)>",
        mentees=(evil_person,),
    )
    body = result.body_html
    assert "<script>" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; &#x27;this&#x27; run?" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "Eve &quot;&lt;b&gt;&quot; O&#x27;Neil" in body


def test_session_url_is_escaped_in_the_href() -> None:
    body = agenda(session_url='https://mm.example/s/1?a=1&b="x"><script>').body_html
    assert '<a href="https://mm.example/s/1?a=1&amp;b=&quot;x&quot;&gt;&lt;script&gt;">' in body
    assert "<script>" not in body


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://mm.example/s/1",
        "https:///no-host",
        "/relative/path",
        "https://mm.example/a b",
        "https://mm.example/\x00",
        "",
    ],
)
def test_bad_session_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError) as caught:
        agenda(session_url=url)
    assert caught.value.field == "session_url"


# --- subject --------------------------------------------------------------------------------------


def test_subject_uses_the_topic_when_given() -> None:
    assert agenda(topic="Code review").subject == "Micro mentoring: Code review"
    assert agenda(topic="  Code\n\treview  ").subject == "Micro mentoring: Code review"


def test_subject_falls_back_to_the_question() -> None:
    assert agenda(topic="   ").subject == "Micro mentoring: How do I split a large pull request?"
    assert agenda(topic=None).subject == "Micro mentoring: How do I split a large pull request?"


def test_subject_is_bounded_and_cut_on_a_word() -> None:
    question = "How do I " + "review pull requests faster " * 11  # 9 + 28 x 11 = 317 chars, cut to 300 below
    question = question[:QUESTION_MAX_CHARS]
    subject = agenda(question=question).subject
    assert len(subject) <= SUBJECT_MAX_CHARS
    assert subject.startswith(SUBJECT_PREFIX)
    assert subject.endswith("…")
    # The cut falls after a whole word: the text before the ellipsis is a prefix of the question
    # that ends where the question has a space.
    kept = subject[len(SUBJECT_PREFIX) : -1]
    assert question.startswith(kept) and question[len(kept)] == " "


def test_long_topic_without_spaces_is_cut_hard() -> None:
    subject = agenda(topic="x" * 200).subject
    assert len(subject) == SUBJECT_MAX_CHARS
    assert subject == SUBJECT_PREFIX + "x" * (SUBJECT_MAX_CHARS - len(SUBJECT_PREFIX) - 1) + "…"


# --- validation -----------------------------------------------------------------------------------


def test_validate_question_trims() -> None:
    assert validate_question("  What should I ask first?\n") == "What should I ask first?"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "x" * (QUESTION_MAX_CHARS + 1), "two\nlines", "bell\x07", "nul\x00here", "del\x7f"],
)
def test_validate_question_refuses(text: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_question(text)
    assert caught.value.field == "question"


def test_validate_question_length_counts_after_trimming() -> None:
    assert validate_question(" " + "x" * QUESTION_MAX_CHARS + " ") == "x" * QUESTION_MAX_CHARS


def test_build_agenda_validates_the_question() -> None:
    with pytest.raises(InputError) as caught:
        agenda(question="  ")
    assert caught.value.field == "question"


def test_build_agenda_needs_a_mentee_and_a_proper_length() -> None:
    with pytest.raises(InputError) as caught:
        agenda(mentees=())
    assert caught.value.field == "mentees"
    start = at("2026-03-03T18:00")
    for end in (start, start - timedelta(minutes=15), start + timedelta(minutes=15, seconds=30)):
        with pytest.raises(InputError):
            build_agenda(question="q?", topic=None, start=start, end=end, mentor=ANA, mentees=(RAVI,), session_url=None)


def test_the_invitation_says_the_links_come_by_mail_and_holds_none() -> None:
    begin = at("2026-03-03T18:00")
    body = build_agenda(
        question="How do I split a large pull request?",
        topic=None,
        start=begin,
        end=begin + timedelta(minutes=15),
        mentor=ANA,
        mentees=(RAVI,),
        session_url=None,
        links_by_mail=True,
    ).body_html
    assert "<p>Each attendee gets their own link to this session's page" in body
    assert "href" not in body


def test_the_personal_mail_holds_the_persons_link_and_local_start() -> None:
    begin = at("2026-03-03T18:00")
    subject, body = personal_link_mail(
        subject="Micro mentoring: Q?", person=RAVI, start=begin, url="https://mm.example/p/r?x=1&y=2"
    )
    assert subject == "Your link: Micro mentoring: Q?"
    assert '<a href="https://mm.example/p/r?x=1&amp;y=2">' in body
    assert f"Hello {RAVI.display_name}," in body
    local = begin.astimezone(RAVI.tz)
    assert f"{local:%H:%M}" in body


def test_a_bad_session_link_is_refused() -> None:
    begin = at("2026-03-03T18:00")
    with pytest.raises(InputError) as caught:
        personal_link_mail(subject="S", person=RAVI, start=begin, url="javascript:alert(1)")
    assert caught.value.field == "session_url"
