"""Languages: the locales we offer, the direction their script runs, and which locale a page is shown in.

Two languages meet on one screen: the official's interface language, and the person's language, in which the
phrases to say are shown. Each is a ``LocaleInfo``; templates mark every text with its own ``lang`` and ``dir``.
Display names are ours, in each language's own name, because Babel has no `prs` (Dari is `fa_AF`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, g, request, session
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import gettext as babel_gettext

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


def request_translations():  # noqa: ANN201 - a babel.support.Translations
    """The catalogue of the locale in force, looked up again only when that locale changes.

    Flask-Babel finds the catalogue anew on every call (request context, domain, locale, cache key): about 10 µs,
    paid some fifty times by every page. Its per-request namespace keeps the locale object in force, which
    ``force_locale`` swaps for another and then restores, so the catalogue is kept beside the locale object it was
    found for. Should Flask-Babel keep that namespace differently one day, this finds the catalogue every time,
    as before: slower, never wrong.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    kept = getattr(state, "referral_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.referral_translations = (locale, translations)
    return translations


def gettext(text: str, **variables: object) -> str:
    """``flask_babel.gettext`` with the catalogue found once per locale (``request_translations``)."""
    if not g:
        return babel_gettext(text, **variables)
    translated = request_translations().ugettext(text)
    return translated % variables if variables else translated


def configure(app: Flask) -> None:
    translations = str(app.extensions["referral.settings"].translations_dir)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)
    # The templates' _() and friends, with the catalogue found once per locale rather than on every call.
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: request_translations().ugettext(text),
        ngettext=lambda one, many, count: request_translations().ungettext(one, many, count),
        pgettext=lambda context, text: request_translations().upgettext(context, text),
        npgettext=lambda context, one, many, count: request_translations().unpgettext(context, one, many, count),
        newstyle=True)

    @app.context_processor
    def locale_context() -> dict[str, object]:
        info = current_locale()
        return {"locale": info, "locale_tag": info.tag, "locale_direction": info.direction,
                "interface_locales": interface_locales()}
