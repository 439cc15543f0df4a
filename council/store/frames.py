"""The read API over a run store: every reader (CLI, report, notebooks) uses this.

Tables come back as polars DataFrames; votes also as `scoring.Votes`, ready to rank.
"""

from __future__ import annotations

import json
from pathlib import Path

from council.config import CouncilConfig
from council.errors import BadInput
from council.inputs.items import FrozenItem
from council.store.db import DB_NAME
from council.store.ledger import Ledger
from council.store.sqlite import Schema
from council.vocab import CallStatus

__all__ = ["TABLES", "RunStore", "open_run"]

#: The columns each table frame shows. A store of an older schema lacks some (readers
#: never migrate): those read as null.
TABLES = {
    "items": ("id", "author", "seed_id", "category", "seed_text", "replicate", "text", "call_key"),
    "responses": ("item", "respondent", "text", "raw_text", "word_count", "truncated", "call_key"),
    "votes": ("item", "judge", "model_a", "model_b", "verdict", "parse_status", "reasoning", "call_key"),
    "calls": ("key", "stage", "member", "status", "attempts", "prompt_hash", "input_tokens", "output_tokens",
              "cost_usd", "latency_s", "error", "updated_at", "cache_hits", "provider_model"),
    "invocations": ("id", "started_at", "finished_at", "command", "config_hash", "package_version", "outcome"),
    "human_labels": ("item", "labeller", "model_a", "model_b", "verdict", "source", "created_at"),
}


def _select(schema: Schema, table: str) -> str:
    present = schema.tables.get(table, frozenset())
    columns = ", ".join(c if c in present else f"NULL AS {c}" for c in TABLES[table])
    if not present:  # a table newer than the store: no rows
        return f"SELECT {columns} WHERE 0"
    return f"SELECT {columns} FROM {table} ORDER BY rowid"


class RunStore:
    """A run directory, opened for reading."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir)
        db = self.path / DB_NAME
        if not db.is_file():
            raise BadInput(f"not a council run directory (no {DB_NAME})", path=str(self.path))
        self.ledger = Ledger.read(db)
        self.conn = self.ledger.conn

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def config(self) -> CouncilConfig | None:
        """The council file of the latest `council run` on this directory."""
        row = self.conn.execute("SELECT config_json FROM invocations ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return CouncilConfig.model_validate(data) if data else None

    def frame(self, table: str):
        import polars as pl

        cursor = self.conn.execute(_select(self.ledger.schema, table))
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)

    @property
    def items(self):
        return self.frame("items")

    @property
    def responses(self):
        return self.frame("responses")

    @property
    def votes(self):
        return self.frame("votes")

    @property
    def calls(self):
        return self.frame("calls")

    def scoring_votes(self):
        """The judgments as `scoring.Votes`; unparseable verdicts are unscored votes."""
        from scoring import make_votes

        rows = self.ledger.vote_rows()
        if not rows:
            raise BadInput("the run has no judgments yet", path=str(self.path))
        return make_votes(*zip(*rows))

    def criterion_votes(self):
        """The verdicts per criterion as `scoring.Votes` and each vote's criterion, or
        (None, None) without any (a run judged without ``judge.per_criterion``)."""
        import numpy as np

        from scoring import make_votes

        rows = self.ledger.criterion_vote_rows()
        if not rows:
            return None, None
        item, judge, a, b, names, verdict, _ = zip(*rows)
        return make_votes(item, judge, a, b, verdict), np.array(names, dtype=object)

    def votes_with_criteria(self):
        """The votes table as export writes it: with verdicts per criterion, a
        ``criterion`` column — each judgment's overall verdict (criterion empty), then one
        row per criterion it was judged on, which `council score --criterion` reads back;
        without any, the table as it is."""
        import polars as pl

        rows = self.ledger.criterion_vote_rows()
        votes = self.frame("votes")
        if not rows:
            return votes
        votes = votes.with_columns(criterion=pl.lit(""))
        by_key = dict(zip(votes["call_key"].to_list(), votes.iter_rows(named=True)))
        extra = [{**by_key[key], "criterion": criterion, "verdict": verdict,
                  "parse_status": "json" if verdict is not None else "unparseable"}
                 for *_, criterion, verdict, key in rows if key in by_key]
        return pl.concat([votes, pl.DataFrame(extra, schema=votes.schema)])

    def human_votes(self):
        """The human labels as `scoring.Votes` (``judge`` = the labeller) and each one's
        selection weight (how likelier than uniform its comparison was to be offered),
        or (None, None) without any."""
        import numpy as np

        from scoring import make_votes

        rows = self.ledger.labels.label_rows()
        if not rows:
            return None, None
        *columns, weights = zip(*rows)
        return make_votes(*columns), np.array(weights, dtype=float)

    def word_counts(self) -> dict[tuple[str, str], int]:
        """Words of each stored answer, by (item, respondent)."""
        rows = self.conn.execute("SELECT item, respondent, word_count FROM responses").fetchall()
        return {(item, respondent): words for item, respondent, words in rows}

    def missing_answers(self) -> dict[str, int]:
        """Items each contestant with any stored answer has no answer for: the pairs
        those would form were not judged."""
        rows = self.conn.execute(
            "SELECT r.respondent, count(*) FROM (SELECT DISTINCT respondent FROM responses) AS r "
            "CROSS JOIN items AS i WHERE NOT EXISTS (SELECT 1 FROM responses AS s WHERE s.item = i.id "
            "AND s.respondent = r.respondent) GROUP BY r.respondent ORDER BY r.respondent"
        ).fetchall()
        return dict(rows)

    def latest_invocation(self) -> dict | None:
        """The latest `council run` on this directory: config hash, version, start."""
        row = self.conn.execute(
            "SELECT config_hash, package_version, started_at FROM invocations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return dict(zip(("config_hash", "package_version", "started_at"), row)) if row else None

    def counts(self) -> dict[str, int]:
        """Items, responses and judgments stored, and the judgments without a verdict."""
        parse = dict(self.conn.execute("SELECT parse_status, count(*) FROM votes GROUP BY parse_status").fetchall())
        return {
            "items": self.conn.execute("SELECT count(*) FROM items").fetchone()[0],
            "responses": self.conn.execute("SELECT count(*) FROM responses").fetchone()[0],
            "judgments": sum(parse.values()),
            "unscored": parse.get("unparseable", 0),
        }

    def frozen_items(self) -> list[FrozenItem]:
        """The run's items as a frozen item set holds them."""
        rows = self.conn.execute("SELECT id, text, author, seed_id, category FROM items ORDER BY rowid").fetchall()
        return [FrozenItem(*row) for row in rows]

    def snapshot(self) -> dict | None:
        """The leaderboard snapshot `council round` stored when this round completed."""
        if not self.ledger.schema.has("round_snapshot"):
            return None
        row = self.conn.execute("SELECT snapshot_json FROM round_snapshot ORDER BY round DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def item_texts(self) -> dict[str, str]:
        """Each item's text by id."""
        return dict(self.conn.execute("SELECT id, text FROM items").fetchall())

    def first_started(self) -> str | None:
        row = self.conn.execute("SELECT min(started_at) FROM invocations").fetchone()
        return row[0] if row else None

    def provider_models(self) -> dict[str, str]:
        """The model id each member's provider reported most often on the calls it
        answered in this run (cache hits say nothing and are left out)."""
        if not self.ledger.schema.has("calls", "provider_model"):  # stores before migration 5 recorded none
            return {}
        rows = self.conn.execute(
            "SELECT member, provider_model, count(*) AS n FROM calls WHERE provider_model IS NOT NULL "
            "AND cache_hits = 0 GROUP BY member, provider_model ORDER BY member, n DESC, provider_model"
        ).fetchall()
        found: dict[str, str] = {}
        for member, model, _ in rows:
            found.setdefault(member, model)
        return found

    def drift_votes(self) -> list[tuple[str, str, str, int, str | None]]:
        """(member, item, judge, new_first, verdict) of every drift check judged."""
        if not self.ledger.schema.has("drift_votes"):
            return []
        return self.conn.execute(
            "SELECT member, item, judge, new_first, verdict FROM drift_votes ORDER BY rowid"
        ).fetchall()

    def composed_items(self) -> list[dict]:
        """Each composed item with the call that made it: what a later round takes over."""
        cursor = self.conn.execute(
            "SELECT c.key, c.member, c.prompt_hash, c.fingerprint, i.* FROM items AS i JOIN calls AS c "
            "ON c.key = i.call_key WHERE c.status = ? ORDER BY i.rowid", (CallStatus.OK,)
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def leaderboard(self, settings=None):
        from scoring import rank_models

        return rank_models(self.scoring_votes(), settings)


def open_run(run_dir: str | Path) -> RunStore:
    return RunStore(run_dir)
