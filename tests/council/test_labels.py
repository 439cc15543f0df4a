"""Human labels in a run: `council label --import`, the human-preference leaderboard,
exports, and every bad label refused by line with nothing stored."""

import json

import pytest


@pytest.fixture
def run_dir(cli, council_file, tmp_path):
    run = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run).exit_code == 0
    return run


def _votes(cli, run_dir, tmp_path):
    out = tmp_path / "export-first"
    assert cli("export", run_dir, "--out", out).exit_code == 0
    return [json.loads(line) for line in (out / "votes.jsonl").read_text().splitlines()]


def _labels_from(votes, labeller="ann", judge=None):
    """One person's labels: a judge's verdicts, first order of each pair, as if theirs."""
    judge = judge or votes[0]["judge"]
    seen, rows = set(), []
    for vote in votes:
        pair = (vote["item"], *sorted((vote["model_a"], vote["model_b"])))
        if vote["judge"] == judge and vote["verdict"] and pair not in seen:
            seen.add(pair)
            rows.append({"item": vote["item"], "judge": labeller, "model_a": vote["model_a"],
                         "model_b": vote["model_b"], "verdict": vote["verdict"]})
    return rows


def test_imported_labels_turn_the_leaderboard_into_one_of_human_preference(cli, run_dir, write_votes, tmp_path):
    jury_json = cli("score", run_dir, "--json", "--rounds", "100").stdout
    jury_text = cli("score", run_dir, "--rounds", "100").stdout
    labels = _labels_from(_votes(cli, run_dir, tmp_path))
    done = cli("label", run_dir, "--import", write_votes(labels, name="labels"))
    assert done.exit_code == 0, done.output
    assert f"stored {len(labels)} label(s) by ann" in done.output

    human = json.loads(cli("score", run_dir, "--json", "--rounds", "100").stdout)
    assert human["estimand"] == "human" and human["n_human_votes"] == len(labels)
    assert 0.0 <= human["tuning"] <= 1.0
    assert {m["model"] for m in human["models"]} == {m["model"] for m in human["jury_only"]["models"]}
    assert "estimand: human preference" in cli("score", run_dir, "--rounds", "100").stdout
    # The jury's own leaderboard, asked for, is what it was before the labels: byte for byte.
    assert cli("score", run_dir, "--json", "--rounds", "100", "--estimand", "jury").stdout == jury_json
    assert cli("score", run_dir, "--rounds", "100", "--estimand", "jury").stdout == jury_text
    judges = json.loads(cli("judges", run_dir, "--json", "--judge-rounds", "20").stdout)
    assert "human" in judges, "the run's labels measure the judges against people"
    weighting = judges["weighting"]
    assert weighting["method"] == "logistic" and set(weighting["weights"]) == {"alpha", "beta", "gamma"}
    assert set(weighting["held_out_agreement"]) == {"weighted", "mean_pooling", "best_judge"}
    assert "judges weighed by people" in cli("judges", run_dir, "--judge-rounds", "20").stdout

    report = tmp_path / "report.html"
    made = cli("report", run_dir, "--out", report, "--trials", "2", "--judge-rounds", "20", "--rounds", "100")
    assert made.exit_code == 0, made.output
    html = report.read_text()
    assert "id='human-leaderboard'" in html and "Judges weighed by people" in html
    assert "estimand: human preference" in html and "Estimand: the jury&#x27;s preference" in html

    out = tmp_path / "export"
    assert cli("export", run_dir, "--out", out).exit_code == 0
    exported = [json.loads(line) for line in (out / "human_labels.jsonl").read_text().splitlines()]
    assert len(exported) == len(labels) and {row["judge"] for row in exported} == {"ann"}
    again = cli("label", run_dir, "--import", out / "human_labels.jsonl")
    assert again.exit_code == 2 and "never replaced" in again.output and ":1:" in again.output


def test_without_labels_asking_for_human_preference_is_bad_input(cli, run_dir):
    result = cli("score", run_dir, "--estimand", "human")
    assert result.exit_code == 2 and "council label" in result.output


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"item": "no-such-item"}, "item", "no item 'no-such-item'"),
    ({"model_b": "omega"}, "model_b", "'omega' answered nothing"),
    ({"verdict": ""}, "verdict", "a label needs a verdict"),
])
def test_a_bad_label_is_refused_by_line_and_nothing_is_stored(cli, run_dir, write_votes, tmp_path, change, field,
                                                              message):
    labels = _labels_from(_votes(cli, run_dir, tmp_path))
    labels[2] = {**labels[2], **change}
    result = cli("label", run_dir, "--import", write_votes(labels, name="labels"))
    assert result.exit_code == 2
    assert f"labels.jsonl:3: field '{field}': {message}" in result.output, result.output
    assert "estimand" not in json.loads(cli("score", run_dir, "--json", "--rounds", "50").stdout)


def test_a_pair_labelled_twice_in_one_file_names_both_lines(cli, run_dir, write_votes, tmp_path):
    labels = _labels_from(_votes(cli, run_dir, tmp_path))
    first = labels[0]
    swapped = {**first, "model_a": first["model_b"], "model_b": first["model_a"], "verdict": "A>B"}
    result = cli("label", run_dir, "--import", write_votes([*labels, swapped], name="labels"))
    assert result.exit_code == 2
    assert f"labels.jsonl:{len(labels) + 1}:" in result.output and "also line 1" in result.output


def test_labels_on_pairs_the_jury_never_judged_are_kept_and_said_to_be_unused(cli, council_file, tmp_path,
                                                                              write_votes):
    run = tmp_path / "run"
    assert cli("run", council_file(judge={"pairing": "sampled", "pairs_per_item": 1}), "--run-dir", run).exit_code == 0
    votes = _votes(cli, run, tmp_path)
    judged = {(v["item"], *sorted((v["model_a"], v["model_b"]))) for v in votes}
    items = sorted({v["item"] for v in votes})
    models = ("alpha", "beta", "gamma")
    unjudged = [(item, a, b) for item in items for i, a in enumerate(models) for b in models[i + 1:]
                if (item, a, b) not in judged]
    assert unjudged, "one pair per item leaves two of three unjudged"
    item, a, b = unjudged[0]
    rows = _labels_from(votes) + [{"item": item, "judge": "ann", "model_a": a, "model_b": b, "verdict": "A>B"}]
    result = cli("label", run, "--import", write_votes(rows, name="labels"))
    assert result.exit_code == 0 and "1 are on pairs the jury never judged" in result.output


def test_labels_stored_by_schema_8_are_read_as_uniform_and_the_store_upgrades(cli, run_dir, write_votes, tmp_path):
    import sqlite3

    from council.store.db import DB_NAME

    labels = _labels_from(_votes(cli, run_dir, tmp_path))
    assert cli("label", run_dir, "--import", write_votes(labels[:3], name="first")).exit_code == 0
    with sqlite3.connect(run_dir / DB_NAME) as conn:  # what migration 8 alone left
        conn.execute("ALTER TABLE human_labels DROP COLUMN selection_weight")
        conn.execute("DELETE FROM schema_migrations WHERE version = 9")
    human = json.loads(cli("score", run_dir, "--json", "--rounds", "50").stdout)
    assert human["estimand"] == "human" and human["n_human_votes"] == 3
    assert cli("label", run_dir, "--import", write_votes(labels[3:], name="rest")).exit_code == 0
    with sqlite3.connect(run_dir / DB_NAME) as conn:
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 9
        assert conn.execute("SELECT count(*) FROM human_labels").fetchone()[0] == len(labels)
