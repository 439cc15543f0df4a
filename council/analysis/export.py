"""``council export``: a run's tables as files other tools read (votes score as they are)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["EXPORT_TABLES", "ExportFormat", "export_run"]

ExportFormat = Literal["parquet", "csv", "jsonl"]
EXPORT_TABLES = ("items", "responses", "votes", "calls", "human_labels")


def export_run(run_dir: str | Path, fmt: ExportFormat, out: str | Path) -> list[tuple[Path, int]]:
    """Write one file per table into ``out`` (created if needed); returns (file, rows) each.
    Human labels are written only when the run has some."""
    from council.store.frames import open_run

    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with open_run(run_dir) as store:
        for table in EXPORT_TABLES:
            frame = store.votes_with_criteria() if table == "votes" else store.frame(table)
            if table == "human_labels":
                if frame.height == 0:
                    continue  # a run without labels exports what it did before labels existed
                # A votes file (the labeller as its judge): `council score --human` and
                # `council label --import` read it back.
                frame = frame.rename({"labeller": "judge"})
            path = target / f"{table}.{fmt}"
            if fmt == "parquet":
                frame.write_parquet(path)
            elif fmt == "csv":
                frame.write_csv(path)
            else:
                frame.write_ndjson(path)
            written.append((path, frame.height))
    return written
