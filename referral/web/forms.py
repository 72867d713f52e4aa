"""Hand-written forms (sign-in, password). Every validator carries its own translated message, because WTForms
ships no catalogue for most of the region's languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..services.users import MAX_PASSWORD, MIN_PASSWORD


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[InputRequired(message=_l("Enter your user name.")),
                                                         Length(max=64, message=_l("This user name is too long."))])
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Enter your password.")),
        Length(max=MAX_PASSWORD, message=_l("This password is too long."))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        InputRequired(message=_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[
        InputRequired(message=_l("Enter a new password.")),
        Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
               message=_l("A password needs %(low)s to %(high)s characters.", low=MIN_PASSWORD, high=MAX_PASSWORD))])
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(message=_l("Enter the new password again.")),
        EqualTo("new", message=_l("The two new passwords are not the same."))])
