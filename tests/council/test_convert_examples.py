"""The conversion scripts for public formats turn files shaped like theirs into votes."""

import json
import subprocess
import sys

from council.inputs.votes import read_votes
from tests.council.conftest import ROOT


def _convert(script: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "examples" / "convert" / script), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_arena_hard_judgments_become_two_votes_per_question(tmp_path):
    folder = tmp_path / "model_judgment" / "gpt-4-1106-preview"
    folder.mkdir(parents=True)
    rows = [
        {"question_id": "q1", "model": "claude-3-opus", "judge": "gpt-4-1106-preview",
         "games": [{"user_prompt": "…", "judgment": "…", "score": "B>>A"}, {"score": "A>B"}]},
        {"question_id": "q2", "model": "claude-3-opus", "judge": "gpt-4-1106-preview",
         "games": [{"score": "A<B"}, {"score": None}]},
    ]
    (folder / "claude-3-opus.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = _convert("arena_hard.py", folder, "--baseline", "gpt-4-0314")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "arena-hard.jsonl"
    out.write_text(done.stdout)
    votes = read_votes(out).votes
    assert len(votes) == 4 and votes.n_unscored == 1
    first = [json.loads(line) for line in done.stdout.splitlines()][0]
    assert first == {"item": "q1", "judge": "gpt-4-1106-preview", "model_a": "gpt-4-0314",
                     "model_b": "claude-3-opus", "verdict": "B>>A"}
    assert json.loads(done.stdout.splitlines()[2])["verdict"] == "B>A"  # "A<B" spelled our way


def test_alpaca_eval_annotations_become_votes(tmp_path):
    records = [
        {"instruction": "Write a limerick about cats" * 20, "output_1": "…", "generator_1": "gpt4_turbo",
         "output_2": "…", "generator_2": "my-model", "annotator": "weighted_alpaca_eval_gpt4_turbo",
         "preference": 1.83},
        {"instruction": "Explain tides", "output_1": "…", "generator_1": "gpt4_turbo", "output_2": "…",
         "generator_2": "my-model", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.5},
        {"instruction": "Explain tides", "output_1": "…", "generator_1": "gpt4_turbo", "output_2": "…",
         "generator_2": "gpt4_turbo", "annotator": "weighted_alpaca_eval_gpt4_turbo", "preference": 1.5},
    ]
    source = tmp_path / "annotations.json"
    source.write_text(json.dumps(records, indent=2))
    done = _convert("alpaca_eval.py", source)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "alpaca.jsonl"
    out.write_text(done.stdout)
    read = read_votes(out)
    assert read.n_self_pairs_dropped == 1 and len(read.votes) == 2
    assert sorted(read.votes.outcome.tolist()) == [-1, 0]
