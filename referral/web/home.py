"""The home page: what this installation is, and which guidelines and pathways it runs on."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..guidelines import current_guidelines

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    gset = current_guidelines()
    return render_template("home/index.html", trees=gset.trees,
                           pathways=sorted(gset.pathways.values(), key=lambda p: p.country))
