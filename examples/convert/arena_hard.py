"""Arena-Hard-Auto judgments → a Council votes file.

Arena-Hard-Auto (lmarena/arena-hard-auto) stores one JSONL file per judged model under
``data/<benchmark>/model_judgment/<judge>/<model>.jsonl``; each line holds a question
(``uid``, or ``question_id`` in v0.1), the ``model``, the ``judge`` and two ``games``:
in the first the baseline's answer is shown first (A) and the model's second (B), in
the second the order is swapped. Each game becomes one vote; a game without a score
becomes an unscored vote.

    python examples/convert/arena_hard.py data/arena-hard-v0.1/model_judgment/gpt-4-1106-preview \\
        --baseline gpt-4-0314 > arena-hard.jsonl
    council score arena-hard.jsonl --reference gpt-4-0314 --strong-weight 3

The files are theirs, not ours: this reads your local copy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: Arena-Hard writes "A<B"-style labels too; Council's scale names the winner first.
LABELS = {"A<B": "B>A", "A<<B": "B>>A", "B<A": "A>B", "B<<A": "A>>B", "B=A": "A=B"}


def votes_of(record: dict, baseline: str) -> list[dict]:
    item = str(record.get("uid", record.get("question_id")))
    games = record.get("games") or [None, None]
    votes = []
    for index, game in enumerate(games[:2]):
        first, second = (baseline, record["model"]) if index == 0 else (record["model"], baseline)
        score = (game or {}).get("score")
        votes.append({"item": item, "judge": record.get("judge", "judge"), "model_a": first, "model_b": second,
                      "verdict": LABELS.get(score, score)})
    return votes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a model_judgment/<judge> folder of *.jsonl files")
    parser.add_argument("--baseline", required=True, help="the baseline model every game compares against")
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.jsonl"))
    if not files:
        print(f"error: {args.folder}: no *.jsonl judgment files", file=sys.stderr)
        return 2
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    print(f"error: {path}:{number}: not valid JSON ({error.msg})", file=sys.stderr)
                    return 2
                for vote in votes_of(record, args.baseline):
                    sys.stdout.write(json.dumps(vote) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
