"""WTForms classes for the identity step, built from forms/identity.yaml once per set of fields asked.

Which fields are asked depends on the destinations chosen, so a class is built for each set of field names (and
cached: the classes are not built per request). Every validator carries its own translated message, because
WTForms ships no catalogue for most of the region's languages; no message repeats the value, which is personal.
The service (``IdentityForm.clean``) checks the same rules again before anything is stored in a case.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput, TelInput

from ..services.intake import IdentityField, load_identity_form


def _one_line(_form: FlaskForm, field: StringField) -> None:
    if any(ch in (field.data or "") for ch in "\r\n"):
        raise ValidationError(_l("Write this on one line."))


def _iso_date(_form: FlaskForm, field: StringField) -> None:
    try:
        date.fromisoformat(field.data or "")
    except ValueError:
        raise ValidationError(_l("Write the date as year-month-day, for example 1990-07-25.")) from None


def _pattern(spec: IdentityField):  # noqa: ANN202 - a WTForms validator
    if spec.type == "phone":
        message = _l("Use only digits, spaces and the signs + - ( ).")
    else:
        message = _l("This field does not take some of the characters entered. Remove them and try again.")

    def check(_form: FlaskForm, field: StringField) -> None:
        if spec.pattern is not None and not spec.pattern.fullmatch(field.data or ""):
            raise ValidationError(message)

    return check


def _field(spec: IdentityField) -> StringField:
    validators = [InputRequired(message=_l("This field is needed.")) if spec.required else Optional(),
                  Length(max=spec.max_length, message=_l("Use at most %(max)d characters."))]
    if spec.type != "multiline":
        validators.append(_one_line)
    if spec.type == "date":
        validators.append(_iso_date)
    if spec.pattern is not None:
        validators.append(_pattern(spec))
    options = {"validators": validators, "description": _l(spec.help) if spec.help else "",
               "render_kw": {"maxlength": spec.max_length, "spellcheck": "false"}}
    if spec.type == "multiline":
        return TextAreaField(_l(spec.label), **options)
    if spec.type == "date":
        return StringField(_l(spec.label), widget=DateInput(), **options)
    if spec.type == "phone":
        options["render_kw"]["inputmode"] = "tel"
        return StringField(_l(spec.label), widget=TelInput(), **options)
    return StringField(_l(spec.label), **options)


@lru_cache(maxsize=64)
def identity_form_class(forms_dir: Path, names: tuple[str, ...]) -> type[FlaskForm]:
    """The form class asking exactly the fields ``names`` (in that order)."""
    specs = load_identity_form(forms_dir).fields
    return type("IdentityStepForm", (FlaskForm,), {name: _field(specs[name]) for name in names})
