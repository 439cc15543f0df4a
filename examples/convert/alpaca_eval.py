"""AlpacaEval annotations → a Council votes file.

AlpacaEval (tatsu-lab/alpaca_eval) stores each model's judged comparisons as a JSON
array in ``results/<model>/<annotator>/annotations.json``: per record the
``instruction``, the two generators (``generator_1`` is the reference model, shown
first; ``generator_2`` the evaluated one) and a ``preference`` from 1 (the first
output) to 2 (the second); AlpacaEval 2's weighted annotators give fractions, which
become the side they lean to (1.5 is a tie), as its discrete win rate counts them.

    python examples/convert/alpaca_eval.py results/*/weighted_alpaca_eval_gpt4_turbo/annotations.json \\
        > alpaca-eval.jsonl
    council score alpaca-eval.jsonl --reference gpt4_turbo

The instruction is the item (a long text: Council reads it once per distinct value).
Rows comparing the reference with itself are dropped and counted by `council score`.
The files are theirs, not ours: this reads your local copy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def verdict_of(preference) -> str | None:
    if preference is None:
        return None
    preference = float(preference)
    if preference != preference:  # NaN: the annotator gave no preference
        return None
    return "A>B" if preference < 1.5 else "B>A" if preference > 1.5 else "A=B"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="annotations.json files (JSON arrays)")
    args = parser.parse_args()
    for path in args.files:
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            print(f"error: {path}: cannot read a JSON array ({error})", file=sys.stderr)
            return 2
        for record in records:
            sys.stdout.write(json.dumps({
                "item": record["instruction"], "judge": record.get("annotator", "annotator"),
                "model_a": record["generator_1"], "model_b": record["generator_2"],
                "verdict": verdict_of(record.get("preference")),
            }) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
