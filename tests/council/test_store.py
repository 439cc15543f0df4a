"""The run store's schema is pinned: a change needs a new numbered migration."""

import sqlite3
from pathlib import Path

import pytest

from council.store.db import connect
from council.store.migrations import MIGRATIONS, migrate

PINNED = Path(__file__).parent / "schema.sql"


def _schema(conn) -> str:
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
    )
    return "\n".join(" ".join(row[0].split()) + ";" for row in rows) + "\n"


def test_schema_is_pinned(tmp_path):
    conn = connect(tmp_path / "council.db")
    assert _schema(conn) == PINNED.read_text(), (
        "the schema changed: add a migration (never edit a shipped one) and update tests/council/schema.sql"
    )


def test_migrations_are_numbered_in_order_and_idempotent(tmp_path):
    versions = [version for version, _, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    conn = connect(tmp_path / "council.db")
    assert migrate(conn) == []
    applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == versions


def test_pragmas(tmp_path):
    conn = connect(tmp_path / "council.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_a_vote_needs_its_call_and_an_unparseable_vote_has_no_verdict(tmp_path):
    conn = connect(tmp_path / "council.db")
    try:
        conn.execute(
            "INSERT INTO votes (call_key, item, judge, model_a, model_b, verdict, parse_status, raw_output) "
            "VALUES ('judge/x/j/a/b', 'x', 'j', 'a', 'b', 'A>B', 'json', '')"
        )
    except sqlite3.IntegrityError as error:
        assert "FOREIGN KEY" in str(error)
    else:
        raise AssertionError("a vote without its call was accepted")


def _store_from(dump: Path, run_dir: Path) -> Path:
    run_dir.mkdir()
    with sqlite3.connect(run_dir / "council.db") as conn:
        conn.executescript(dump.read_text())
    return run_dir


def test_a_store_written_by_schema_version_1_is_read_as_it_is_and_upgraded_by_a_writer(tmp_path, cli):
    import hashlib

    from council.store.frames import open_run

    run_dir = _store_from(Path(__file__).parent / "stores" / "v1.sql", tmp_path / "old-run")
    db = run_dir / "council.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with open_run(run_dir) as store:
        assert store.items["category"].to_list() == [None, None]
        votes = store.scoring_votes()
        assert len(votes) == 12 and votes.n_unscored == 2
        assert store.leaderboard().n_votes == 10
    for command in (["status", run_dir, "--json"], ["score", run_dir, "--json"], ["export", run_dir, "--out",
                                                                                  tmp_path / "out"]):
        result = cli(*command)
        assert result.exit_code == 0, result.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before, "readers never migrate or write a store"
    conn = connect(db)  # a writer upgrades it
    applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == [version for version, _, _ in MIGRATIONS]
    assert _schema(conn) == PINNED.read_text(), "an upgraded store has today's schema"


def test_a_store_newer_than_the_code_is_bad_input_naming_it(tmp_path, cli):
    run_dir = _store_from(Path(__file__).parent / "stores" / "v1.sql", tmp_path / "future-run")
    with sqlite3.connect(run_dir / "council.db") as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', '2030-01-01')")
    for command in (["status", run_dir], ["score", run_dir], ["export", run_dir, "--out", tmp_path / "out"]):
        result = cli(*command)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "council.db" in lines[0] and "schema version 999" in lines[0], lines


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_bad_input_naming_it(tmp_path, cli, damage):
    run_dir = _store_from(Path(__file__).parent / "stores" / "v1.sql", tmp_path / "run")
    db = run_dir / "council.db"
    data = db.read_bytes()
    db.write_bytes(b"this is not a database at all " * 200 if damage == "garbage" else data[: len(data) // 3])
    for command in (["status", run_dir], ["score", run_dir], ["export", run_dir, "--out", tmp_path / "out"]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "damaged" in lines[0] and str(run_dir) in lines[0], lines


def test_a_full_disk_is_explained_not_a_traceback(tmp_path):
    """A real SQLITE_FULL (the page limit standing in for the disk), turned into one line."""
    from council.store.db import explain_storage_error

    conn = connect(tmp_path / "council.db")
    conn.execute("PRAGMA max_page_count = 40")
    with pytest.raises(sqlite3.OperationalError) as full:
        for n in range(10_000):
            conn.execute("INSERT INTO invocations (started_at, command, config_json, config_hash, package_version) "
                         "VALUES ('t', 'run', ?, 'h', 'v')", ("x" * 1000 + str(n),))
    message = str(explain_storage_error(full.value, tmp_path / "council.db"))
    assert "disk is full" in message and "council.db" in message
