"""`council score --by`: a leaderboard per category, author or criterion, from votes files
(their optional columns, through both readers) and from runs (their items' category and
author, with the authorship bias); bad slice columns are one line naming the line."""

from __future__ import annotations

import json

import pytest

MODELS = ("alpha", "beta", "gamma")


def _rows(categories=("billing", "refunds"), items_per_category=6, criterion=None):
    rows = []
    for c, category in enumerate(categories):
        for i in range(items_per_category):
            item = f"{category}-{i}"
            for judge in ("j1", "j2"):
                for a, b in (("alpha", "beta"), ("beta", "gamma"), ("alpha", "gamma")):
                    # alpha leads on billing, gamma on refunds; one vote in four goes the other way
                    order = MODELS if c == 0 else MODELS[::-1]
                    a_wins = (order.index(a) < order.index(b)) != ((i + len(judge)) % 4 == 0)
                    verdict = "A>B" if a_wins else "B>A"
                    row = {"item": item, "judge": judge, "model_a": a, "model_b": b, "verdict": verdict,
                           "category": category}
                    if criterion:
                        row["criterion"] = criterion[(i + len(judge)) % len(criterion)]
                    rows.append(row)
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_votes_files_category_column_gives_a_leaderboard_per_category(council_cli, write_votes, suffix):
    path = write_votes(_rows(), suffix)
    result = council_cli("score", path, "--by", "category", "--json", "--rounds", "200")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["by"] == "category"
    slices = {s["slice"]: s for s in data["slices"]}
    assert set(slices) == {"billing", "refunds"}
    assert all(s["n_items"] == 6 and s["small"] for s in slices.values())
    assert slices["billing"]["models"][0]["model"] == "alpha" and slices["refunds"]["models"][0]["model"] == "gamma"
    text = council_cli("score", path, "--by", "category", "--rounds", "200").stdout
    assert "== category billing: 6 items" in text and "small: fewer than 10 items" in text
    assert "estimand: the jury's preference" in text


def test_criterion_slices_split_votes_not_items(council_cli, write_votes):
    path = write_votes(_rows(criterion=("accuracy", "empathy")))
    data = json.loads(council_cli("score", path, "--by", "criterion", "--json", "--rounds", "200").stdout)
    assert {s["slice"] for s in data["slices"]} == {"accuracy", "empathy"}
    assert sum(s["n_votes"] for s in data["slices"]) == len(_rows())
    plain = council_cli("score", path)  # no overall verdict to rank: say what to ask instead
    assert plain.returncode == 2 and "every vote names a criterion (accuracy, empathy)" in plain.stderr


def test_an_item_with_two_categories_is_bad_input_naming_the_line(council_cli, write_votes):
    rows = _rows()
    rows[7]["category"] = "refunds"  # billing-1 elsewhere
    result = council_cli("score", write_votes(rows, ".csv"), "--by", "category")
    assert result.returncode == 2
    assert "votes.csv:9:" in result.stderr
    assert "item 'billing-1' has category 'refunds' here and 'billing' on line 8" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_slice_column_the_file_lacks_is_named(council_cli, write_votes):
    result = council_cli("score", write_votes(_rows()), "--by", "criterion")
    assert result.returncode == 2 and "no vote has a criterion" in result.stderr and "Traceback" not in result.stderr


def test_a_runs_authors_and_categories_slice_it_and_the_authorship_bias_comes_with_authors(council_file, tmp_path,
                                                                                           cli):
    path = council_file(test_set={"seeds": "seeds.jsonl", "items_per_author": 2})
    assert cli("run", path, "--run-dir", tmp_path / "run", "--no-progress").exit_code == 0
    by_author = json.loads(cli("score", tmp_path / "run", "--by", "author", "--json", "--rounds", "200").output)
    assert {s["slice"] for s in by_author["slices"]} == {"alpha", "beta", "gamma"}
    bias = {row["model"]: row for row in by_author["authorship_bias"]["models"]}
    assert set(bias) == {"alpha", "beta", "gamma"} and all(row["n_own_items"] == 2 for row in bias.values())
    assert bias["alpha"]["delta"]["lower"] <= bias["alpha"]["delta"]["estimate"] <= bias["alpha"]["delta"]["upper"]
    by_category = json.loads(cli("score", tmp_path / "run", "--by", "category", "--json", "--rounds", "200").output)
    assert sum(s["n_items"] for s in by_category["slices"]) == 6
    refused = cli("score", tmp_path / "run", "--by", "criterion")
    assert refused.exit_code == 2 and "a run judged with judge.per_criterion" in refused.output
