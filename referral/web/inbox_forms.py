"""Forms of the inbox and of the post's referral page: answer a referral, confirm receipt, confirm by phone.

Every validator has its own translated message. A refusal's reason is a code from a fixed list (kept in clear
for statistics and the post's follow-up), never free text, so that nothing personal lands in a clear column.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..services.delivery import DECLINE_REASONS

REASONS = {
    "outside_mandate": _l("Outside our mandate"),
    "no_capacity": _l("No capacity at the moment"),
    "person_not_reached": _l("We could not reach the person"),
    "already_assisted": _l("Already assisted by us"),
    "referred_elsewhere": _l("Passed on to another agency"),
    "other": _l("Another reason (tell the post by phone)"),
}
assert set(REASONS) == set(DECLINE_REASONS)


def _reason_field() -> SelectField:
    return SelectField(_l("Reason for declining"), validate_choice=False,
                       choices=[SelectChoice("", _l("Choose a reason"))]
                       + [SelectChoice(code, word) for code, word in REASONS.items()])


def _reason_needed(form: FlaskForm, declined: bool) -> bool:
    """A refusal needs a reason from the list; anything else leaves the reason empty."""
    if declined and form.reason.data not in REASONS:
        form.reason.errors = [_l("Choose the reason for declining.")]
        return False
    return True


class AnswerForm(FlaskForm):
    decision = RadioField(_l("Your answer"), choices=[SelectChoice("accepted", _l("We take the case")),
                                                      SelectChoice("declined", _l("We decline the case"))],
                          validators=[InputRequired(message=_l("Choose whether you take the case."))])
    reason = _reason_field()

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        return super().validate(extra_validators) and _reason_needed(self, self.decision.data == "declined")


class ReceiptForm(FlaskForm):
    """Only the CSRF token: receipt needs no other input."""


class PhoneForm(FlaskForm):
    code = StringField(_l("Acknowledgement code read out by the agency"),
                       validators=[InputRequired(message=_l("Type the code the agency read out.")),
                                   Length(max=20, message=_l("This code is too long."))])
    outcome = RadioField(_l("What the agency said"), default="received",
                         choices=[SelectChoice("received", _l("Received the referral; no answer yet")),
                                  SelectChoice("accepted", _l("Takes the case")),
                                  SelectChoice("declined", _l("Declines the case"))],
                         validators=[InputRequired(message=_l("Choose what the agency said."))])
    reason = _reason_field()

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        return super().validate(extra_validators) and _reason_needed(self, self.outcome.data == "declined")
