import json

import pytest

from tests.council.conftest import EXAMPLE_VOTES


def _rows(pattern):
    return [
        {"item": f"i{k}", "judge": "j", "model_a": a, "model_b": b, "verdict": v}
        for k, (a, b, v) in enumerate(pattern)
    ]


BASIC = _rows(
    [("x", "y", "A>B"), ("y", "x", "B>A"), ("x", "z", "A>B"), ("z", "y", "A>>B"), ("y", "z", "A=B"), ("z", "x", "A>B")]
)


def test_score_prints_a_table_with_intervals_and_tiers(council_cli):
    result = council_cli("score", EXAMPLE_VOTES, "--reference", "qwen1.5-32B-Chat")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "20 models ranked from" in out and "separability" in out
    assert "95% interval" in out and "tier" in out
    first_row = [line for line in out.splitlines() if line.strip().startswith("1 ")][0]
    assert "qwen1.5-110B-Chat" in first_row


def test_reference_mode_prints_the_paper_ranking(council_cli, reference_outputs):
    result = council_cli("score", EXAMPLE_VOTES, "--reference", "qwen1.5-32B-Chat", "--mode", "reference", "--json")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    expected = reference_outputs["no_agg_mle"]
    assert [m["model"] for m in board["models"]] == sorted(expected, key=lambda m: -expected[m]["win_rate_vs_ref"])
    for row in board["models"]:
        assert row["score"] == pytest.approx(expected[row["model"]]["win_rate_vs_ref"], abs=0.01)
    assert board["settings"]["strong_weight"] == 3 and board["settings"]["resample"] == "vote"


def test_json_has_the_documented_shape(council_cli):
    result = council_cli("score", EXAMPLE_VOTES, "--json", "--rounds", "200", "--seed", "3")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    assert {"settings", "n_votes", "n_unscored", "n_self_excluded", "separability", "models"} <= board.keys()
    assert board["n_unscored"] == 0 and board["n_self_excluded"] > 0
    assert board["n_votes"] + board["n_self_excluded"] == 1000
    assert board["settings"]["rounds"] == 200 and board["settings"]["seed"] == 3
    model_keys = {"model", "rank", "rank_lower", "rank_upper", "tier", "strength", "strength_lower",
                  "strength_upper", "score", "score_lower", "score_upper", "n_votes"}
    for row in board["models"]:
        assert model_keys <= row.keys()
        assert 1 <= row["rank_lower"] <= row["rank_upper"] <= len(board["models"])
        assert row["score_lower"] <= row["score_upper"]
    scores = [row["score"] for row in board["models"]]
    assert scores == sorted(scores, reverse=True)


def test_rounds_auto_draws_until_the_interval_ends_stand_still_and_says_when_they_do_not(council_cli, write_votes):
    result = council_cli("score", EXAMPLE_VOTES, "--json", "--rounds", "auto", "--mc-tolerance", "4")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    assert board["settings"]["mc_tolerance"] == 4 and board["settings"]["rounds"] > 1000
    assert board["mc_tolerance_met"] is True and board["mc_error_elo"] <= 4
    assert all(row["elo_lower_mcse"] <= 4 and row["elo_upper_mcse"] <= 4 for row in board["models"])
    fixed = json.loads(council_cli("score", EXAMPLE_VOTES, "--json", "--rounds", "500").stdout)
    assert fixed["mc_tolerance_met"] is None and fixed["mc_error_elo"] > 4
    # A tolerance no cap reaches is said under the table, not hidden.
    path = write_votes(BASIC, ".jsonl")
    shown = council_cli("score", path, "--rounds", "auto", "--mc-tolerance", "0.01")
    assert shown.returncode == 0 and "above the 0.01-Elo tolerance at the cap of 32000 rounds" in shown.stdout
    for wrong in (["--mc-tolerance", "3"], ["--rounds", "many"], ["--rounds", "0"]):
        refused = council_cli("score", path, *wrong)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_every_file_type_gives_the_same_ranking(council_cli, write_votes, suffix):
    path = write_votes(BASIC, suffix)
    result = council_cli("score", path, "--json", "--rounds", "50")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    reference = json.loads(council_cli("score", write_votes(BASIC, ".jsonl", "ref"), "--json", "--rounds", "50").stdout)
    assert board["models"] == reference["models"]


def test_paper_field_names_are_read_as_they_are(council_cli, write_votes):
    rows = [
        {"emobench_id": r["item"], "llm_judge": r["judge"], "first_completion_by": r["model_a"],
         "second_completion_by": r["model_b"], "pairwise_choice": r["verdict"]}
        for r in BASIC
    ]
    result = council_cli("score", write_votes(rows), "--json", "--rounds", "50")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_votes"] == len(BASIC)


def _bad(council_cli, path, *extra):
    result = council_cli("score", path, *extra)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def test_missing_column_is_named(council_cli, write_votes):
    rows = [{k: v for k, v in row.items() if k != "judge"} for row in BASIC]
    message = _bad(council_cli, write_votes(rows, ".csv"))
    assert "votes.csv" in message and "missing column 'judge'" in message


def test_unknown_verdict_names_the_line(council_cli, write_votes):
    rows = [dict(row) for row in BASIC]
    rows[3]["verdict"] = "A>>>B"
    message = _bad(council_cli, write_votes(rows))
    assert "votes.jsonl:4:" in message and "'A>>>B'" in message and "verdict" in message


def test_unknown_verdicts_can_be_counted_as_unscored(council_cli, write_votes):
    rows = [dict(row) for row in BASIC]
    rows[3]["verdict"] = "A>>>B"
    rows[4]["verdict"] = None
    result = council_cli("score", write_votes(rows), "--unknown-verdicts", "unscored", "--json", "--rounds", "50")
    assert result.returncode == 0, result.stderr
    assert "line 4: 'A>>>B'" in result.stderr
    board = json.loads(result.stdout)
    assert board["n_unscored"] == 2 and board["n_votes"] == len(BASIC) - 2


def test_empty_file(council_cli, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    assert "contains no votes" in _bad(council_cli, path)


def test_invalid_json_line(council_cli, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(BASIC[0]) + "\n{not json\n")
    assert "broken.jsonl:2:" in _bad(council_cli, path)


def test_one_model_only(council_cli, write_votes):
    rows = _rows([("x", "y", "A>B")])
    rows[0]["judge"] = "y"  # its only vote is a self-judgment, left out by default
    message = _bad(council_cli, write_votes(rows))
    assert "no scored votes" in message or "only one model" in message


def test_same_model_in_both_positions_can_be_refused(council_cli, write_votes):
    path = write_votes(_rows([("x", "y", "A>B"), ("x", "x", "A>B")]))
    message = _bad(council_cli, path, "--self-pairs", "error")
    assert "votes.jsonl:2:" in message and "same model" in message


def test_self_pairs_are_dropped_and_counted_by_default(council_cli, write_votes):
    # Arena-Hard's battle files hold the baseline against itself.
    path = write_votes(BASIC + _rows([("x", "x", "A=B"), ("y", "y", "A=B")]))
    result = council_cli("score", path, "--json", "--rounds", "20")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    assert board["n_self_pairs_dropped"] == 2 and board["n_duplicates"] == 0
    assert board["n_votes"] == len(BASIC)
    assert "2 rows compare a model with itself" in result.stderr


def test_duplicates_are_counted_and_can_be_refused(council_cli, write_votes):
    path = write_votes(BASIC + BASIC[:2])
    kept = council_cli("score", path, "--json", "--rounds", "20")
    assert kept.returncode == 0, kept.stderr
    board = json.loads(kept.stdout)
    assert board["n_duplicates"] == 2 and board["n_votes"] == len(BASIC) + 2
    assert "2 votes repeat an earlier vote" in kept.stderr
    first = json.loads(council_cli("score", path, "--json", "--rounds", "20", "--duplicates", "first").stdout)
    assert first["n_duplicates"] == 2 and first["n_votes"] == len(BASIC)
    message = _bad(council_cli, path, "--duplicates", "error")
    assert f"votes.jsonl:{len(BASIC) + 1}:" in message and "as line 1" in message


def test_reference_is_read_like_the_names(council_cli, write_votes):
    rows = [dict(row, model_a="caf\u00e9" if row["model_a"] == "x" else row["model_a"]) for row in BASIC]
    rows = [dict(row, model_b="cafe\u0301" if row["model_b"] == "x" else row["model_b"]) for row in rows]
    result = council_cli("score", write_votes(rows), "--reference", " cafe\u0301 ", "--json", "--rounds", "20")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)
    assert sorted(row["model"] for row in board["models"]) == ["caf\u00e9", "y", "z"]
    assert board["settings"]["reference"] == "caf\u00e9"


def test_disconnected_comparisons(council_cli, write_votes):
    message = _bad(council_cli, write_votes(_rows([("a", "b", "A>B"), ("b", "a", "A>B"), ("c", "d", "A>B")])))
    assert "disconnected" in message and "{a, b}" in message and "{c, d}" in message


def test_unknown_reference_and_bad_options(council_cli, write_votes):
    path = write_votes(BASIC)
    assert "reference model 'nope'" in _bad(council_cli, path, "--reference", "nope")
    assert "give one" in _bad(council_cli, path, "--mode", "reference")
    result = council_cli("score", path, "--aggregation", "median")
    assert result.returncode == 2 and "median" in result.stderr


def test_missing_file_and_directory(council_cli, tmp_path):
    assert "no such file" in _bad(council_cli, tmp_path / "nope.csv")
    assert "not a council run directory" in _bad(council_cli, tmp_path)
    assert not (tmp_path / "council.db").exists()


def test_score_does_not_import_litellm():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from council.cli import main\n"
        f"result = CliRunner().invoke(main, ['score', {str(EXAMPLE_VOTES)!r}, '--rounds', '20'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = [m for m in ('litellm', 'openai', 'pydantic', 'aiohttp') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_wide_and_combining_characters_line_up(council_cli, write_votes):
    from rich.cells import cell_len

    names = {"x": "通义千问-72B", "y": "cafe\u0301-7b", "z": "z"}
    rows = [dict(row, model_a=names[row["model_a"]], model_b=names[row["model_b"]]) for row in BASIC]
    result = council_cli("score", write_votes(rows), "--rounds", "20")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    table = lines[lines.index("") + 1:][:4]  # header and three models
    assert any("通义千问-72B" in line for line in table)
    # "votes" is right-aligned last: every row ends in the same terminal cell.
    assert len({cell_len(line) for line in table}) == 1, table


def test_the_table_fits_a_narrow_terminal(lmc_votes):
    from rich.cells import cell_len

    from council.analysis.display import leaderboard_table
    from scoring import ScoringSettings, rank_models

    board = rank_models(lmc_votes, ScoringSettings(rounds=50, reference="qwen1.5-32B-Chat"))
    table = leaderboard_table(board, width=80).splitlines()[4:-3]
    assert max(cell_len(line) for line in table) <= 80
    header = ["rank", "ranks", "rank", "ub", "group", "tier", "model", "win", "%", "interval", "votes"]
    assert table[0].split() == header
    assert "qwen1.5-110B-" in "".join(table)  # the names fold onto a second line


def test_a_ten_out_of_ten_winner_gets_an_honest_lower_bound(council_cli, write_votes):
    rows = [{"item": f"q{k}", "judge": "judge", "model_a": model, "model_b": "baseline", "verdict": verdict}
            for k in range(10) for model, verdict in (("winner", "A>B"), ("other", "A=B"))]
    path = write_votes(rows)

    def winner(*extra):
        result = council_cli("score", path, "--reference", "baseline", "--json", *extra)
        assert result.returncode == 0, result.stderr
        return next(row for row in json.loads(result.stdout)["models"] if row["model"] == "winner")

    # The exact binomial 95% interval for 10 of 10 is [69.2, 100].
    assert 65 < winner()["score_lower"] < 75
    assert winner("--prior-items", "0")["score_lower"] > 99  # what the percentile bootstrap alone says
