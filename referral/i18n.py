"""Languages: the locales we offer, the direction their script runs, and which locale a page is shown in.

Two languages meet on one screen: the official's interface language, and the person's language, in which the
phrases to say are shown. Each is a ``LocaleInfo``; templates mark every text with its own ``lang`` and ``dir``.
Display names are ours, in each language's own name, because Babel has no `prs` (Dari is `fa_AF`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, request, session
from flask_babel import force_locale, get_locale

from .extensions import babel

DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class LocaleInfo:
    code: str  # the catalogue's folder name under translations/ (Babel's form: fa_AF)
    name: str  # the language's own name, shown in menus
    direction: str = "ltr"
    interface: bool = False  # the official's interface is offered in this language

    @property
    def tag(self) -> str:
        """The BCP 47 tag for `lang` attributes (fa-AF)."""
        return self.code.replace("_", "-")


LOCALES: dict[str, LocaleInfo] = {info.code: info for info in (
    LocaleInfo("en", "English", interface=True),
    LocaleInfo("ru", "Русский", interface=True),
    LocaleInfo("kk", "Қазақ тілі"),
    LocaleInfo("ky", "Кыргызча"),
    LocaleInfo("tg", "Тоҷикӣ"),
    LocaleInfo("uz", "Oʻzbekcha"),
    LocaleInfo("tk", "Türkmençe"),
    LocaleInfo("fa_AF", "دری", "rtl"),
    LocaleInfo("ps", "پښتو", "rtl"),
    LocaleInfo("az", "Azərbaycanca"),
    LocaleInfo("tr", "Türkçe"),
    LocaleInfo("ar", "العربية", "rtl"),
)}

# The person's language as FACTS.md writes it (ISO 639) mapped to our catalogue code.
LANGUAGE_TO_LOCALE = {"prs": "fa_AF", "fa": "fa_AF"}


def language_fact(code: str) -> str:
    """The ``language`` fact (ISO 639, as FACTS.md writes it) for one of our catalogue codes: fa_AF is Dari, prs."""
    return "prs" if code == "fa_AF" else code.split("_")[0]


def locale_info(code: str | None) -> LocaleInfo:
    """The LocaleInfo of a catalogue code or ISO 639 language code; English when unknown."""
    code = LANGUAGE_TO_LOCALE.get(code or "", code or "")
    return LOCALES.get(code) or LOCALES.get(code.split("_")[0]) or LOCALES[DEFAULT_LOCALE]


def text_direction(code: str) -> str:
    return locale_info(code).direction


def interface_locales() -> list[LocaleInfo]:
    return [info for info in LOCALES.values() if info.interface]


def select_locale() -> str:
    """The interface locale, chosen in this order:

    1. the language the official picked in the menu (kept in the server-side session);
    2. the browser's preference among the interface languages;
    3. English.
    """
    chosen = session.get("locale") if _has_session() else None
    if chosen in LOCALES and LOCALES[chosen].interface:
        return chosen
    offered = [info.code for info in interface_locales()]
    return request.accept_languages.best_match(offered) or DEFAULT_LOCALE


def _has_session() -> bool:
    try:
        return session is not None and bool(current_app.secret_key)
    except RuntimeError:
        return False


def current_locale() -> LocaleInfo:
    return locale_info(str(get_locale() or DEFAULT_LOCALE))


@contextmanager
def in_person_locale(code: str | None) -> Iterator[LocaleInfo]:
    """Render texts for the person (the phrases to say) in the person's language."""
    info = locale_info(code)
    with force_locale(info.code):
        yield info


def configure(app: Flask) -> None:
    translations = str(app.extensions["referral.settings"].translations_dir)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)

    @app.context_processor
    def locale_context() -> dict[str, object]:
        info = current_locale()
        return {"locale": info, "locale_tag": info.tag, "locale_direction": info.direction,
                "interface_locales": interface_locales()}
