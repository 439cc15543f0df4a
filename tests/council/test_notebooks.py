"""The notebooks run top to bottom on the shipped votes and on a real run, so they
cannot rot: executed with nbclient in a fresh kernel, as a reader would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient", reason="nbclient runs the notebooks (dev extra)")
nbformat = pytest.importorskip("nbformat", reason="nbformat reads the notebooks (dev extra)")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _execute(name: str, **environment: str):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)  # the kernel inherits this process's environment
    try:
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def _images(notebook) -> int:
    return sum(
        1
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    )


QUICK = {"COUNCIL_NOTEBOOK_ROUNDS": "20", "COUNCIL_NOTEBOOK_TRIALS": "3", "COUNCIL_NOTEBOOK_COUNCILS": "2"}


def test_judge_bias_notebook_runs_on_the_paper_votes():
    notebook = _execute("judge_bias", **QUICK)
    assert _images(notebook) >= 4  # forest, position, self-enhancement, agreement


def test_council_design_notebook_runs_on_the_paper_votes():
    notebook = _execute("council_design", **QUICK)
    assert _images(notebook) >= 1


def test_judge_bias_notebook_runs_on_a_run(cli, council_file, tmp_path):
    run_dir = tmp_path / "run"
    config = council_file(members=("alpha", "beta", "gamma"), judge={"include_self": True})
    assert cli("run", config, "--run-dir", run_dir).exit_code == 0
    notebook = _execute("judge_bias", COUNCIL_SOURCE=str(run_dir), **QUICK)
    assert _images(notebook) >= 5  # and the length view, from the run's answers
    printed = "".join(output.get("text", "") for output in notebook.cells[-1].get("outputs", []))
    assert printed.count("own − others") == 3  # the members wrote the items: each author's bias
    text = "".join(str(output.get("text", "")) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "length effect" in text


def test_rank_your_own_notebook_runs_on_the_test_provider(provider, tmp_path):
    notebook = _execute("rank_your_own", COUNCIL_API_BASE=provider.url, COUNCIL_NOTEBOOK_RUN_DIR=str(tmp_path / "run"))
    assert _images(notebook) >= 1
    assert provider.count("judge", 200) == 8 * 6 * 2 * 2 + 2 * 2  # 4 systems: 6 pairs; then one comparison
    from council.store.frames import open_run

    with open_run(tmp_path / "run") as store:
        assert store.votes.height == 8 * 6 * 2 * 2


def test_human_calibration_notebook_runs_on_a_simulated_council():
    notebook = _execute("human_calibration", **QUICK)
    assert _images(notebook) >= 1
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert "people (truth)" in printed and "held-out agreement, weighted" in printed


def test_human_calibration_notebook_runs_on_a_run_with_labels(cli, council_file, tmp_path, write_votes):
    import json

    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    assert cli("export", run_dir, "--out", tmp_path / "export").exit_code == 0
    votes = [json.loads(line) for line in (tmp_path / "export" / "votes.jsonl").read_text().splitlines()]
    first_judge = votes[0]["judge"]
    labels = {(v["item"], *sorted((v["model_a"], v["model_b"]))): {**v, "judge": "ann"}
              for v in votes if v["judge"] == first_judge and v["verdict"]}
    assert cli("label", run_dir, "--import", write_votes(list(labels.values()), name="labels")).exit_code == 0
    notebook = _execute("human_calibration", COUNCIL_SOURCE=str(run_dir), **QUICK)
    assert _images(notebook) >= 1
