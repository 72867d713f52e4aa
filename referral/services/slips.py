"""Referral slips: gather what one referral's slip says, word it in the agency's language, render it with
WeasyPrint, sign it with the vault's Ed25519 key; record whether it could be produced; check a slip file.

A slip is never stored (it holds personal data): it is rendered from the sealed case whenever it is asked for,
and signed each time; the same case gives the same words and the same codes. ``Referral.slip_status`` says
whether a slip has been produced yet. When rendering fails (an error, the time limit, a blocked fetch), the case
and its referrals stay saved, the slip stays *pending*, and it is produced later: on download, or by
``referral slips render`` (SECURITY.md R-05).

File names and PDF metadata carry the referral id and generic words only (P-24): see ``slip_filename`` and the
signature block in slip_signature.py.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..i18n import locale_info
from ..models import Case, Referral, now_utc, utc
from ..vault import Vault
from . import audit
from . import slip_signature as signature
from .intake import IdentityForm
from .slip_data import SlipData, SlipUnavailable, gather
from .slip_pdf import Renderer, RenderFailed
from .slip_signature import SlipCheck
from .slip_text import preload_catalogues, slip_texts

__all__ = ["RenderFailed", "Slip", "SlipCheck", "SlipUnavailable", "acknowledgement_code", "check_slip",
           "produce_pending", "render_slip", "slip_filename"]

RENDER_TIME_LIMIT = 5.0  # seconds; a warm slip takes about a tenth of a second
SECOND_LANGUAGE = None  # the agency's language only; a caller may ask for labels in a second language too
TRUSTED_KEYS_FILE = "trusted-slip-keys"  # in the keys folder: other deployments' keys, hex, one per line
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Slip:
    referral_id: str
    pdf: bytes
    verification_code: str
    acknowledgement_code: str

    @property
    def filename(self) -> str:
        return slip_filename(self.referral_id)


def slip_filename(referral_id: str) -> str:
    """The slip's file name: the referral id only, never anything about the person."""
    return f"referral-slip-{referral_id}.pdf"


def renderer() -> Renderer:
    """This process's renderer (created, and WeasyPrint imported, on first use)."""
    found = current_app.extensions.get("referral.slip_renderer")
    if found is None:
        found = current_app.extensions["referral.slip_renderer"] = Renderer()
    return found


# Something of everything a slip has (the four faces, a table, a list, a right-to-left paragraph, an image), so
# that the fonts are loaded and shaped and the layout code has run once before the first real slip.
WARM_UP_PAGE = ('<html lang="ru"><body><h1>Направление Әә Ққ</h1><table class="head"><tr><th>Ұлжан</th>'
                '<td>+7 700</td></tr></table><ul><li><b>MN01</b> Ңң Өө Үү Һһ Іі</li></ul>'
                '<p lang="fa" dir="rtl"><b>برگهٔ ارجاع</b> پښتو ټ ډ ړ ږ ښ ګ ڼ ۍ ې</p>'
                '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABAQAAAAA3bvkkAAAACklEQVR4nGNg'
                'AAAAAgAB4iG8MwAAAABJRU5ErkJggg==" alt=""></body></html>')


def warm_up() -> float:
    """Import WeasyPrint, read the fonts and render a small page now (seconds taken), so that a worker's first
    real slip is as fast as the others (G3: ≤ 600 ms). Call it once per worker, e.g. from gunicorn's
    ``post_worker_init``, inside an app context."""
    started = time.perf_counter()
    renderer().pdf(WARM_UP_PAGE, seconds=RENDER_TIME_LIMIT)
    current_app.jinja_env.get_template("slips/referral.html")  # compiled once, cached by Jinja
    preload_catalogues()
    return time.perf_counter() - started


def acknowledgement_code(vault: Vault, referral_id: str) -> str:
    """The code an agency off the system reads back by phone; only this deployment can make it."""
    return signature.acknowledgement_code(vault.sign_slip(signature.ack_message(referral_id)))


def _second(primary: str, second: str | None) -> str | None:
    code = locale_info(second).code if second else None
    return code if code and code != primary else None


def _embed(block: bytes) -> Callable:
    """A WeasyPrint finisher that adds the signature block as an uncompressed stream of the catalogue."""
    def finish(_document, pdf) -> None:  # noqa: ANN001
        import pydyf

        stream = pydyf.Stream([block], {"Type": "/BRTSlipSignature"}, compress=False)
        pdf.add_object(stream)
        pdf.catalog["BRTSlipSignature"] = stream.reference

    return finish


def direction_of(text: str) -> str:
    """The direction of a typed value, from its first letter (Unicode's rule P2): a Dari name in a Russian slip
    runs right to left, a Latin name in a Dari slip left to right, with its punctuation where it belongs. A value
    without letters (a telephone number, a date) runs left to right, so that its groups keep their order."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _qr(reference: str, referral_id: str, code: str) -> str:
    import segno

    # A fixed mask: choosing the best of eight costs more than the rest of the QR code, and any mask scans.
    # One pixel a module, as a PNG that the stylesheet scales up without smoothing: WeasyPrint draws an SVG
    # code path by path in Python (about 15 ms a slip), and its long data: URI slows the HTML parser too.
    return segno.make(f"BRT1 {reference} {referral_id} {code}", error="m", mask=2, micro=False) \
        .png_data_uri(border=0, scale=1)


def _html(data: SlipData, vault: Vault, gset: GuidelineSet, form: IdentityForm, second: str | None,
          codes: tuple[str, str]) -> str:
    fingerprint = signature.key_fingerprint(vault.signing_public_key)
    primary = locale_info(data.language).code
    other = _second(primary, second)
    texts_other = None
    if other:
        with force_locale(other):
            texts_other = slip_texts(data, gset.vocab, form, fingerprint)
    with force_locale(primary):
        texts = slip_texts(data, gset.vocab, form, fingerprint)
        return current_app.jinja_env.get_template("slips/referral.html").render(
            T=texts, T2=texts_other, urgency=data.urgency, referral_id=data.referral_id, reference=data.reference,
            issued=utc(data.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            post=f"{data.post_name} ({data.post_code}, {data.country})", official=data.official,
            agency=data.agency, agency_contact=data.agency_contact, guidelines=data.guidelines,
            vcode=codes[0], ack_code=codes[1], qr=_qr(data.reference, data.referral_id, codes[0]),
            dir_of=direction_of)


def render_slip(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm, referral: Referral,
                second_language: str | None = SECOND_LANGUAGE, time_limit: float | None = None,
                language: str | None = None) -> Slip:
    """The signed PDF slip of ``referral``, in the agency's slip language (or ``language``).

    Writes nothing; raises SlipUnavailable or RenderFailed when there can be no slip now. ``time_limit`` in
    seconds (None: RENDER_TIME_LIMIT; 0: none).
    """
    data = gather(session=session, vault=vault, gset=gset, form=form, referral=referral)
    if language:
        data = replace(data, language=locale_info(language).code)
    data_signature = vault.sign_slip(signature.data_message(data.canonical()))
    codes = (signature.verification_code(data_signature), acknowledgement_code(vault, referral.id))
    html = _html(data, vault, gset, form, second_language, codes)
    block = signature.signature_block(vault.signing_public_key, referral.id, data_signature)
    seconds = RENDER_TIME_LIMIT if time_limit is None else time_limit
    pdf = renderer().pdf(html, finisher=_embed(block), seconds=seconds)
    return Slip(referral.id, signature.sign_pdf(pdf, vault.sign_slip), *codes)


def record_result(*, session: Session, referral: Referral, produced: bool, reason: str = "",
                  actor_id: int | None = None, post_id: int | None = None, now: datetime | None = None,
                  audited: bool = True) -> None:
    """Note that a slip was produced (the first time) or failed; caller commits.

    A failure is always audited. A success is audited here unless the caller audits the action itself (a
    download is one event, not two).
    """
    if produced:
        if referral.slip_status != "ready":
            referral.slip_status, referral.slip_at = "ready", utc(now) or now_utc()
            session.add(referral)
            if audited:
                audit.record(session, action="slip.produced", actor_id=actor_id, post_id=post_id,
                             object_type="referral", object_id=referral.id)
        return
    log.warning("slip of referral %s pending: %s", referral.id, reason)
    audit.record(session, action="slip.failed", actor_id=actor_id, post_id=post_id, object_type="referral",
                 object_id=referral.id, detail={"reason": reason})


def produce_pending(*, database, vault: Vault, gset: GuidelineSet, form: IdentityForm,  # noqa: ANN001
                    case_id: str | None = None, actor_id: int | None = None,
                    sink: Callable[[Slip], None] | None = None) -> list[tuple[str, str]]:
    """Try every pending slip (of one case, or all): (referral id, "ready" or the failure reason) for each.

    This is the retry job of R-05, and what a submission calls once its case is committed: a failure is
    recorded and the slip stays pending; nothing is raised. ``sink`` receives each slip produced.
    """
    with database.read_session() as db:
        query = select(Referral).where(Referral.slip_status == "pending", Referral.status.not_in(("held", "erased")),
                                       Referral.agency_id.is_not(None))
        if case_id:
            query = query.where(Referral.case_id == case_id)
        referrals = list(db.exec(query.order_by(Referral.due_at, Referral.id)))
    results = []
    for referral in referrals:
        results.append((referral.id, produce_one(database=database, vault=vault, gset=gset, form=form,
                                                 referral=referral, actor_id=actor_id, sink=sink)))
    return results


def produce_one(*, database, vault: Vault, gset: GuidelineSet, form: IdentityForm, referral: Referral,  # noqa: ANN001
                actor_id: int | None = None, sink: Callable[[Slip], None] | None = None,
                second_language: str | None = SECOND_LANGUAGE) -> str:
    """Render one slip (reading only), then record the outcome in a short write; "ready" or the reason."""
    slip, reason = None, ""
    with database.read_session() as db:
        try:
            slip = render_slip(session=db, vault=vault, gset=gset, form=form, referral=referral,
                               second_language=second_language)
        except RenderFailed as exc:
            reason = exc.reason
        except SlipUnavailable as exc:
            return exc.reason
        case = db.get(Case, referral.case_id)
    with database.session() as db:
        row = db.get(Referral, referral.id)
        record_result(session=db, referral=row, produced=slip is not None, reason=reason, actor_id=actor_id,
                      post_id=case.post_id if case else None)
        db.commit()
    if slip is not None and sink is not None:
        sink(slip)
    return "ready" if slip is not None else reason


def trusted_keys(vault: Vault, extra: Iterable[bytes] = ()) -> list[bytes]:
    """Keys whose slips this deployment calls genuine: its own, the keys file's, and any given."""
    keys = [vault.signing_public_key, *extra]
    path = Path(vault.keys_dir) / TRUSTED_KEYS_FILE
    if path.is_file():
        for line in path.read_text(encoding="ascii", errors="replace").splitlines():
            token = line.split("#", 1)[0].strip()
            if len(token) == 64:
                try:
                    keys.append(bytes.fromhex(token))
                except ValueError:
                    continue
    return keys


def check_slip(vault: Vault, pdf: bytes, extra_keys: Iterable[bytes] = ()) -> SlipCheck:
    """Whether ``pdf`` is a genuine, untouched slip of a trusted deployment."""
    return signature.check_pdf(pdf, vault.verify_slip, trusted_keys(vault, extra_keys))


def check_verification_code(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm,
                            referral: Referral, code: str) -> bool:
    """Whether ``code`` (read from a paper slip) is the verification code of ``referral``'s slip as stored."""
    data = gather(session=session, vault=vault, gset=gset, form=form, referral=referral)
    expected = signature.verification_code(vault.sign_slip(signature.data_message(data.canonical())))
    return signature.same_code(code, expected)
