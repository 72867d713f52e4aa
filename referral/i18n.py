"""Languages: which locale a page is shown in, and the direction its text runs.

The full language menu and the person's-language phrases come with the screening pages; this module is the one
place that decides the locale, so they will extend it rather than add another.
"""

from __future__ import annotations

from flask import Flask, request

from .extensions import babel

# Locales whose script runs right to left. Dari is fa_AF: Babel has no `prs` locale.
RTL_LOCALES = frozenset({"fa", "fa_AF", "ps", "ar", "ug"})
DEFAULT_LOCALE = "en"


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LOCALES or locale.split("_")[0] in RTL_LOCALES else "ltr"


def select_locale() -> str:
    """The interface locale: the browser's preference among the catalogues we ship, else English."""
    available = [str(locale) for locale in babel.list_translations()]
    return request.accept_languages.best_match(available) or DEFAULT_LOCALE


def configure(app: Flask) -> None:
    translations = str(app.extensions["referral.settings"].translations_dir)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)

    @app.context_processor
    def locale_context() -> dict[str, str]:
        from flask_babel import get_locale

        tag = str(get_locale() or DEFAULT_LOCALE)
        return {"locale_tag": tag.replace("_", "-"), "locale_direction": text_direction(tag)}
