"""Error pages that say what happened in general words and never echo the request, its input or a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Sign in first."),
    403: _l("You are not allowed to do this."),
    404: _l("There is nothing here."),
    405: _l("This action is not possible here."),
    413: _l("What was sent is too large."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing you entered has been shared. Try again."),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        return render_template("errors/error.html", code=code, message=MESSAGES.get(code, MESSAGES[400])), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # The exception's type and place are enough to find the bug; its message may hold input, so it is not logged.
        log.error("unhandled %s in %s", type(error).__name__, _where(error))
        return render_template("errors/error.html", code=500, message=MESSAGES[500]), InternalServerError.code


def _where(error: Exception) -> str:
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is None:
        return "?"
    return f"{trace.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{trace.tb_lineno}"
