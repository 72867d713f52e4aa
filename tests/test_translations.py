"""The translation catalogues: they parse, keep their placeholders, cover what they must, and say they are drafts.

Russian is a full interface language, so every message has a Russian text. The phrases said to or shown to the
person (the extractor marks them "Translators: said to or shown to the person") exist at least in Russian, Dari,
Pashto, Tajik and Uzbek; the official's own texts in those catalogues fall back to English.

Drafts are machine-made. Each filled entry carries the translator comment "draft: awaiting review by a native
speaker", and each catalogue says "X-Review-Status: draft - ..." in its header. The fuzzy flag is not used for
drafts: gettext skips fuzzy entries, and the person would then see English.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from referral import create_app
from referral.config import PROJECT_ROOT
from referral.i18n import LOCALES, in_person_locale

TRANSLATIONS = PROJECT_ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
CATALOGUES = {path.parents[1].name: path for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))}
PERSON_FACING = "said to or shown to the person"
PERSON_LOCALES = ("ru", "fa_AF", "ps", "tg", "uz")  # issue 5 item 6: the person-facing phrases at least in these
COMPLETE_LOCALES = ("ru",)  # interface languages besides English: every message translated
DRAFT_STATUS = "X-Review-Status: draft"
DRAFT_COMMENT = "draft: awaiting review by a native speaker"

# Python %-placeholders as gettext and Flask-Babel use them: %(name)s and bare %s / %d.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]")
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
LATIN_LETTER = re.compile("[A-Za-z]")
SCRIPTS = {"ru": CYRILLIC, "tg": CYRILLIC, "ky": CYRILLIC, "kk": CYRILLIC, "fa_AF": ARABIC_SCRIPT,
           "ps": ARABIC_SCRIPT, "ar": ARABIC_SCRIPT, "uz": LATIN_LETTER, "tk": LATIN_LETTER, "az": LATIN_LETTER,
           "tr": LATIN_LETTER}


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def texts(value: str | tuple[str, ...] | None) -> list[str]:
    """The msgid or msgstr as a list: one text, or one per plural form."""
    if not value:
        return []
    return [value] if isinstance(value, str) else [text for text in value if text]


def is_person_facing(message) -> bool:
    return PERSON_FACING in " ".join(message.auto_comments)


def person_facing_ids() -> list[str | tuple[str, ...]]:
    return [message.id for message in load(TEMPLATE) if message.id and is_person_facing(message)]


def translated(message) -> bool:
    """Usable by gettext: not fuzzy, and every plural form filled."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms) and "fuzzy" not in message.flags


def test_the_required_catalogues_exist():
    assert set(PERSON_LOCALES) <= set(CATALOGUES), f"missing catalogues: {set(PERSON_LOCALES) - set(CATALOGUES)}"
    assert person_facing_ids(), "messages.pot holds no phrase said to the person: is the extractor comment gone?"


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_catalogue_parses_and_passes_babel_checks(locale):
    catalog = load(CATALOGUES[locale])
    assert str(catalog.locale) == locale
    assert locale in LOCALES, f"{locale} has a catalogue but no LocaleInfo in referral/i18n.py"
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert not problems


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_placeholders_in_each_translation_match_the_message_id(locale):
    wrong = []
    for message in load(CATALOGUES[locale]):
        if not message.id or not texts(message.string):
            continue
        if message.pluralizable:  # a plural form may leave the number out ("one file"), but adds nothing new
            allowed = {name for text in message.id for name in PLACEHOLDER.findall(text)}
            wrong += [(message.id, text) for text in texts(message.string)
                      if not set(PLACEHOLDER.findall(text)) <= allowed]
            continue
        expected = Counter(PLACEHOLDER.findall(message.id))
        wrong += [(message.id, text) for text in texts(message.string)
                  if Counter(PLACEHOLDER.findall(text)) != expected]
    assert not wrong


@pytest.mark.parametrize("locale", COMPLETE_LOCALES)
def test_interface_language_catalogue_has_no_empty_or_fuzzy_translation(locale):
    missing = [message.id for message in load(CATALOGUES[locale]) if message.id and not translated(message)]
    assert not missing, f"{len(missing)} messages without a usable {locale} translation, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", PERSON_LOCALES)
def test_every_phrase_for_the_person_is_translated(locale):
    catalog = load(CATALOGUES[locale])
    missing = [msgid for msgid in person_facing_ids() if not (catalog.get(msgid) and translated(catalog.get(msgid)))]
    assert not missing, f"{len(missing)} phrases for the person without a {locale} translation, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", sorted(set(CATALOGUES) & set(SCRIPTS)))
def test_translations_are_written_in_the_languages_script(locale):
    script = SCRIPTS[locale]
    wrong = [message.id for message in load(CATALOGUES[locale]) if message.id
             for text in texts(message.string) if not script.search(text)]
    assert not wrong


@pytest.mark.parametrize("locale", sorted(code for code in CATALOGUES if LOCALES.get(code) and
                                          LOCALES[code].direction == "rtl"))
def test_right_to_left_catalogues_hold_arabic_script_text(locale):
    strings = [text for message in load(CATALOGUES[locale]) if message.id for text in texts(message.string)]
    assert strings, f"{locale} has no translation at all"
    assert all(ARABIC_SCRIPT.search(text) for text in strings)


def test_dari_uses_persian_letters_and_pashto_its_own():
    dari = " ".join(text for message in load(CATALOGUES["fa_AF"]) for text in texts(message.string) if message.id)
    pashto = " ".join(text for message in load(CATALOGUES["ps"]) for text in texts(message.string) if message.id)
    assert "\u064a" not in dari and "\u0643" not in dari, "Dari is written with Persian ی and ک, not Arabic ي and ك"
    assert set("ټډړږښګڼېۍ") <= set(pashto), "Pashto text without Pashto letters: is it Dari or Arabic?"


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_catalogue_header_says_it_is_a_draft(locale):
    """The status is a header field; it is also kept in the header comment, which `pybabel update` preserves."""
    header = CATALOGUES[locale].read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert DRAFT_STATUS in header


@pytest.mark.parametrize("locale", sorted(CATALOGUES))
def test_draft_entries_are_not_fuzzy(locale):
    fuzzy = [message.id for message in load(CATALOGUES[locale])
             if message.id and DRAFT_COMMENT in message.user_comments and "fuzzy" in message.flags]
    assert not fuzzy, "a fuzzy entry is not compiled: drop the flag once the draft text fits the message again"


def app_with_catalogues_compiled(settings, tmp_path):  # noqa: ANN001, ANN201
    """The app on the catalogues as they are in the tree, compiled as `pybabel compile` does."""
    compiled = tmp_path / "translations"
    for locale, path in CATALOGUES.items():
        target = compiled / locale / "LC_MESSAGES" / "messages.mo"
        target.parent.mkdir(parents=True)
        with target.open("wb") as handle:
            write_mo(handle, load(path))
    return create_app(replace(settings, translations_dir=compiled))


def test_the_app_speaks_the_draft_to_the_person(settings, tmp_path):
    """Compiled as `pybabel compile` does, a Dari phrase reaches the page under the person's locale."""
    app = app_with_catalogues_compiled(settings, tmp_path)
    phrase = "Do you need a doctor now?"
    dari = load(CATALOGUES["fa_AF"]).get(phrase).string
    assert ARABIC_SCRIPT.search(dari)
    with app.test_request_context():
        with in_person_locale("prs") as info:  # Dari as FACTS.md writes it
            assert (info.code, info.direction) == ("fa_AF", "rtl")
            assert gettext(phrase) == dari
        with force_locale("ru"):
            assert CYRILLIC.search(gettext("Sign in"))
        with force_locale("fa_AF"):
            assert gettext("Sign in") == "Sign in"  # the official's interface falls back to English


def test_the_kept_catalogue_follows_every_change_of_locale_in_one_request(settings, tmp_path):
    """``referral.i18n.gettext`` and the templates' ``_()`` keep the catalogue per locale, not per request: a
    phrase for the person in the middle of a Russian page is Dari, and the page is Russian again after it."""
    from flask import render_template_string

    from referral.i18n import gettext as kept_gettext

    app = app_with_catalogues_compiled(settings, tmp_path)
    phrase, russian = "Do you need a doctor now?", load(CATALOGUES["ru"]).get("Sign in").string
    dari = load(CATALOGUES["fa_AF"]).get(phrase).string
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert kept_gettext("Sign in") == russian == render_template_string("{{ _('Sign in') }}")
        with in_person_locale("fa_AF"):
            assert kept_gettext(phrase) == dari == render_template_string("{{ _(p) }}", p=phrase)
            with in_person_locale("ps"):
                assert ARABIC_SCRIPT.search(kept_gettext(phrase)) and kept_gettext(phrase) != dari
            assert kept_gettext(phrase) == dari
        assert kept_gettext("Sign in") == russian == render_template_string("{{ _('Sign in') }}")
        assert kept_gettext("Question %(number)s", number=3) == gettext("Question %(number)s", number=3)
