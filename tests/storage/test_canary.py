"""P-01 (and P-03 b): 200 canary cases imported; no marker or key in any database file, WAL, dump, log or temp file."""

from __future__ import annotations

import json
import logging
import tempfile

from click.testing import CliRunner

from referral.cli import main
from referral.vault.keys import KEK_FILE, SIGNING_FILE, read_key_file
from tests.storage.canary import CanaryKit, every_file, self_test

CASES = 200


def _import_file(kit: CanaryKit, path) -> None:  # noqa: ANN001
    cases = [{"post": "XD-01", "facts": {"fears_return": "yes", "age_years": 15 + n % 50, "companion": "none"},
              "identity": kit.identity(n), "consent_refused": ["legal_aid"] if n % 3 == 0 else []}
             for n in range(CASES)]
    path.write_text(json.dumps({"posts": [{"code": "XD-01", "country": "xd", "name": "Demo post"}],
                                "cases": cases}, ensure_ascii=False), encoding="utf-8")


def test_no_identifying_byte_reaches_disk(backend, store_settings, tmp_path, monkeypatch, request):
    kit = CanaryKit()
    self_test(kit, kit.identity(999))
    import_file = tmp_path / "import" / "cases.json"  # the input itself is not searched: it is the paper form
    import_file.parent.mkdir()
    _import_file(kit, import_file)

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    logs = tmp_path / "logs"
    logs.mkdir()
    handler = logging.FileHandler(logs / "app.log", encoding="utf-8")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and their parameters
    env = {"REFERRAL_DATA_DIR": str(store_settings.data_dir),
           "REFERRAL_GUIDELINES_DIR": str(store_settings.guidelines_dir),
           "REFERRAL_ENV": "testing", "REFERRAL_ADMIN_PASSWORD": "a-long-test-password",
           "REFERRAL_DATABASE_URL": store_settings.database_url_override or "",
           "REFERRAL_DATABASE_ADMIN_URL": store_settings.database_admin_url or ""}
    try:
        runner = CliRunner()
        result = runner.invoke(main, ["init"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        result = runner.invoke(main, ["cases", "import", str(import_file)], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    lines = result.output.splitlines()
    assert len(lines) == CASES and all(line.startswith("XD-01-") for line in lines)
    (logs / "command-output.txt").write_text(result.output, encoding="utf-8")
    assert logs.joinpath("app.log").stat().st_size > 10_000, "the log capture did not work"

    keys_dir = store_settings.keys_dir
    kit.add_secret(read_key_file(keys_dir / KEK_FILE))
    kit.add_secret(read_key_file(keys_dir / SIGNING_FILE))
    for agency_key in (keys_dir / "agencies").glob("*.key"):
        kit.add_secret(read_key_file(agency_key))

    files = every_file(logs, temp)
    if backend == "sqlite":
        files += [p for p in store_settings.data_dir.iterdir() if p.is_file()]
        assert any(p.name.endswith(".sqlite3") for p in files)
    else:
        server = request.getfixturevalue("pg_server")
        database = store_settings.database_url_override.rsplit("/", 1)[1]
        server.psql("CHECKPOINT")
        dump = server.dump(database, tmp_path / "dump.sql")
        files += every_file(server.data_dir / "base", server.data_dir / "pg_wal", server.log_file, dump)
        assert "INSERT INTO cases" in server.log_file.read_text(errors="replace")
    assert len(files) > 3
    assert kit.scan(files) == {}
