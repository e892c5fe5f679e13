"""What a series' "no slot" message says: sent to the mentor and the mentee when an occurrence of their
series has no valid slot within two working days of its target. It lists the alternatives (the three
valid slots nearest the target) in the recipient's own zone and, for the mentee, adds a signed booking
link to the mentor's page (services/links.py). English and French, like the outcome messages.

Sent through the outcome outbox (services/outcomes.send_due), so quiet hours, the claim under a lease and
the Sent Items check after a crash apply to it as to every other message.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, tzinfo

from core.office_hours import zone_label
from graph.mail import OutgoingMail
from services.links import make_link
from store.outbox import OutboxMessage

__all__ = ["series_no_slot_mail"]

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "subject": "No time found for your next micro session on {topic}",
        "intro": (
            "Your next micro mentoring session on {topic} could not be booked: no time within two working"
            " days of its usual date suits you both."
        ),
        "alternatives": "The nearest times that do:",
        "none": "No time within the booking horizon suits you both.",
        "book": "Book one of them",
        "after": "The series goes on: the session after this one is booked as usual.",
        "topic.none": "your topic",
    },
    "fr": {
        "subject": "Aucun créneau pour votre prochaine micro-session sur {topic}",
        "intro": (
            "Votre prochaine session de micro-mentorat sur {topic} n'a pas pu être réservée : aucun horaire"
            " à deux jours ouvrés près de sa date habituelle ne vous convient à tous les deux."
        ),
        "alternatives": "Les horaires les plus proches qui conviennent :",
        "none": "Aucun horaire ne vous convient à tous les deux dans l'horizon de réservation.",
        "book": "En réserver un",
        "after": "La série continue : la session suivante sera réservée comme d'habitude.",
        "topic.none": "votre sujet",
    },
}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
assert set(_TEXT["en"]) == set(_TEXT["fr"]), "every message needs every language"


def _when(start: datetime, zone: tzinfo, language: str) -> str:
    local = start.astimezone(zone)
    return f"{_DAYS[language][local.weekday()]} {local:%Y-%m-%d %H:%M} ({zone_label(zone)})"


def series_no_slot_mail(
    message: OutboxMessage, *, zone: tzinfo | None, language: str, secret: str, public_url: str, now: datetime
) -> OutgoingMail:
    """The mail for one SERIES_NO_SLOT message, its times in `zone` (the recipient's mailbox zone)."""
    language = language if language in _TEXT else "en"
    words = _TEXT[language]
    zone = zone or UTC
    topic = message.topic or words["topic.none"]
    parts = [f"<p>{html.escape(words['intro'].format(topic=topic))}</p>"]
    if message.slots:
        items = "".join(f"<li>{html.escape(_when(s, zone, language))}</li>" for s in message.slots)
        parts.append(f"<p>{html.escape(words['alternatives'])}</p><ul>{items}</ul>")
    else:
        parts.append(f"<p>{html.escape(words['none'])}</p>")
    if message.person != message.mentor:
        token = make_link(message.mentor, secret=secret, now=now, mentee=message.person)
        url = f"{public_url.rstrip('/')}/api/links/{token}"
        parts.append(f'<p><a href="{html.escape(url, quote=True)}">{html.escape(words["book"])}</a></p>')
    parts.append(f"<p>{html.escape(words['after'])}</p>")
    return OutgoingMail(
        to=message.person,
        subject=words["subject"].format(topic=topic),
        html="\n".join(parts),
        key=message.key,
        language=language,
    )
