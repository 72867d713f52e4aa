"""Migration 0005_post_phone, on SQLite and PostgreSQL: posts get an optional duty telephone; existing posts keep
everything and have none; downgrade removes only the column and keeps the posts."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from referral.db import Database
from tests.storage.conftest import OWNER, migrate, new_pg_database


def columns(database: Database) -> set[str]:
    return {column["name"] for column in inspect(database.engine).get_columns("posts")}


def rows(database: Database, sql: str) -> list[tuple]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_upgrade_adds_the_post_phone_with_data_and_downgrade_keeps_the_posts(backend, tmp_path, request):
    if backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    else:
        server = request.getfixturevalue("pg_server")
        database = Database(server.url(OWNER, new_pg_database(server)))
    try:
        migrate(database, command.upgrade, "0004_training")
        assert "phone" not in columns(database)
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO posts (code, country, name, created_at) "
                                    "VALUES ('KZ-OLD-1', 'kz', 'Old post', '2026-01-01 00:00:00+00')"))
            connection.execute(text("INSERT INTO cases (id, reference, post_id, created_at, status, country, "
                                    "urgency, categories, guideline_versions, seal_count) VALUES ('c1', "
                                    "'KZ-OLD-1-AAAA', 1, '2026-01-01 00:00:00+00', 'open', 'kz', 'routine', "
                                    "'[]', '{}', 1)"))

        migrate(database, command.upgrade, "0005_post_phone")
        assert rows(database, "SELECT code, country, name, phone FROM posts") == [("KZ-OLD-1", "kz", "Old post", None)]
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE posts SET phone = '+7 (7172) 00-01-01' WHERE code = 'KZ-OLD-1'"))
            connection.execute(text("INSERT INTO posts (code, country, name, phone, created_at) "
                                    "VALUES ('KZ-NEW-1', 'kz', 'New post', NULL, '2026-01-02 00:00:00+00')"))
        assert rows(database, "SELECT code, phone FROM posts ORDER BY code") == [
            ("KZ-NEW-1", None), ("KZ-OLD-1", "+7 (7172) 00-01-01")]
        with database.engine.connect() as connection:  # the table is as the model says
            differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert [d for d in differences if "'posts'" in repr(d)] == []

        migrate(database, command.downgrade, "0004_training")
        assert "phone" not in columns(database)
        assert rows(database, "SELECT code, name FROM posts ORDER BY code") == [("KZ-NEW-1", "New post"),
                                                                               ("KZ-OLD-1", "Old post")]
        assert rows(database, "SELECT reference, post_id FROM cases") == [("KZ-OLD-1-AAAA", 1)]  # still its post
        migrate(database, command.upgrade, "head")
        assert "phone" in columns(database)
    finally:
        database.dispose()
