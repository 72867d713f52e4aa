"""Slips in English, Russian, Kazakh and Dari: rendered, turned into PNG pages (kept under test-artifacts/slips
for people to look at), read back as text; the shipped fonts cover the region's letters; HarfBuzz subsets them.
"""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from referral.services import slip_pdf
from referral.services.slip_pdf import PACKAGE_FILES
from tests.slips.conftest import by_kind, pdf_fonts, pdf_pages, pdf_text, set_slip_language

# Names and notes in the scripts of the region: Kazakh (Ә Ғ Қ Ң Ө Ұ Ү Һ І), Kyrgyz (Ң Ө Ү), Tajik (Ғ Ӣ Қ Ӯ Ҳ Ҷ),
# Dari and Pashto (ټ ډ ړ ږ ښ ګ ڼ ۍ ې).
IDENTITY = {"given_name": "Әйгерім Ұлжан", "family_name": "Нұрланқызы", "date_of_birth": "2009-03-04",
            "document_number": "N1234567", "phone": "+7 700 000 00 00", "nationality": "AF",
            "notes": "Кыргызча: Өмүр Үмүт Ңаң. Тоҷикӣ: Ҷамшед Ӯғилой Ҳамид Ғафур Қодир Ӣ.\n"
                     "دری: احمد ولی. پښتو: ګل ښځه ځوان لیکوالۍ ټول ډېر ړوند ږغ ڼ."}
WORDS = {  # the slip's title and two labels, in the slip's language
    "en": ("Referral slip", "Acknowledgement code", "MUST NOT"),
    "ru": ("Направление", "Код подтверждения", "ЗАПРЕЩЕНО"),
    "kk": ("Жолдама", "Растау коды", "ТЫЙЫМ САЛЫНАДЫ"),
    "fa_AF": ("ارجاع", "کد تأیید دریافت", "ممنوع"),  # pdftotext sets the hamza of برگهٔ apart
}
REGION_LETTERS = {
    "Kazakh": "ӘәҒғҚқҢңӨөҰұҮүҺһІі", "Kyrgyz": "ҢңӨөҮү", "Tajik": "ҒғӢӣҚқӮӯҲҳҶҷ", "Russian": "ЁёЙйЪъЫыЭэЮюЯя",
    "Uzbek": "OʻoʻGʻgʻ", "Turkmen": "ÄäÇçŇňÖöŞşÜüÝýŽž", "Azerbaijani": "ƏəĞğIıİiÖöŞşÜü",
    "Dari": "پچژکگی", "Pashto": "ټډړږښګڼۍېځڅ", "Uyghur": "ۆۇۈۋېى", "Arabic": "ةءأإ",
}


@pytest.mark.parametrize("code", list(WORDS))
def test_a_slip_in_each_language_is_one_or_two_a4_pages_in_its_script(app, make, render, tmp_path, code):
    made = make(identity=IDENTITY)
    referral = by_kind(made, "unhcr")
    set_slip_language(app, referral.agency_id, code)
    slip = render(referral)
    pages = pdf_pages(slip.pdf, f"slip-{code}-unhcr")
    assert 1 <= len(pages) <= 2
    assert all(page.stat().st_size > 20_000 for page in pages[:1])  # a page with content, not a blank one
    reader = PdfReader(__import__("io").BytesIO(slip.pdf))
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842 for p in reader.pages)
    text = pdf_text(slip.pdf, tmp_path)
    for word in WORDS[code]:
        assert word in text, (code, word)
    for word in ("Әйгерім", "Ұлжан", "Нұрланқызы", "Өмүр", "Ңаң", "Ҷамшед", "Ӯғилой", "Ҳамид", "Ғафур", "Қодир"):
        assert word in text, (code, word)
    assert "+7 700 000 00 00" in text and "+000 000 0001" in text  # a Dari slip does not reverse the groups
    assert slip.acknowledgement_code in text and slip.verification_code in text
    assert made.case.reference in text
    fonts = pdf_fonts(slip.pdf, tmp_path)
    assert "SlipSans" in fonts and "SlipArabic" in fonts  # the Dari and Pashto notes need the Arabic face
    assert "DejaVu" not in fonts and "Liberation" not in fonts  # nothing fell back to a system font


def test_dari_slip_runs_right_to_left_and_keeps_dates_and_codes_whole(app, make, render, tmp_path):
    made = make(identity=IDENTITY)
    referral = by_kind(made, "health")
    set_slip_language(app, referral.agency_id, "fa_AF")
    slip = render(referral, second_language="en")
    pdf_pages(slip.pdf, "slip-fa_AF-health-with-english", resolution=100)
    text = pdf_text(slip.pdf, tmp_path)
    assert "شماره قضیه" in text and "Referral slip" in text  # the labels in both languages
    assert referral.due_at.strftime("%Y-%m-%d") in text  # not turned into 22-11-2026 by the right-to-left line
    assert "ګل" in text and "ښځه" in text and "لیکوالۍ" in text
    assert "103" in text and "2009-03-04" in text  # numbers keep their order in a right-to-left slip


def test_the_shipped_fonts_cover_every_letter_of_the_regions_alphabets():
    faces = [TTFont(PACKAGE_FILES / "fonts" / name).getBestCmap()
             for name in ("NotoSans-Regular.ttf", "NotoSansArabic-Regular.ttf")]
    for language, letters in REGION_LETTERS.items():
        missing = [ch for ch in letters if not any(ord(ch) in cmap for cmap in faces)]
        assert missing == [], (language, missing)
    assert (PACKAGE_FILES / "fonts" / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE Version 1.1") == 1


def test_weasyprint_subsets_fonts_with_harfbuzz_not_fonttools(app, make, render, monkeypatch):
    """libharfbuzz-subset0 (installed by deploy/install.sh) makes slips about three times faster (STACK.md)."""
    assert slip_pdf.uses_harfbuzz_subsetter(), "libharfbuzz-subset0 is missing: apt-get install libharfbuzz-subset0"
    from weasyprint.pdf import fonts

    used = []
    original = fonts.Font._harfbuzz_subset
    monkeypatch.setattr(fonts.Font, "_harfbuzz_subset", lambda self, *a: (used.append(1), original(self, *a))[1])

    def fonttools(*_args):
        raise AssertionError("WeasyPrint fell back to fontTools subsetting")

    monkeypatch.setattr(fonts.Font, "_fonttools_subset", fonttools)
    render(by_kind(make(), "health"))
    assert used


def test_a_worker_can_warm_the_renderer_up_before_its_first_slip(app):
    from referral.services import slips

    with app.app_context():
        assert slips.warm_up() < slips.RENDER_TIME_LIMIT
        assert "referral.slip_renderer" in app.extensions


def test_the_qr_code_is_printed_module_for_module_and_sharp(app, make, render, tmp_path):
    import subprocess

    import segno
    from PIL import Image

    made = make(identity=IDENTITY)
    referral = by_kind(made, "health")
    slip = render(referral)
    source = tmp_path / "slip.pdf"
    source.write_bytes(slip.pdf)
    subprocess.run(["pdfimages", "-png", str(source), str(tmp_path / "image")], check=True, capture_output=True)
    images = sorted(tmp_path.glob("image-*.png"))
    assert len(images) == 1
    printed = Image.open(images[0]).convert("L")
    content = f"BRT1 {made.case.reference} {referral.id} {slip.verification_code}"
    modules = [[printed.getpixel((x, y)) < 128 for x in range(printed.width)] for y in range(printed.height)]
    # No decoder at hand: the printed modules must be those of the content under one of the eight masks.
    assert any(modules == [[bool(bit) for bit in row] for row in segno.make(content, error="m", mask=mask,
                                                                             micro=False).matrix]
               for mask in range(8))
    assert b"/Interpolate false" in slip.pdf  # scaled up without smoothing into grey


def test_a_render_pauses_the_collector_and_gives_memory_back_after_it(app, make, render, monkeypatch):
    import gc

    seen = []
    monkeypatch.setattr(slip_pdf, "_release_memory", lambda: seen.append(gc.isenabled()))
    render(by_kind(make(identity=IDENTITY), "health"))
    assert seen == [True] and gc.isenabled()  # once per slip, with the collector back on
