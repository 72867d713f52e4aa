"""The words of a referral slip, in the receiving agency's language, with a second language beside them if asked.

Slip texts have their own catalogue, ``translations/<locale>/LC_MESSAGES/slips.po``: a slip is an official
document for an agency, written in an official register and reviewed by other people than the interface. A text
that catalogue does not hold falls back to the interface catalogue (``messages``), then to the English text.
The catalogues are read from the ``.po`` files once per process, so no compiled file is needed.

Texts are marked ``st("...")`` with named placeholders. ``make slip-translations`` extracts them
(``pybabel extract -k st``) into ``translations/slips.pot``; the interface's ``make translations`` does not see
them, so the two catalogues do not disturb each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.pofile import read_po
from flask import current_app
from flask_babel import get_locale, get_translations

from ..config import PROJECT_ROOT
from ..i18n import locale_info

if TYPE_CHECKING:
    from ..engine.facts import Vocabulary
    from .intake import IdentityForm
    from .slip_data import SlipData

DOMAIN = "slips"


@lru_cache(maxsize=32)
def _catalogue(directory: Path, code: str) -> Mapping[str, str]:
    """msgid -> translation for one locale; empty when there is no catalogue (English, or not translated yet)."""
    path = directory / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=code.replace("-", "_"))
    return {message.id: message.string for message in catalogue
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy}


def _directory() -> Path:
    try:
        return Path(current_app.extensions["referral.settings"].translations_dir)
    except (RuntimeError, KeyError):
        return PROJECT_ROOT / "translations"


def preload_catalogues() -> int:
    """Read every slip catalogue now (a worker's warm-up), so that no slip waits for a .po file: how many."""
    directory = _directory()
    codes = [path.parent.parent.name for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")]
    for code in codes:
        _catalogue(directory, code)
    return len(codes)


def st(msgid: str, **params: object) -> str:
    """``msgid`` in the locale in force (``force_locale``), with its named placeholders filled in."""
    code = str(get_locale() or "en")
    text = _catalogue(_directory(), code).get(msgid)
    if text is None:
        text = get_translations().gettext(msgid)
    return text % params if params else text


def st_noop(msgid: str) -> str:
    """Mark a text for the slip catalogue where it is defined; ``st`` translates it where it is used."""
    return msgid


# Words for codes, in English; each is translated with ``st`` when a slip is written. Where the interface has the
# same word (web/labels.py), the English text is the same, so either catalogue can translate it.
CATEGORIES = {
    "asylum_seeker": st_noop("Asylum-seeker"),
    "unaccompanied_child": st_noop("Unaccompanied child"),
    "separated_child": st_noop("Separated child"),
    "victim_of_trafficking": st_noop("Presumed victim of trafficking"),
    "smuggled_migrant_at_risk": st_noop("Smuggled migrant at risk"),
    "sgbv_survivor": st_noop("Survivor of sexual or gender-based violence"),
    "stateless_or_at_risk": st_noop("Stateless or at risk of statelessness"),
    "disability": st_noop("Person with a disability"),
    "older_person": st_noop("Older person"),
    "serious_medical_condition": st_noop("Serious medical condition"),
    "pregnant_or_lactating": st_noop("Pregnant or breastfeeding"),
    "woman_at_risk": st_noop("Woman at risk"),
    "torture_or_trauma_survivor": st_noop("Survivor of torture or trauma"),
    "migrant_worker_vulnerable": st_noop("Migrant worker in a vulnerable situation"),
    "family_unity": st_noop("Family unity"),
    "lgbti_at_risk": st_noop("LGBTI person at risk"),
    "no_specific_protection_need": st_noop("No specific protection need"),
}
DESTINATIONS = {
    "national_asylum_authority": st_noop("National asylum authority"),
    "unhcr": st_noop("UNHCR"),
    "iom": st_noop("IOM"),
    "child_protection": st_noop("Child protection"),
    "anti_trafficking": st_noop("Anti-trafficking"),
    "health": st_noop("Health care"),
    "legal_aid": st_noop("Legal aid"),
    "psychosocial": st_noop("Psychosocial support"),
    "red_crescent": st_noop("Red Crescent"),
    "consular": st_noop("Consulate"),
}
URGENCY = {
    "immediate": st_noop("IMMEDIATE: act now, before the person leaves the post"),
    "within_24h": st_noop("WITHIN 24 HOURS"),
    "routine": st_noop("ROUTINE: within two weeks"),
}
SEX = {"female": st_noop("Female"), "male": st_noop("Male"), "other": st_noop("Other"),
       "undisclosed": st_noop("Does not say")}
APPARENT_AGE = {"child": st_noop("Looks like a child"), "adult": st_noop("Looks like an adult"),
                "unclear": st_noop("Age unclear")}
TRI = {"yes": st_noop("Yes"), "no": st_noop("No"), "unknown": st_noop("Unknown")}
INTERVIEWER = {"female": st_noop("A woman"), "male": st_noop("A man"), "any": st_noop("Either"),
               "not_asked": st_noop("Not asked")}
MEDICAL = {
    "bleeding_wound": st_noop("Bleeding wound"), "infection_fever": st_noop("Infection or fever"),
    "heat_exhaustion": st_noop("Heat exhaustion"), "hypothermia": st_noop("Hypothermia"),
    "dehydration": st_noop("Dehydration"), "labour": st_noop("In labour"),
    "insulin_missed": st_noop("Insulin missed"), "art_interrupted": st_noop("HIV treatment interrupted"),
    "treatment_interrupted": st_noop("Other treatment interrupted"), "self_harm": st_noop("Self-harm"),
    "catheter_needed": st_noop("Needs a catheter"), "chronic_condition": st_noop("A chronic condition"),
}
DISABILITY = {"mobility": st_noop("Mobility"), "sensory": st_noop("Seeing or hearing"),
              "cognitive": st_noop("Understanding or memory"), "psychosocial": st_noop("Psychosocial")}


def word(table: Mapping[str, str], code: object) -> str:
    """The translated word for ``code``, or the code itself (a value a national team added without a word)."""
    text = table.get(str(code))
    return st(text) if text else str(code)


LTR_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"


def ltr(text: str) -> str:
    """``text`` as a left-to-right island, so that a right-to-left sentence does not turn 2026-11-22 into
    22-11-2026 or reorder the groups of a key fingerprint."""
    return LTR_ISOLATE + text + POP_ISOLATE


def _when(moment: datetime) -> str:
    """Dates on slips are ISO and UTC: unambiguous in every language and easy to read out on the phone."""
    return ltr(moment.astimezone(UTC).strftime("%Y-%m-%d\u00a0%H:%M\u00a0UTC"))


def _language(code: object) -> str:
    info = locale_info(str(code))
    return f"{info.name} ({code})" if info.code != "en" or str(code) == "en" else str(code)


def _person(data: SlipData) -> list[tuple[str, str]]:
    facts = dict(data.person)
    rows = []
    if "sex" in facts:
        rows.append((st("Sex"), word(SEX, facts["sex"])))
    if isinstance(facts.get("age_years"), int):
        rows.append((st("Age"), st("%(years)s years (as stated)", years=facts["age_years"])))
    elif facts.get("age_apparent") in APPARENT_AGE:
        rows.append((st("Age"), word(APPARENT_AGE, facts["age_apparent"])))
    if facts.get("presumed_minor") == "yes":
        rows.append((st("Treated as"), st("A child: while the age is in doubt, the person is treated as a child")))
    return rows


def _communication(data: SlipData) -> list[tuple[str, str]]:
    facts = dict(data.communication)
    rows = []
    if "language" in facts:
        rows.append((st("Language"), _language(facts["language"])))
    if "interpreter_needed" in facts:
        rows.append((st("Interpreter needed"), word(TRI, facts["interpreter_needed"])))
    if "preferred_interviewer_sex" in facts:
        rows.append((st("Interviewer or interpreter preferred"), word(INTERVIEWER, facts["preferred_interviewer_sex"])))
    return rows


def _need(fact: str, value: str) -> str:
    if fact == "medical_emergency":
        return st("Medical emergency: the person was sent to health care first")
    if fact == "medical_conditions":
        return word(MEDICAL, value)
    if fact == "pregnant":
        return st("Pregnant")
    if fact == "sexual_assault_hours_ago":
        return st("Sexual violence less than 72 hours ago: post-exposure prophylaxis cannot wait") if value == "72" \
            else st("Sexual violence less than 120 hours ago: emergency contraception cannot wait")
    if fact == "disability":
        return st("Disability: %(kind)s", kind=word(DISABILITY, value))
    return f"{fact}: {value}"


def _consent(data: SlipData, vocab: Vocabulary) -> list[str]:
    lines = []
    for kind, decision, reason, moment in data.consent:
        params = {"destination": word(DESTINATIONS, kind), "when": _when(moment)}
        if decision == "given":
            lines.append(st("%(destination)s: consent given (recorded %(when)s)", **params))
        elif decision == "kept_by_rule":
            why = st(vocab.consent_reasons.get(reason, reason)) if reason else ""
            lines.append(st("%(destination)s: referred without consent. %(why)s (recorded %(when)s)",
                            why=why, **params))
        else:
            lines.append(st("%(destination)s: consent refused (recorded %(when)s)", **params))
    return lines or [st("No consent record")]


def _follow_up(data: SlipData, deadline: str) -> str:
    """What to do on receipt; an agency off the system is told to call only when the slip gives a number."""
    if data.post_phone:
        return st("Acknowledge receipt by %(deadline)s and say whether you take the case. With access to the "
                  "referral system: answer in your agency's inbox. Without it: call the post, give the "
                  "reference and read out the acknowledgement code.", deadline=deadline)
    return st("Acknowledge receipt by %(deadline)s and say whether you take the case. With access to the referral "
              "system: answer in your agency's inbox. Without it: contact the post named on this slip and give it "
              "the reference and the acknowledgement code.", deadline=deadline)


def slip_texts(data: SlipData, vocab: Vocabulary, form: IdentityForm, fingerprint: str) -> dict[str, object]:
    """Every word the slip prints, in the locale in force; values typed by officials are left as they are."""
    deadline = _when(data.due_at)
    fields = form.fields
    return {
        "lang": locale_info(str(get_locale() or "en")),
        "title": st("Referral slip"),
        "confidential": st("Confidential: personal data for this agency only. Do not copy it or pass it on "
                           "beyond need-to-know."),
        "reference": st("Reference"), "referral": st("Referral"), "issued": st("Date and time"),
        "post": st("Post"), "official": st("Referring official"), "guidelines": st("Guidelines"),
        "to": st("To"), "contact": st("Contact"), "requested_for": st("Referred for"),
        "urgency_label": st("Urgency"), "urgency": word(URGENCY, data.urgency),
        "deadline_label": st("Acknowledge by"), "deadline": deadline,
        "kinds": [word(DESTINATIONS, kind) for kind in data.requested_as],
        "person_heading": st("Person"),
        "only_needed": st("Only the personal data this agency needs is shown."),
        "identity": [(st(fields[name].label) if name in fields else name, value) for name, value in data.identity
                     if name not in fields or fields[name].type != "multiline"],
        "long_texts": [(st(fields[name].label), value) for name, value in data.identity
                       if name in fields and fields[name].type == "multiline"],
        "shortened": st("Shortened to fit the slip; the post keeps the full text.") if data.shortened else "",
        "person": _person(data),
        "communication_heading": st("Language and interpreter"), "communication": _communication(data),
        "why_heading": st("Why this referral"), "categories_label": st("Categories found"),
        "categories": [word(CATEGORIES, code) for code in data.categories] or [st("None recorded")],
        "needs_label": st("Specific needs"),
        "needs": [_need(fact, value) for fact, value in data.needs] or [st("None recorded")],
        "must_not_heading": st("MUST NOT: protection flags for everyone who deals with this person"),
        "must_not": [(code, st(vocab.must_not[code]) if code in vocab.must_not else code) for code in data.must_not],
        "consent_heading": st("Consent as recorded"), "consent": _consent(data, vocab),
        "follow_up_heading": st("Follow-up"),
        "follow_up": _follow_up(data, deadline),
        # The number as stored (digits, spaces, + - and brackets): the template prints it left to right.
        "phone_label": st("Post telephone"), "post_phone": data.post_phone,
        "ack_label": st("Acknowledgement code"),
        "vcode_label": st("Verification code"),
        "authenticity": st("Signed by deployment key %(fingerprint)s. Check the PDF file with "
                           "“referral slips verify”; the post can confirm the verification code of a paper copy.",
                           fingerprint=ltr(fingerprint)),
    }
