"""Administration: users, posts, agencies and their keys (role admin only).

Creating a user, disabling or enabling one, and enrolling an agency key ask for the password again when the
sign-in is more than five minutes old (SECURITY.md P-13). Disabling a user also ends every session of that user,
so a tablet left signed in is signed out at once. Users are addressed by their number in URLs, posts and
agencies by their codes: nothing personal.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import select
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from ..db import get_db
from ..guidelines import current_guidelines
from ..models import Agency, Post, User
from ..services.cases import POST_PHONE_MAX, PostPhoneInvalid, post_phone
from ..services.organisation import (
    OrganisationRefused,
    agencies_by_country,
    create_post,
    enrol_key,
    ensure_agency,
    find_post,
    list_posts,
    pathway_countries,
    set_post_phone,
)
from ..services.users import MAX_PASSWORD, MIN_PASSWORD, PasswordRejected, create_user, find_user, set_user_active
from .access import allow, current_user
from .labels import ROLES, labels
from .reauth import fresh_auth_required
from .sessions import end_sessions_of

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAV = [("admin.users", _l("Users"), ("admin",)), ("admin.posts", _l("Posts"), ("admin",)),
       ("admin.agencies", _l("Agencies"), ("admin",))]

POST_ROLES = ("official", "supervisor")  # must belong to a post; a trainer may
REFUSALS = {
    "code_form": _l("Use 2 to 32 capital letters, digits and dashes."),
    "code_taken": _l("A post with this code exists already."),
    "no_pathway": _l("Choose a country that has a referral pathway."),
    "not_in_pathway": _l("This agency is not in the country's pathway."),
    "key_exists": _l("This agency has a key already. Replacing a key in use is a key rotation."),
    "phone_form": _l("Write a telephone number: digits, spaces, +, - and brackets, at most %(max)s characters.",
                     max=POST_PHONE_MAX),
}


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        InputRequired(message=_l("Enter a user name.")),
        Regexp(r"^[a-z0-9][a-z0-9._-]{2,63}$",
               message=_l("Use 3 to 64 lower-case letters, digits, dots, dashes or underscores."))])
    password = PasswordField(_l("First password"), validators=[
        InputRequired(message=_l("Enter a first password.")),
        Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
               message=_l("A password needs %(low)s to %(high)s characters.", low=MIN_PASSWORD, high=MAX_PASSWORD))])
    confirm = PasswordField(_l("First password again"), validators=[
        InputRequired(message=_l("Enter the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])
    role = SelectField(_l("Role"), choices=[SelectChoice(code, word) for code, word in ROLES.items()],
                       validators=[InputRequired(message=_l("Choose a role."))])
    post = SelectField(_l("Post"), coerce=int, default=0)
    agency = SelectField(_l("Agency"), default="")

    def with_choices(self, posts: list[Post], agencies: dict[str, list]) -> UserForm:
        self.post.choices = [SelectChoice(0, _("None"))] + [SelectChoice(p.id, f"{p.code} ({p.name})") for p in posts]
        self.agency.choices = [SelectChoice("", _("None"))] + [
            SelectChoice(f"{line.country}:{line.kind}", _(line.name), optgroup=line.country.upper())
            for lines in agencies.values() for line in lines if line.state != "not_in_pathway"]
        return self

    def validate_post(self, field: SelectField) -> None:
        if self.role.data in POST_ROLES and not field.data:
            raise ValidationError(_("This role belongs to a post: choose one."))

    def validate_agency(self, field: SelectField) -> None:
        if self.role.data == "agency_officer" and not field.data:
            raise ValidationError(_("An agency officer belongs to an agency: choose one."))


def _phone_field() -> TelField:
    return TelField(_l("Duty telephone"), description=_l(
        "Printed on referral slips, so that an agency without access to the system can call the post. Optional."))


def _check_phone(field: TelField) -> None:
    try:
        post_phone(field.data)
    except PostPhoneInvalid:
        raise ValidationError(str(REFUSALS["phone_form"])) from None


class PostForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("Printed on slips and in case references, e.g. KZ-ALMATY-1."),
                       validators=[InputRequired(message=_l("Enter a code.")),
                                   Length(max=32, message=_l("Use at most 32 characters."))])
    country = SelectField(_l("Country"), validators=[InputRequired(message=_l("Choose a country."))])
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Enter a name.")),
                                               Length(max=200, message=_l("Use at most 200 characters."))])
    phone = _phone_field()

    def validate_phone(self, field: TelField) -> None:
        _check_phone(field)


class PostPhoneForm(FlaskForm):
    phone = _phone_field()

    def validate_phone(self, field: TelField) -> None:
        _check_phone(field)


@bp.context_processor
def words() -> dict[str, object]:
    return labels()


@bp.get("/")
@allow("admin")
def index() -> str:
    return render_template("admin/index.html")


@bp.get("/users")
@allow("admin")
def users() -> str:
    with get_db().read_session() as db:
        people = list(db.exec(select(User).order_by(User.username)))
        posts = {p.id: p for p in db.exec(select(Post))}
        agencies = {a.id: a for a in db.exec(select(Agency))}
    return render_template("admin/users.html", people=people, posts=posts, agencies=agencies)


@bp.route("/users/new", methods=["GET", "POST"])
@allow("admin")
@fresh_auth_required
def new_user() -> str | Response:
    gset = current_guidelines()
    with get_db().read_session() as db:
        form = UserForm().with_choices(list_posts(session=db), agencies_by_country(session=db, gset=gset))
    if not form.validate_on_submit():
        return render_template("admin/user_new.html", form=form)
    role = form.role.data
    with get_db().session() as db:
        if find_user(session=db, username=form.username.data) is not None:
            form.username.errors = [_("This user name is taken.")]
            return render_template("admin/user_new.html", form=form)
        agency_id = None
        if role == "agency_officer":
            country, kind = form.agency.data.split(":", 1)
            agency_id = ensure_agency(session=db, gset=gset, country=country, kind=kind,
                                      actor_id=current_user().id).id
        try:
            create_user(session=db, username=form.username.data, password=form.password.data, role=role,
                        post_id=(form.post.data or None) if role in (*POST_ROLES, "trainer") else None,
                        agency_id=agency_id, actor_id=current_user().id)
        except PasswordRejected:
            form.password.errors = [_("Choose a longer password that is not a common one.")]
            return render_template("admin/user_new.html", form=form)
        db.commit()
    flash(_("User %(name)s is created. Give the first password in person; it can be changed after signing in.",
            name=form.username.data), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/disable")
@allow("admin")
@fresh_auth_required
def disable_user(user_id: int) -> Response:
    if user_id == current_user().id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("admin.users"), code=303)
    _set_active(user_id, False)
    end_sessions_of(current_app, user_id)  # signed out everywhere, now
    flash(_("The user is disabled and signed out everywhere."), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/enable")
@allow("admin")
@fresh_auth_required
def enable_user(user_id: int) -> Response:
    _set_active(user_id, True)
    flash(_("The user can sign in again."), "info")
    return redirect(url_for("admin.users"), code=303)


def _set_active(user_id: int, active: bool) -> None:
    with get_db().session() as db:
        user = db.get(User, user_id)
        if user is None:
            abort(404)
        set_user_active(session=db, user=user, active=active, actor_id=current_user().id)
        db.commit()


@bp.get("/posts")
@allow("admin")
def posts() -> str:
    with get_db().read_session() as db:
        found = list_posts(session=db)
    return render_template("admin/posts.html", posts=found, countries=dict(pathway_countries(current_guidelines())))


@bp.route("/posts/new", methods=["GET", "POST"])
@allow("admin")
def new_post() -> str | Response:
    gset = current_guidelines()
    form = PostForm()
    form.country.choices = [SelectChoice(code, f"{code.upper()}: {_(name)}") for code, name in pathway_countries(gset)]
    if not form.validate_on_submit():
        return render_template("admin/post_new.html", form=form)
    with get_db().session() as db:
        try:
            post = create_post(session=db, gset=gset, code=form.code.data, country=form.country.data,
                               name=form.name.data, phone=form.phone.data, actor_id=current_user().id)
        except OrganisationRefused as refused:
            field = {"no_pathway": form.country, "phone_form": form.phone}.get(refused.reason, form.code)
            field.errors = [REFUSALS[refused.reason]]
            return render_template("admin/post_new.html", form=form)
        db.commit()
    flash(_("Post %(code)s is created.", code=post.code), "info")
    return redirect(url_for("admin.posts"), code=303)


@bp.route("/posts/<code>/phone", methods=["GET", "POST"])
@allow("admin")
@fresh_auth_required  # agencies call this number to confirm a referral: changing it can redirect those calls
def edit_post_phone(code: str) -> str | Response:
    """Set, change or remove a post's duty telephone (the posts made before it existed have none)."""
    with get_db().read_session() as db:
        post = find_post(session=db, code=code)
    if post is None:
        abort(404)
    form = PostPhoneForm(data={"phone": post.phone or ""})
    if not form.validate_on_submit():
        return render_template("admin/post_phone.html", form=form, post=post)
    with get_db().session() as db:
        post = find_post(session=db, code=code)
        set_post_phone(session=db, post=post, phone=form.phone.data, actor_id=current_user().id)
        db.commit()
    flash(_("The duty telephone of post %(code)s is saved.", code=post.code), "info")
    return redirect(url_for("admin.posts"), code=303)


@bp.get("/agencies")
@allow("admin")
def agencies() -> str:
    gset = current_guidelines()
    development = current_app.extensions["referral.settings"].env != "production"
    with get_db().read_session() as db:
        lines = agencies_by_country(session=db, gset=gset, development=development)
    return render_template("admin/agencies.html", lines=lines, countries=dict(pathway_countries(gset)),
                           development=development)


@bp.post("/agencies/<country>/<kind>/key")
@allow("admin")
@fresh_auth_required
def enrol(country: str, kind: str) -> Response:
    """Generate a key pair for an agency without one; the private half stays in the keys folder."""
    with get_db().session() as db:
        try:
            key = enrol_key(session=db, vault=current_app.extensions["vault"], gset=current_guidelines(),
                            country=country, kind=kind, actor_id=current_user().id)
        except OrganisationRefused as refused:
            if refused.reason == "not_in_pathway":
                abort(404)
            flash(str(REFUSALS[refused.reason]), "error")
            return redirect(url_for("admin.agencies"), code=303)
        db.commit()
    flash(_("A key is enrolled. Its fingerprint is %(fingerprint)s: pin it in the pathway file.",
            fingerprint=key.fingerprint), "info")
    return redirect(url_for("admin.agencies"), code=303)
