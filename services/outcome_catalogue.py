"""What the outcome messages say, per language: English and French, English when Graph gives no language
or one without a catalogue (mailboxSettings.language.locale, e.g. "fr-FR" -> "fr").

Each message is a subject and a short HTML body with one link per choice; `{…}` fields are filled in and
HTML-escaped by `render_message`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from store.outbox import MessageKind

__all__ = ["CATALOGUES", "RenderedMessage", "language_of", "render_message"]

_EN: dict[str, str] = {
    "mentor_followup.subject": "Would you do another micro session on {topic}?",
    "mentor_followup.intro": "Thank you for your micro mentoring session on {topic}.",
    "mentor_followup.question": "Would you do another micro session on this skill?",
    "mentor_followup.yes": "Yes",
    "mentor_followup.maybe": "Maybe",
    "mentor_followup.no": "No",
    "mentor_followup.after": "After you answer, you can write down the next step and how success will show.",
    "mentee_usefulness.subject": "How useful was your micro session on {topic}?",
    "mentee_usefulness.intro": "You just had a micro mentoring session with {mentor}.",
    "mentee_usefulness.question": "How useful was it, from 1 (not at all) to 5 (very)?",
    "mentee_checkin.subject": "Did you apply what you learned about {topic}?",
    "mentee_checkin.intro": "{days} days ago you had a micro mentoring session with {mentor}.",
    "mentee_checkin.recall": "Your next step: {next_step}. You said success looks like: {success_indicator}.",
    "mentee_checkin.question": "Have you applied it?",
    "mentee_checkin.applied": "Applied",
    "mentee_checkin.partly": "Partly",
    "mentee_checkin.not_yet": "Not yet",
    "mentee_checkin.after": "After you answer, you can add a line if you like.",
    "footer": "One click records your answer; clicking another one later replaces it. The links work for 14 days.",
    "topic.none": "the question you discussed",
    "page.recorded": "Thank you, your answer is recorded: {choice}.",
    "page.tampered": "This link is not valid: it was changed after it was sent.",
    "page.expired": "This link has expired. Links in these messages work for 14 days.",
    "page.note": "Add a line (optional)",
    "page.next_step": "Next step",
    "page.success_indicator": "How success will show",
    "page.save": "Save",
    "page.saved": "Saved.",
    "page.confirm": "Record my answer",
}

_FR: dict[str, str] = {
    "mentor_followup.subject": "Referiez-vous une micro-session sur {topic} ?",
    "mentor_followup.intro": "Merci pour votre session de micro-mentorat sur {topic}.",
    "mentor_followup.question": "Referiez-vous une micro-session sur cette compétence ?",
    "mentor_followup.yes": "Oui",
    "mentor_followup.maybe": "Peut-être",
    "mentor_followup.no": "Non",
    "mentor_followup.after": "Après votre réponse, vous pourrez noter la prochaine étape et l'indicateur de réussite.",
    "mentee_usefulness.subject": "Votre micro-session sur {topic} vous a-t-elle été utile ?",
    "mentee_usefulness.intro": "Vous venez d'avoir une session de micro-mentorat avec {mentor}.",
    "mentee_usefulness.question": "Quelle a été son utilité, de 1 (aucune) à 5 (très grande) ?",
    "mentee_checkin.subject": "Avez-vous mis en pratique ce que vous avez appris sur {topic} ?",
    "mentee_checkin.intro": "Il y a {days} jours, vous avez eu une session de micro-mentorat avec {mentor}.",
    "mentee_checkin.recall": "Votre prochaine étape : {next_step}. Indicateur de réussite : {success_indicator}.",
    "mentee_checkin.question": "L'avez-vous mis en pratique ?",
    "mentee_checkin.applied": "Oui",
    "mentee_checkin.partly": "En partie",
    "mentee_checkin.not_yet": "Pas encore",
    "mentee_checkin.after": "Après votre réponse, vous pourrez ajouter une ligne si vous le souhaitez.",
    "footer": (
        "Un clic enregistre votre réponse ; un autre clic plus tard la remplace. Les liens sont valables 14 jours."
    ),
    "topic.none": "la question abordée",
    "page.recorded": "Merci, votre réponse est enregistrée : {choice}.",
    "page.tampered": "Ce lien n'est pas valide : il a été modifié après son envoi.",
    "page.expired": "Ce lien a expiré. Les liens de ces messages sont valables 14 jours.",
    "page.note": "Ajouter une ligne (facultatif)",
    "page.next_step": "Prochaine étape",
    "page.success_indicator": "Indicateur de réussite",
    "page.save": "Enregistrer",
    "page.saved": "Enregistré.",
    "page.confirm": "Enregistrer ma réponse",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR}
assert set(_EN) == set(_FR), "every message needs every language"


def language_of(locale: str | None) -> str:
    """A catalogue for a mailbox locale ("fr-FR", "fr-CA" -> "fr"); English otherwise."""
    if not locale:
        return "en"
    base = locale.replace("_", "-").split("-", 1)[0].lower()
    return base if base in CATALOGUES else "en"


def text(language: str, key: str, **fields: str) -> str:
    """One message of the catalogue, its fields filled in (not escaped)."""
    template = CATALOGUES.get(language, _EN).get(key) or _EN[key]
    return template.format(**fields)


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    html: str


def render_message(
    kind: MessageKind,
    language: str,
    *,
    links: Mapping[str, str],  # choice -> URL, in display order
    topic: str | None,
    mentor: str,
    days: int,
    next_step: tuple[str, str] | None = None,
) -> RenderedMessage:
    fields = {"topic": topic or text(language, "topic.none"), "mentor": mentor, "days": str(days)}
    esc = {k: html.escape(v) for k, v in fields.items()}
    name = kind.value
    parts = [f"<p>{text(language, f'{name}.intro', **esc)}</p>"]
    if kind is MessageKind.MENTEE_CHECKIN and next_step is not None:
        recall = {"next_step": html.escape(next_step[0]), "success_indicator": html.escape(next_step[1])}
        parts.append(f"<p>{text(language, 'mentee_checkin.recall', **recall)}</p>")
    parts.append(f"<p><strong>{text(language, f'{name}.question', **esc)}</strong></p>")
    buttons = []
    for choice, url in links.items():
        label = choice if kind is MessageKind.MENTEE_USEFULNESS else text(language, f"{name}.{choice}")
        buttons.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>')
    parts.append("<p>" + " &nbsp;·&nbsp; ".join(buttons) + "</p>")
    if kind is not MessageKind.MENTEE_USEFULNESS:
        parts.append(f"<p>{text(language, f'{name}.after')}</p>")
    parts.append(f'<p style="color:#666;font-size:small">{text(language, "footer")}</p>')
    return RenderedMessage(text(language, f"{name}.subject", **fields), "\n".join(parts))
