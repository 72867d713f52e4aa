"""P-02 and P-20: changed, swapped, truncated or replayed sealed data never opens; a tampered audit chain is
caught at its first broken event; on PostgreSQL the app's role may not change audit rows at all."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from referral.models import AuditEvent
from referral.services import audit
from referral.services.cases import open_case
from referral.vault import SealedDataInvalid, Vault, provision_keys
from tests.storage.factories import make_case, make_people, open_session

A, B = "a" * 32, "b" * 32
PAYLOAD = {"identity": {"given_name": "Test"}, "facts": {"fears_return": "yes"}}


@pytest.fixture(scope="module")
def vault(tmp_path_factory) -> Vault:
    keys = tmp_path_factory.mktemp("keys")
    provision_keys(keys, keys / "kek")
    return Vault.load(keys, keys / "kek")


@pytest.fixture(scope="module")
def sealed(vault):
    return vault.seal_case_payload(A, 1, PAYLOAD), vault.seal_case_payload(B, 1, {"other": "case"})


def _flip(data: bytes, position: int, bit: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ (1 << bit)]) + data[position + 1:]


@settings(max_examples=1000, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7), in_key=st.booleans())
def test_any_flipped_bit_fails(vault, sealed, position, bit, in_key):
    one, _ = sealed
    payload, key = (one.payload, _flip(one.wrapped_key, position, bit)) if in_key else \
        (_flip(one.payload, position, bit), one.wrapped_key)
    with pytest.raises(SealedDataInvalid):
        vault.open_case_payload(A, 1, payload, key, one.kek_id)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(cut=st.integers(min_value=0, max_value=200))
def test_truncated_data_fails(vault, sealed, cut):
    one, _ = sealed
    with pytest.raises(SealedDataInvalid):
        vault.open_case_payload(A, 1, one.payload[: cut % len(one.payload)], one.wrapped_key, one.kek_id)
    with pytest.raises(SealedDataInvalid):
        vault.open_case_payload(A, 1, one.payload, one.wrapped_key[: cut % len(one.wrapped_key)], one.kek_id)


def test_swaps_and_replays_fail(vault, sealed):
    one, two = sealed
    assert vault.open_case_payload(A, 1, one.payload, one.wrapped_key, one.kek_id) == PAYLOAD
    attempts = [
        (A, 1, two.payload, one.wrapped_key),  # another case's payload
        (A, 1, one.payload, two.wrapped_key),  # another case's wrapped key
        (A, 1, two.payload, two.wrapped_key),  # another case's payload and key, under this case's id
        (A, 2, one.payload, one.wrapped_key),  # an older payload put back after a re-seal
    ]
    for case_id, count, payload, key in attempts:
        with pytest.raises(SealedDataInvalid):
            vault.open_case_payload(case_id, count, payload, key, one.kek_id)
    with pytest.raises(SealedDataInvalid):
        vault.open_case_payload(A, 1, one.payload, one.wrapped_key, "not-a-kek")


def test_no_nonce_repeats_in_100000_seals(vault):
    nonces = {vault.seal_case_payload(A, 1, {}).payload[1:13] for _ in range(100_000)}
    assert len(nonces) == 100_000


def test_a_swapped_payload_in_the_database_fails_and_is_audited(store_app):
    with open_session(store_app) as session:
        people = make_people(session)
        one, two = make_case(store_app, session, people), make_case(store_app, session, people)
        with create_engine(store_app.extensions["referral.db"].admin_url or
                           store_app.extensions["referral.db"].url).begin() as owner:
            owner.execute(text("UPDATE cases SET sealed_payload = :p WHERE id = :id"),
                          {"p": two.sealed_payload, "id": one.id})
        session.expire_all()
        with pytest.raises(SealedDataInvalid) as raised:
            open_case(session=session, vault=store_app.extensions["vault"], user=people.official,
                      reference=one.reference)
        assert "Test" not in str(raised.value)
        last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert (last.action, last.object_id, last.detail) == ("case.open.failed", one.id, '{"reason":"integrity"}')


# -- the audit chain --------------------------------------------------------------------------------------------

def _chain(length: int) -> list[tuple]:
    rows, prev = [], audit.GENESIS
    for seq in range(1, length + 1):
        at = f"2026-01-01T00:00:{seq % 60:02d}.000000+00:00"
        row = [seq, at, seq % 3, 1, "case.open", "case", f"{seq:032x}", '{"n":1}', prev]
        digest = audit.event_hash(seq, audit.canonical_time(at), *row[2:8], prev)
        rows.append((*row, digest))
        prev = digest
    return rows


_TAMPERING = st.sampled_from(["delete", "insert", "swap", "edit", "relink"])


@settings(max_examples=300, deadline=None)
@given(length=st.integers(min_value=2, max_value=40), how=_TAMPERING, data=st.data())
def test_every_tampering_is_caught_at_its_first_event(length, how, data):
    rows = _chain(length)
    assert audit.verify_rows(rows)[0].ok
    i = data.draw(st.integers(min_value=0, max_value=length - 1))
    if how == "delete":
        if i == length - 1:
            i -= 1  # deleting the last event is truncation: the checkpoint test below covers it
        del rows[i]
        expected = i + 1
    elif how == "insert":
        forged = rows[i][:4] + ("case.erase",) + rows[i][5:]
        rows.insert(i, forged)
        expected = i + 1
    elif how == "swap":
        j = data.draw(st.integers(min_value=0, max_value=length - 1).filter(lambda j: j != i))
        rows[i], rows[j] = rows[j], rows[i]
        expected = min(i, j) + 1
    elif how == "edit":
        field = data.draw(st.integers(min_value=1, max_value=7))
        value = "2026-02-02T00:00:00.000000+00:00" if field == 1 else ("x" if field in (4, 5, 6, 7) else 99)
        rows[i] = rows[i][:field] + (value,) + rows[i][field + 1:]
        expected = i + 1
    else:  # an edited event whose own hash is recomputed: the next link breaks (or the checkpoint, at the end)
        row = list(rows[i])
        row[4] = "case.erase"
        row[9] = audit.event_hash(row[0], audit.canonical_time(row[1]), *row[2:8], row[8])
        rows[i] = tuple(row)
        if i == length - 1:
            return
        expected = i + 2
    report, _ = audit.verify_rows(rows)
    assert not report.ok and report.first_broken == expected, (report, how, i)


def test_a_truncated_and_rechained_tail_is_caught_by_the_signed_checkpoint(store_app, backend):
    vault, settings_ = store_app.extensions["vault"], store_app.extensions["referral.settings"]
    with open_session(store_app) as session:
        people = make_people(session)
        for _ in range(3):
            make_case(store_app, session, people)
        head = audit.checkpoint(session, vault, settings_.audit_anchor_file)
        assert audit.verify_chain(session, vault, settings_.audit_anchor_file).ok
        session.commit()
        db = store_app.extensions["referral.db"]
        owner_url = db.admin_url or db.url
        if backend == "postgres":  # only a superuser can still change audit rows
            owner_url = owner_url.replace("referral_owner@", "postgres@")
        with create_engine(owner_url).begin() as owner:
            owner.execute(text("DELETE FROM audit_checkpoints"))
            owner.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": head - 1})
        report = audit.verify_chain(session, vault, settings_.audit_anchor_file)
        assert not report.ok and report.first_broken == head - 1, report
        session.commit()
        # Re-chained to the old length with forged events: the signed anchor still disagrees.
        for _ in range(2):
            audit.record(session, action="case.open", actor_id=people.official.id)
        session.commit()
        report = audit.verify_chain(session, vault, settings_.audit_anchor_file)
        assert not report.ok and report.first_broken == head, report


def test_the_app_role_cannot_change_or_delete_audit_rows_on_postgres(store_app, backend):
    if backend != "postgres":
        return  # SQLite has no roles; tampering there is caught by the chain (tests above)
    with open_session(store_app) as session:
        make_people(session)
    app_url = store_app.extensions["referral.db"].url
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events",
                      "TRUNCATE audit_events", "DELETE FROM audit_checkpoints"):
        with create_engine(app_url).connect() as connection, pytest.raises(ProgrammingError) as raised:
            connection.execute(text(statement))
        assert "permission denied" in str(raised.value)
    with create_engine(app_url).begin() as connection:  # appending (and reading) still works
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() > 0
