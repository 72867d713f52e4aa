"""Migration 0004_training: the three training tables come and go on their own, beside the case store."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from referral.db import Database
from tests.storage.conftest import migrate

TABLES = {"workshops", "trainees", "training_runs"}


def test_upgrade_adds_the_training_tables_with_data_and_downgrade_removes_only_them(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate(database, command.upgrade, "0003_slips")
    before = set(inspect(database.engine).get_table_names())
    assert not before & TABLES
    migrate(database, command.upgrade, "0004_training")
    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (username, password_hash, role, active, created_at, "
                                "password_changed_at) VALUES ('t', 'x', 'trainer', 1, '2026-01-01', '2026-01-01')"))
        connection.execute(text("INSERT INTO workshops (code, trainer_id, title, scenario_ids, mode, created_at) "
                                "VALUES ('ABC123', 1, 'Day 1', '[\"s\"]', 'solo', '2026-01-01')"))
        connection.execute(text("INSERT INTO trainees (workshop_id, display_name, token_hash, joined_at) "
                                "VALUES (1, 'Dana', 'h', '2026-01-01')"))
        connection.execute(text("INSERT INTO training_runs (trainee_id, scenario_id, answers, started_at) "
                                "VALUES (1, 's', '{}', '2026-01-01')"))
    with database.engine.connect() as connection:  # the tables are as the models say (later migrations aside)
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in differences if any(f"'{table}'" in repr(d) for table in TABLES)] == []
    migrate(database, command.downgrade, "0003_slips")
    assert set(inspect(database.engine).get_table_names()) == before
    database.engine.dispose()
