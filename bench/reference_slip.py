"""The ReportLab reference slip of PERFORMANCE.md G3: the referral slip drawn with ReportLab's platypus, for cost.

    .venv/bin/python bench/reference_slip.py            # render the real slips and their references; compare
    .venv/bin/python bench/reference_slip.py --out DIR  # ... and write the four PDFs there to look at

G3 asks that a slip cost at most 10 times this reference, measured in the same session (§5.2: a ratio against a
reference run at the same time cancels out how busy the machine is). It is a reference for cost, **not a
product**: ReportLab shapes Arabic script only with the optional ``uharfbuzz`` and ``rlbidi`` packages, which
the ``bench`` extra does not install, so the Dari words here are drawn letter by letter, unjoined and left to
right. WeasyPrint (Pango and HarfBuzz) shapes them and lays them out right to left; that is part of what the
real slip pays for.

To be an honest reference it does the same work as ``referral.services.slips.render_slip`` except the page
layout: it gathers the slip's data from the sealed case (``slip_data.gather``), signs it to get the verification
and acknowledgement codes, words it with ``slip_text.slip_texts`` in the agency's language (those functions are
called, not copied), makes the same QR code (``slips._qr``), draws the same parts in the same order (the head
with the QR code, the urgency box, the head table, the must-not box, the person and the reasons in two columns,
the long texts, the authenticity note, a running footer with "page n / m"), embeds the same Noto Sans files from
referral/static/fonts (subset by ReportLab), and signs the finished file. Runs of Arabic script are set in Noto
Sans Arabic and everything else in Noto Sans, as the slip's stylesheet does; the bidi isolates that slip_text puts
around dates (U+2066..U+2069) are dropped, since ReportLab without rlbidi would draw them as missing glyphs.
``main`` prints page counts and extracted text length of both, so that a drift of either shows.
ReportLab's optional C accelerator (``rl_accel``) is not installed: here it changed the reference by less than
the machine's noise.
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FONTS = ROOT / "referral" / "static" / "fonts"
_ARABIC = re.compile("([\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
                     "[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d ]*)")
_ISOLATES = dict.fromkeys(range(0x2066, 0x206A))
_registered = False


def register_fonts() -> None:
    """Register the slip's four Noto Sans files with ReportLab, once per process (as the renderer keeps its
    FontConfiguration)."""
    global _registered  # noqa: PLW0603 - ReportLab's font registry is itself process-wide
    if _registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for family, files in (("SlipSans", ("NotoSans-Regular", "NotoSans-Bold")),
                          ("SlipArabic", ("NotoSansArabic-Regular", "NotoSansArabic-Bold"))):
        regular, bold = family, family + "-Bold"
        pdfmetrics.registerFont(TTFont(regular, str(FONTS / f"{files[0]}.ttf")))
        pdfmetrics.registerFont(TTFont(bold, str(FONTS / f"{files[1]}.ttf")))
        for italic in (0, 1):
            addMapping(family, 0, italic, regular)
            addMapping(family, 1, italic, bold)
    _registered = True


def rich(text: object) -> str:
    """``text`` as Paragraph markup: escaped, with its Arabic-script runs in Noto Sans Arabic."""
    plain = escape(str(text).translate(_ISOLATES))
    return _ARABIC.sub(lambda m: f'<font face="SlipArabic">{m.group(1)}</font>', plain)


class _Styles:
    """The slip stylesheet's sizes (slip.css), as ReportLab paragraph styles; right-aligned for a right-to-left
    slip."""

    def __init__(self, rtl: bool) -> None:
        from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm

        self.rtl = rtl
        align = TA_RIGHT if rtl else TA_LEFT
        base = ParagraphStyle("base", fontName="SlipSans", fontSize=8.6, leading=8.6 * 1.32, alignment=align,
                              spaceAfter=1 * mm)
        self.p = base
        self.h1 = ParagraphStyle("h1", base, fontName="SlipSans-Bold", fontSize=15, leading=18, spaceAfter=1 * mm)
        self.h2 = ParagraphStyle("h2", base, fontName="SlipSans-Bold", fontSize=9.5, leading=12.5,
                                 spaceBefore=1.8 * mm, spaceAfter=0.4 * mm)
        self.h3 = ParagraphStyle("h3", base, fontName="SlipSans-Bold", spaceBefore=1.5 * mm, spaceAfter=0.5 * mm)
        self.bold = ParagraphStyle("bold", base, fontName="SlipSans-Bold")
        self.confidential = ParagraphStyle("confidential", self.bold, fontSize=7.8, leading=7.8 * 1.32)
        self.level = ParagraphStyle("level", self.bold, fontSize=11, leading=14, spaceAfter=0.5 * mm)
        self.li = ParagraphStyle("li", base, leftIndent=4.5 * mm, bulletIndent=1.9 * mm, spaceAfter=0.5 * mm)
        self.cell = ParagraphStyle("cell", base, spaceAfter=0)
        self.th = ParagraphStyle("th", self.cell, fontName="SlipSans-Bold")
        self.note = ParagraphStyle("note", base, fontSize=7.5, leading=7.5 * 1.32, textColor="#333333")
        self.ack = ParagraphStyle("ack", base, fontSize=10, leading=13.2, spaceBefore=1 * mm)
        self.code = ParagraphStyle("code", self.bold, fontSize=8, alignment=TA_CENTER, spaceAfter=0)
        self.small = ParagraphStyle("small", base, fontSize=7, leading=9.2, textColor="#333333")
        self.foot = ParagraphStyle("foot", self.small, alignment=TA_CENTER)

    def row(self, cells: list) -> list:
        """A table row in reading order: the slip's tables run from the right on a right-to-left slip."""
        return cells[::-1] if self.rtl else cells


def _heading(text: object, styles: _Styles, rule: bool = True) -> list:
    from reportlab.platypus import HRFlowable, Paragraph

    heading = [Paragraph(rich(text), styles.h2)]
    return heading + ([HRFlowable(width="100%", thickness=0.6, color="#000000", spaceAfter=0.8 * 2.835)]
                      if rule else [])


def _bullets(items: list, styles: _Styles) -> list:
    from reportlab.platypus import Paragraph

    return [Paragraph(rich(item), styles.li, bulletText="•") for item in items]


def _fields(rows: list[tuple[object, object]], styles: _Styles, width: float) -> object:
    from reportlab.platypus import Paragraph, Table, TableStyle

    table = Table([styles.row([Paragraph(rich(label), styles.th), Paragraph(rich(value), styles.cell)])
                   for label, value in rows] or [["", ""]], colWidths=styles.row([0.38 * width, 0.62 * width]))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, "#bbbbbb"),
                               *_padding(0.6, 1.2)]))
    return table


def _padding(vertical: float, horizontal: float) -> list[tuple]:
    """Cell padding in millimetres, as slip.css gives it (ReportLab's default is 3 pt by 6 pt)."""
    v, h = vertical * 2.835, horizontal * 2.835
    return [("TOPPADDING", (0, 0), (-1, -1), v), ("BOTTOMPADDING", (0, 0), (-1, -1), v),
            ("LEFTPADDING", (0, 0), (-1, -1), h), ("RIGHTPADDING", (0, 0), (-1, -1), h)]


def story(T: dict, context: dict, styles: _Styles, width: float) -> list:  # noqa: N803 - T as the template names it
    """The slip's flowables, part by part in the template's order (templates/slips/referral.html)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Image, Paragraph, Spacer, Table, TableStyle

    row = styles.row
    qr_png = base64.b64decode(context["qr"].split(",", 1)[1])
    qr = [Image(io.BytesIO(qr_png), 23 * mm, 23 * mm), Paragraph(rich(context["vcode"]), styles.code)]
    top = Table([row([[Paragraph(rich(T["title"]), styles.h1), Paragraph(rich(T["confidential"]), styles.confidential)],
                      qr])], colWidths=row([width - 29 * mm, 29 * mm]))
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_padding(0, 0)]))

    immediate = context["urgency"] == "immediate"
    urgency = Table([[[Paragraph(rich(T["urgency"]), styles.level),
                       Paragraph(f"{rich(T['deadline_label'])}: <b>{rich(T['deadline'])}</b>", styles.cell)]]],
                    colWidths=[width])
    urgency.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 2.6 if immediate else 1.6, "#000000"), *_padding(1, 2.5)]
                                + ([("BACKGROUND", (0, 0), (-1, -1), "#f2f2f2")] if immediate else [])))

    head_rows = [("reference", context["reference"], "issued", context["issued"]),
                 ("post", context["post"], "official", context["official"]),
                 ("to", context["agency"], "contact", context["agency_contact"]),
                 ("requested_for", "; ".join(T["kinds"]), "guidelines", context["guidelines"])]
    head = Table([row([Paragraph(rich(T[a]), styles.th), Paragraph(rich(b), styles.cell),
                       Paragraph(rich(T[c]), styles.th), Paragraph(rich(d), styles.cell)]) for a, b, c, d in head_rows],
                 colWidths=row([0.17 * width, 0.33 * width] * 2))
    labels = (1, 3) if styles.rtl else (0, 2)
    head.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#777777"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              *_padding(0.8, 1.4), *[("BACKGROUND", (c, 0), (c, -1), "#efefef") for c in labels]]))

    must_not = Table([[_heading(T["must_not_heading"], styles, rule=False)
                       + [Paragraph(f"<b>{rich(code)}</b> {rich(text)}", styles.li, bulletText="•")
                          for code, text in T["must_not"]]]], colWidths=[width])
    must_not.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.4, "#000000"), *_padding(0, 2.5),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 * mm)]))

    column = (width - 5 * mm) / 2
    person = (_heading(T["person_heading"], styles) + [_fields(list(T["identity"]) + list(T["person"]), styles, column),
              Paragraph(rich(T["only_needed"] + (" " + T["shortened"] if T["shortened"] else "")), styles.note)]
              + _heading(T["communication_heading"], styles) + [_fields(T["communication"], styles, column)])
    why = (_heading(T["why_heading"], styles) + [Paragraph(rich(T["categories_label"]), styles.h3)]
           + _bullets(T["categories"], styles) + [Paragraph(rich(T["needs_label"]), styles.h3)]
           + _bullets(T["needs"], styles) + _heading(T["consent_heading"], styles) + _bullets(T["consent"], styles)
           + _heading(T["follow_up_heading"], styles) + [Paragraph(rich(T["follow_up"]), styles.p)])
    if T.get("post_phone"):
        why.append(Paragraph(f"{rich(T['phone_label'])}: <b>{rich(T['post_phone'])}</b>", styles.ack))
    why.append(Paragraph(f"{rich(T['ack_label'])}: <b>{rich(context['ack_code'])}</b>", styles.ack))
    columns = Table([row([person, why])], colWidths=[column + 2.5 * mm] * 2, splitInRow=1)
    columns.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_padding(0, 0),  # 5 mm between the two
                                 ("RIGHTPADDING", (0, 0), (0, -1), 2.5 * mm),
                                 ("LEFTPADDING", (1, 0), (1, -1), 2.5 * mm)]))

    flowables = [top, urgency, head, Spacer(1, 2 * mm), must_not, columns]
    for label, value in T["long_texts"]:
        flowables += _heading(label, styles) + [Paragraph(rich(line), styles.cell) for line in value.split("\n")]
    flowables += [Spacer(1, 2 * mm), HRFlowable(width=width, thickness=0.4, color="#999999", spaceAfter=2.8),
                  Paragraph(rich(T["authenticity"]), styles.small)]
    return flowables


def _numbered_canvas(footer: str, style: object):  # noqa: ANN202
    """A canvas class that keeps its pages until the end, to print "page n / m" in the running footer."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            width = self._pagesize[0] - 26 * mm
            for state in self._pages:
                self.__dict__.update(state)
                line = Paragraph(f"{footer}   ·   {self._pageNumber} / {total}", style)
                line.wrapOn(self, width, 10 * mm)
                line.drawOn(self, 13 * mm, 6 * mm)
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(T: dict, context: dict) -> bytes:  # noqa: N803
    """The slip as a PDF drawn by ReportLab (A4, the slip's margins)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    register_fonts()
    styles = _Styles(T["lang"].direction == "rtl")
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=13 * mm, rightMargin=13 * mm, topMargin=11 * mm,
                                 bottomMargin=14 * mm, title=T["title"], creator="Border Referral Toolkit")
    footer = rich(f"{T['referral']} {context['referral_id']} · {T['vcode_label']} {context['vcode']}")
    document.build(story(T, context, styles, document.width), canvasmaker=_numbered_canvas(footer, styles.foot))
    return out.getvalue()


def render_reference(*, session, vault, gset, form, referral) -> bytes:  # noqa: ANN001
    """The reference slip of ``referral``: render_slip's gathering, signing and wording, drawn by ReportLab.

    Needs an app context, as render_slip does (the wording uses the app's catalogues).
    """
    from flask_babel import force_locale

    from referral.i18n import locale_info
    from referral.models import utc
    from referral.services import slip_signature as signature
    from referral.services import slips
    from referral.services.slip_data import gather
    from referral.services.slip_text import slip_texts

    data = gather(session=session, vault=vault, gset=gset, form=form, referral=referral)
    data_signature = vault.sign_slip(signature.data_message(data.canonical()))
    vcode, ack = signature.verification_code(data_signature), slips.acknowledgement_code(vault, referral.id)
    with force_locale(locale_info(data.language).code):
        texts = slip_texts(data, gset.vocab, form, signature.key_fingerprint(vault.signing_public_key))
    # The values _html gives the template beside the texts, formatted the same way.
    context = {"urgency": data.urgency, "referral_id": data.referral_id, "reference": data.reference,
               "issued": utc(data.created_at).strftime("%Y-%m-%d %H:%M UTC"),
               "post": f"{data.post_name} ({data.post_code}, {data.country})", "official": data.official,
               "agency": data.agency, "agency_contact": data.agency_contact,
               "guidelines": ", ".join(f"{tree} {version}" for tree, version in data.guidelines),
               "vcode": vcode, "ack_code": ack, "qr": slips._qr(data.reference, data.referral_id, vcode)}  # noqa: SLF001
    pdf = build_pdf(texts, context)
    vault.sign_slip(signature.pdf_message(pdf))  # the real slip signs its file too
    return pdf


def describe(pdf: bytes) -> tuple[int, int]:
    """(pages, characters of extracted text without white space) of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), len(re.sub(r"\s+", "", text))


def compare(app, referrals, out: Path | None = None) -> list[dict[str, object]]:  # noqa: ANN001
    """The real slip and the reference of each referral: pages, text length and size of both."""
    from referral.db import get_db
    from referral.engine import load_guidelines
    from referral.services import slips
    from referral.services.intake import load_identity_form

    settings = app.extensions["referral.settings"]
    gset, form, vault = load_guidelines(settings.guidelines_dir), load_identity_form(settings.forms_dir), \
        app.extensions["vault"]
    rows = []
    with app.app_context(), get_db(app).read_session() as db:
        for referral in referrals:
            real = slips.render_slip(session=db, vault=vault, gset=gset, form=form, referral=referral).pdf
            reference = render_reference(session=db, vault=vault, gset=gset, form=form, referral=referral)
            (real_pages, real_chars), (ref_pages, ref_chars) = describe(real), describe(reference)
            rows.append({"kind": referral.kind, "real_pages": real_pages, "reference_pages": ref_pages,
                         "real_chars": real_chars, "reference_chars": ref_chars,
                         "real_kb": len(real) / 1024, "reference_kb": len(reference) / 1024})
            if out:
                (out / f"{referral.kind}-weasyprint.pdf").write_bytes(real)
                (out / f"{referral.kind}-reportlab.pdf").write_bytes(reference)
    return rows


def main() -> None:
    import secrets

    sys.path.insert(0, str(ROOT / "bench"))
    from slips_bench import prepare

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the real and the reference PDFs to this folder")
    args = parser.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reference-slip-") as temporary:
        app, referrals = prepare(Path(temporary) / "data", secrets.token_urlsafe(32))
        for row in compare(app, referrals, args.out):
            print(f"{row['kind']}: pages WeasyPrint {row['real_pages']} / ReportLab {row['reference_pages']}; "
                  f"text (characters, no white space) {row['real_chars']} / {row['reference_chars']}; "
                  f"size {row['real_kb']:.0f} / {row['reference_kb']:.0f} KB")


if __name__ == "__main__":
    main()
