"""P-03 and P-28, R-05: keys stay apart, the app fails closed without them, and rotation leaves the old KEK useless."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlmodel import select

from referral import create_app
from referral.cli import main
from referral.config import PROJECT_ROOT
from referral.models import AuditEvent, Case
from referral.services.cases import open_case
from referral.services.keys import rotate_kek
from referral.vault import KeyFileUnsafe, KeyMissing, SealedDataInvalid, Vault
from referral.vault.keys import NEXT_KEK_FILE, read_key_file
from tests.storage.factories import make_case, make_people, open_session


def test_only_the_vault_imports_cryptography():
    offenders = []
    for path in (PROJECT_ROOT / "referral").rglob("*.py"):
        if "vault" in path.relative_to(PROJECT_ROOT / "referral").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "cryptography"]
    assert offenders == []


def test_no_key_no_start(store_settings):
    store_settings.kek_file.unlink()
    with pytest.raises(KeyMissing):
        create_app(store_settings)


def test_a_key_file_others_can_read_stops_the_start(store_settings):
    store_settings.kek_file.chmod(0o644)
    with pytest.raises(KeyFileUnsafe):
        create_app(store_settings)


def test_without_its_keys_the_command_fails_and_writes_no_database(tmp_path):
    env = {**os.environ, "REFERRAL_DATA_DIR": str(tmp_path / "empty"), "REFERRAL_ENV": "testing"}
    result = subprocess.run([sys.executable, "-m", "referral.cli", "audit", "verify"], env=env,
                            capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode != 0 and "referral init" in result.stderr
    assert not (tmp_path / "empty" / "referral.sqlite3").exists()


def test_the_kek_may_come_from_the_environment(store_settings):
    key = read_key_file(store_settings.kek_file)
    store_settings.kek_file.unlink()
    import base64

    app = create_app(store_settings.with_overrides(kek_from_env=base64.b64encode(key).decode()))
    assert app.extensions["vault"].current_kek_id


def test_rotation_rewraps_every_case_and_the_old_kek_opens_none(store_app, store_settings):
    vault, database = store_app.extensions["vault"], store_app.extensions["referral.db"]
    old_kek = read_key_file(store_settings.kek_file)
    with open_session(store_app) as session:
        people = make_people(session)
        cases = [make_case(store_app, session, people) for _ in range(5)]
        count = rotate_kek(session=session, database=database, vault=vault, actor_id=people.admin.id)
        assert count == 5
        assert not store_settings.kek_file.with_name(NEXT_KEK_FILE).exists()
        assert read_key_file(store_settings.kek_file) != old_kek
        old_vault = Vault.load(store_settings.keys_dir, store_settings.kek_file)
        old_vault._keyring.keys = {old_vault.current_kek_id: old_kek}  # noqa: SLF001 - an attacker's copy
        for case in session.exec(select(Case)):
            assert case.kek_id == vault.current_kek_id
            with pytest.raises(SealedDataInvalid):
                old_vault.open_case_payload(case.id, case.seal_count, case.sealed_payload, case.wrapped_key,
                                            old_vault.current_kek_id)
        for case in cases:
            assert open_case(session=session, vault=vault, user=people.official, reference=case.reference).payload
        rotations = session.exec(select(AuditEvent).where(AuditEvent.action == "keys.rotate")).all()
        assert [e.detail for e in rotations] == ['{"cases":5}']


def test_an_interrupted_rotation_still_opens_everything_and_finishes_when_run_again(store_app, store_settings):
    vault, database = store_app.extensions["vault"], store_app.extensions["referral.db"]
    with open_session(store_app) as session:
        people = make_people(session)
        cases = [make_case(store_app, session, people) for _ in range(3)]
        target = vault.begin_rotation()  # killed here: the next KEK is on disk, nothing re-wrapped yet
        fresh = Vault.load(store_settings.keys_dir, store_settings.kek_file)  # a restarted process
        for case in cases:
            assert fresh.open_case_payload(case.id, 1, case.sealed_payload, case.wrapped_key, case.kek_id)
        assert rotate_kek(session=session, database=database, vault=fresh) == 3
        assert fresh.current_kek_id == target


def test_init_is_safe_twice_and_import_prints_references(tmp_path):
    env = {"REFERRAL_DATA_DIR": str(tmp_path / "data"), "REFERRAL_ENV": "testing",
           "REFERRAL_GUIDELINES_DIR": str(PROJECT_ROOT / "guidelines" / "demo"),
           "REFERRAL_ADMIN_PASSWORD": "a-long-test-password"}
    runner = CliRunner()
    first = runner.invoke(main, ["init"], env=env, catch_exceptions=False)
    second = runner.invoke(main, ["init"], env=env, catch_exceptions=False)
    assert first.exit_code == second.exit_code == 0
    assert "created the administrator 'admin'" in first.output and "exists already" in second.output
    cases = json.loads((PROJECT_ROOT / "deploy" / "demo-cases.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        case["post"] = "XD-01"  # the demonstration guideline set knows only Demoland (XD)
    import_file = tmp_path / "cases.json"
    import_file.write_text(json.dumps({"posts": [{"code": "XD-01", "country": "xd"}], "cases": cases}))
    result = runner.invoke(main, ["cases", "import", str(import_file)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(cases) and all(line.startswith("XD-01-") for line in lines)
    verify = runner.invoke(main, ["audit", "verify"], env=env, catch_exceptions=False)
    assert verify.exit_code == 0 and "intact" in verify.output
    rotate = runner.invoke(main, ["keys", "rotate"], env=env, catch_exceptions=False)
    assert rotate.exit_code == 0 and "re-wrapped" in rotate.output
    purge = runner.invoke(main, ["cases", "purge"], env=env, catch_exceptions=False)
    assert purge.exit_code == 0 and "0 cases shredded" in purge.output
