"""The home page, and the interface language menu."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..guidelines import current_guidelines
from ..i18n import LOCALES
from .access import public

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def index() -> str:
    gset = current_guidelines()
    return render_template("home/index.html", trees=gset.trees,
                           pathways=sorted(gset.pathways.values(), key=lambda p: p.country))


@bp.post("/language")
@public
def set_language() -> Response:
    """Keep the official's interface language; unknown codes are ignored, never echoed."""
    code = request.form.get("locale", "")
    if code in LOCALES and LOCALES[code].interface:
        session["locale"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"), code=303)


def _safe_next(target: str | None) -> str | None:
    """Only a local path: the menu must not become an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
