"""`referral slips render REF --out DIR` (a batch print at the post), `verify FILE.pdf`, `check-code`, `key`."""

from __future__ import annotations

import stat

from sqlmodel import func, select

from referral.db import get_db
from referral.models import AuditEvent
from referral.vault import provision_keys
from tests.conftest import ready_app
from tests.slips.conftest import by_kind


def cli(app, *args: str):  # noqa: ANN201
    return app.test_cli_runner().invoke(args=["slips", *args])


def test_render_writes_every_slip_of_a_case_for_the_owner_only(app, make, tmp_path):
    made = make()
    out = tmp_path / "print"
    result = cli(app, "render", made.case.reference.lower(), "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    expected = sorted(f"referral-slip-{r.id}.pdf" for r in made.referrals if r.status != "held")
    assert [f.name for f in files] == expected
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert "personal data" in result.output  # the official is told what these files are
    for value in made.identity.values():
        assert value.split("\n")[0] not in result.output
    with get_db(app).read_session() as db:
        written = db.exec(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "slip.written")).one()
    assert written == len(expected)


def test_render_refuses_an_unknown_case_and_needs_a_reference_or_pending(app, staff):
    assert cli(app, "render", "XD-01-NOTHING").exit_code != 0
    assert cli(app, "render").exit_code != 0


def test_verify_says_genuine_untouched_and_from_which_deployment(app, make, tmp_path, settings):
    made = make()
    cli(app, "render", made.case.reference, "--out", str(tmp_path))
    slip = tmp_path / f"referral-slip-{by_kind(made, 'unhcr').id}.pdf"
    key_line = cli(app, "key").output.strip()
    fingerprint = key_line.split("fingerprint ")[1]
    good = cli(app, "verify", str(slip))
    assert good.exit_code == 0 and "GENUINE: signed by this deployment" in good.output and fingerprint in good.output

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(slip.read_bytes())
    data[len(data) // 2] ^= 0x20
    tampered.write_bytes(bytes(data))
    bad = cli(app, "verify", str(tampered))
    assert bad.exit_code == 1 and "changed after it was signed" in bad.output

    other_settings = settings.with_overrides(data_dir=tmp_path / "other-deployment")
    provision_keys(other_settings.keys_dir, other_settings.kek_file)
    other = ready_app(other_settings)
    elsewhere = cli(other, "verify", str(slip))
    assert elsewhere.exit_code == 1 and "does not trust" in elsewhere.output and fingerprint in elsewhere.output
    trusted = cli(other, "verify", str(slip), "--trust", key_line.split()[0])
    assert trusted.exit_code == 0 and "GENUINE: signed by a trusted deployment" in trusted.output
    get_db(other).dispose()


def test_check_code_confirms_the_verification_code_of_a_paper_slip(app, make, render):
    made = make()
    referral = by_kind(made, "health")
    code = render(referral).verification_code
    assert cli(app, "check-code", referral.id, code.lower()).exit_code == 0
    assert cli(app, "check-code", referral.id, "ZZZZ-ZZZZ").exit_code == 1
    assert cli(app, "check-code", by_kind(made, "unhcr").id, code).exit_code == 1
