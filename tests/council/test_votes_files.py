"""Votes files as people save them: Excel's CSV, JSON arrays, Unicode, repeats, self-pairs."""

import json

import numpy as np
import pytest

from council.errors import BadInput
from council.inputs.votes import ReadOptions, _fast_frame, _kind, _slow_frame, _votes, read_votes
from tests.council.conftest import EXAMPLE_VOTES

HEADER = ["item", "judge", "model_a", "model_b", "verdict"]
ROWS = [
    ["q1", "judge-1", "gpt-4", "claude", "A>B"],
    ["q1", "judge-1", "claude", "gpt-4", "B>A"],
    ["q2", "judge-2", "gpt-4", "claude", "A=B"],
    ["q2", "judge-2", "claude", "gpt-4", ""],
]


def _same_votes(left, right):
    assert (left.items, left.judges, left.models) == (right.items, right.judges, right.models)
    for field in ("item", "judge", "model_a", "model_b", "outcome"):
        np.testing.assert_array_equal(getattr(left, field), getattr(right, field))


def test_excel_csv_utf8_with_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "votes.csv"
    text = "\r\n".join(",".join(row) for row in [HEADER, *ROWS]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # what Excel's "CSV UTF-8" writes
    votes = read_votes(path).votes
    assert len(votes) == 4 and votes.models == ("claude", "gpt-4") and votes.n_unscored == 1


def test_excel_csv_with_a_bad_row_still_names_its_line(tmp_path):
    path = tmp_path / "votes.csv"
    rows = [HEADER, *ROWS, ["q3", "judge-1", "gpt-4", "claude", "A>>>B"]]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(",".join(row) for row in rows).encode())
    with pytest.raises(BadInput, match=r"votes.csv:6: field 'verdict': unknown verdict 'A>>>B'"):
        read_votes(path)


def test_json_array_shaped_like_alpacaeval_annotations(tmp_path):
    # AlpacaEval's annotations.json: one pretty-printed array, long texts beside the fields.
    records = [
        {"instruction": "Write a haiku", "output_1": "x" * 500, "output_2": "y" * 700, "item": f"q{k // 2}",
         "judge": "weighted_alpaca_eval_gpt4_turbo", "model_a": row[2], "model_b": row[3], "verdict": row[4] or None,
         "price_per_example": 0.01, "time_per_example": 1.2}
        for k, row in enumerate(ROWS)
    ]
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(records, indent=2))
    assert _kind(str(path)) == "array"
    votes = read_votes(path).votes
    assert len(votes) == 4 and votes.judges == ("weighted_alpaca_eval_gpt4_turbo",) and votes.n_unscored == 1


def test_json_array_errors_name_the_line_the_vote_starts_on(tmp_path):
    records = [dict(zip(HEADER, row)) for row in ROWS]
    records[2]["verdict"] = "maybe"
    path = tmp_path / "annotations.json"
    text = json.dumps(records, indent=2)
    path.write_text(text)
    line = [number for number, line in enumerate(text.splitlines(), 1) if line == "  {"][2]  # the third vote's "{"
    with pytest.raises(BadInput, match=rf"annotations.json:{line}: field 'verdict': unknown verdict 'maybe'"):
        read_votes(path)
    path.write_text(json.dumps(records[:2], indent=2)[:-3])  # cut off before the closing bracket
    with pytest.raises(BadInput, match="annotations.json:.*not valid JSON"):
        read_votes(path)


def test_a_json_file_of_lines_is_still_read(tmp_path):
    path = tmp_path / "votes.json"
    path.write_text("".join(json.dumps(dict(zip(HEADER, row))) + "\n" for row in ROWS))
    assert len(read_votes(path).votes) == 4


def test_composed_and_decomposed_names_are_one_model(tmp_path):
    path = tmp_path / "votes.jsonl"
    rows = [dict(zip(HEADER, row)) for row in ROWS]
    rows[0]["model_a"], rows[1]["model_b"] = "caf\u00e9", "cafe\u0301 "  # NFC, and NFD with a space
    rows[2]["judge"] = "judge-2\u200a".strip()
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    votes = read_votes(path).votes
    assert votes.models == ("caf\u00e9", "claude", "gpt-4")
    assert votes.model_a[0] == votes.model_b[1]


def test_cjk_and_numbers_as_names(tmp_path):
    path = tmp_path / "votes.jsonl"
    rows = [dict(zip(HEADER, row)) for row in ROWS]
    for row in rows:
        row["item"] = 7 if row["item"] == "q1" else 12  # integer ids, as in the paper's emobench_id
        row["model_a"] = {"gpt-4": "通义千问", "claude": "claude"}[row["model_a"]]
        row["model_b"] = {"gpt-4": "通义千问", "claude": "claude"}[row["model_b"]]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    votes = read_votes(path).votes
    assert votes.items == ("12", "7") and votes.models == ("claude", "通义千问")


def test_duplicates_are_counted_kept_dropped_or_refused(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text("\n".join(",".join(row) for row in [HEADER, *ROWS, ROWS[0], ROWS[0]]))
    kept = read_votes(path)
    assert kept.n_duplicates == 2 and len(kept.votes) == 6
    first = read_votes(path, duplicates="first")
    assert first.n_duplicates == 2 and len(first.votes) == 4
    with pytest.raises(BadInput, match=r"votes.csv:6: duplicate vote: .* as line 2"):
        read_votes(path, duplicates="error")


def test_self_pairs_shaped_like_arena_hard_battles(tmp_path):
    # Arena-Hard's battles hold the baseline judged against itself.
    path = tmp_path / "battles.jsonl"
    rows = [dict(zip(HEADER, row)) for row in ROWS]
    rows.insert(1, {"item": "q1", "judge": "gpt-4-1106-preview", "model_a": "gpt-4-0314", "model_b": "gpt-4-0314",
                    "verdict": "A=B"})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    read = read_votes(path)
    assert read.n_self_pairs_dropped == 1 and len(read.votes) == 4
    assert "gpt-4-0314" in read.votes.models  # named, though no vote is left to rank it
    with pytest.raises(BadInput, match=r"battles.jsonl:2: model_a and model_b are the same model \('gpt-4-0314'\)"):
        read_votes(path, self_pairs="error")


def test_unknown_verdicts_counted_as_unscored_keep_their_lines(tmp_path):
    path = tmp_path / "votes.jsonl"
    rows = [dict(zip(HEADER, row)) for row in ROWS]
    rows[3]["verdict"] = "B is better"
    path.write_text("\n" + "".join(json.dumps(row) + "\n\n" for row in rows))  # blank lines move line numbers
    read = read_votes(path, unknown_verdicts="unscored")
    assert read.unknown_verdicts == ((8, "B is better"),) and read.votes.n_unknown == 1


@pytest.mark.parametrize("make", ["example", "numbers"])
def test_column_reader_and_row_reader_agree(tmp_path, make):
    if make == "example":
        path = str(EXAMPLE_VOTES)
    else:
        path = str(tmp_path / "votes.jsonl")
        rows = [dict(zip(HEADER, row), item=k % 3) for k, row in enumerate(ROWS * 5)]
        with open(path, "w") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)
    kind = _kind(path)
    frame, mapping = _fast_frame(path, kind)
    fast = _votes(frame, mapping, None, ReadOptions(), path)
    slow_frame, slow_mapping, lines = _slow_frame(path, kind)
    slow = _votes(slow_frame, slow_mapping, lines, ReadOptions(), path)
    _same_votes(fast.votes, slow.votes)
