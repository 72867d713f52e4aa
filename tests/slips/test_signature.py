"""Slips are authentic and safe to hand over (SECURITY.md P-24): any changed byte, or another deployment's key,
fails verification; file names and PDF metadata carry no personal data."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from referral.services import slips
from referral.services.slip_signature import MARKER, check_pdf, signed_by
from referral.vault import Vault, provision_keys
from tests.slips.conftest import by_kind, markers


@pytest.fixture
def slip(app, make, render):
    made = make()
    return made, render(by_kind(made, "unhcr"))


@pytest.fixture
def other_vault(tmp_path):
    """The vault of another deployment: other keys."""
    keys = tmp_path / "other" / "keys"
    provision_keys(keys, keys / "kek")
    return Vault.load(keys, keys / "kek")


def test_a_fresh_slip_is_genuine_from_this_deployment(app, slip):
    made, produced = slip
    check = slips.check_slip(app.extensions["vault"], produced.pdf)
    assert check.genuine and check.untouched and check.trusted
    assert check.referral_id == by_kind(made, "unhcr").id
    assert check.verification_code == produced.verification_code


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), delta=st.integers(min_value=1, max_value=255))
def test_changing_any_one_byte_fails_verification(app, slip, position, delta):
    _made, produced = slip
    data = bytearray(produced.pdf)
    index = int(position * len(data))
    data[index] = (data[index] + delta) % 256
    assert not slips.check_slip(app.extensions["vault"], bytes(data)).genuine


def test_every_byte_of_the_signature_block_is_covered(app, slip):
    _made, produced = slip
    start = produced.pdf.index(MARKER)
    for index in range(start, start + 420):
        data = bytearray(produced.pdf)
        data[index] ^= 0x01
        assert not slips.check_slip(app.extensions["vault"], bytes(data)).genuine, index


@pytest.mark.parametrize("change", ["append", "truncate", "second block", "no block"])
def test_additions_removals_and_a_second_block_fail(app, slip, change):
    _made, produced = slip
    pdf = produced.pdf
    start = pdf.index(MARKER)
    altered = {"append": pdf + b"\n%extra\n", "truncate": pdf[:-10],
               "second block": pdf + pdf[start:start + 400],
               "no block": pdf.replace(MARKER, b"%XXX-SLIP-SIGNATURE v1\n")}[change]
    assert not slips.check_slip(app.extensions["vault"], altered).genuine


def test_another_deployments_key_does_not_make_a_slip_genuine(app, slip, other_vault):
    _made, produced = slip
    # Verified with the other deployment's key: not genuine there (it does not trust ours) ...
    there = slips.check_slip(other_vault, produced.pdf)
    assert there.untouched and not there.trusted and not there.genuine
    # ... and checked against the other key as the signer, the signature does not hold.
    assert not signed_by(produced.pdf, other_vault.verify_slip, other_vault.signing_public_key)
    assert signed_by(produced.pdf, app.extensions["vault"].verify_slip, app.extensions["vault"].signing_public_key)
    # A slip re-signed by someone holding the other key does not pass here either.
    forged = produced.pdf.replace(app.extensions["vault"].signing_public_key.hex().encode(),
                                  other_vault.signing_public_key.hex().encode())
    begin = forged.index(b"pdf-signature: ") + len(b"pdf-signature: ")
    zeroed = forged[:begin] + b"0" * 128 + forged[begin + 128:]
    from referral.services.slip_signature import sign_pdf

    resigned = sign_pdf(zeroed, other_vault.sign_slip)
    assert check_pdf(resigned, other_vault.verify_slip, [other_vault.signing_public_key]).genuine
    assert not slips.check_slip(app.extensions["vault"], resigned).genuine
    # Unless this deployment is told to trust that key.
    assert slips.check_slip(app.extensions["vault"], resigned, [other_vault.signing_public_key]).genuine


def test_no_personal_data_in_the_file_name_or_the_pdf_metadata(app, slip):
    made, produced = slip
    assert produced.filename == f"referral-slip-{by_kind(made, 'unhcr').id}.pdf"
    reader = PdfReader(io.BytesIO(produced.pdf))
    info = {key: str(value) for key, value in (reader.metadata or {}).items()}
    assert set(info) <= {"/Title", "/Creator", "/Producer"}, info
    assert info["/Title"] == "Referral slip"
    xmp = reader.xmp_metadata
    exposed = " ".join(info.values()) + produced.filename + (str(xmp.rdf_root.toxml()) if xmp else "")
    for value in list(markers(made.identity).values()) + [made.identity["phone"], made.identity["date_of_birth"]]:
        assert value not in exposed
    # The signature block: ids, a key and signatures only.
    block = produced.pdf[produced.pdf.index(MARKER):][:600].split(b"pdf-signature: ")[0].decode("ascii")
    assert re.fullmatch(r"%BRT-SLIP-SIGNATURE v1\ndeployment-key: [0-9a-f]{64}\nreferral: [0-9a-f]{32}\n"
                        r"data-signature: [0-9a-f]{128}\n", block)


def test_the_same_referral_gives_the_same_codes_in_any_language(app, slip, render):
    made, produced = slip
    again = render(by_kind(made, "unhcr"), language="ru", second_language="en")
    assert (again.verification_code, again.acknowledgement_code) == (produced.verification_code,
                                                                      produced.acknowledgement_code)
    other = render(by_kind(made, "health"))
    assert other.verification_code != produced.verification_code
    assert other.acknowledgement_code != produced.acknowledgement_code
