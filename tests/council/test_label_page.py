"""The labelling page in a real browser (headless Debian chromium driven by Playwright):
labels by keys and by clicks, undo, skip, a kill and a restart with nothing lost or
asked twice, two labellers at once, and bad requests that change nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from council.store.db import DB_NAME


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright drives the browser (dev extra)")
    if _chromium() is None:
        pytest.skip("Debian's chromium is not installed: the labelling page was not tried in a browser")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def run_dir(cli, council_file, tmp_path):
    run = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run).exit_code == 0
    return run


class _Server:
    """`council label RUN --labeller …` in its own process, as a user starts it."""

    def __init__(self, run_dir: Path, *labellers: str, choose: str = "split"):
        names = [arg for name in labellers for arg in ("--labeller", name)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "council", "label", str(run_dir), *names, "--port", "0", "--no-browser",
             "--choose", choose],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.links: dict[str, str] = {}
        header = self.process.stdout.readline()
        assert header.startswith("labelling "), header + self.process.stderr.read()
        for _ in labellers:
            name, link = self.process.stdout.readline().strip().split(": ", 1)
            self.links[name] = link

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()


def _labels(run_dir: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(run_dir / DB_NAME) as conn:
        return conn.execute("SELECT labeller, item, model_a, model_b, verdict, source FROM human_labels "
                            "ORDER BY id").fetchall()


def _shown(page) -> tuple[str, str, str]:
    return page.text_content("#item"), page.text_content("#answer-a"), page.text_content("#answer-b")


def _expect(locator, pattern: str) -> None:
    """Wait for an element's text (locators: the page's policy forbids evaluated strings)."""
    from playwright.sync_api import expect

    expect(locator).to_have_text(re.compile(pattern), timeout=15_000)


def _wait_for_progress(page, done: int) -> None:
    _expect(page.locator("#progress"), rf"^{done} of")


def test_labels_by_keys_and_clicks_survive_a_kill_and_nothing_is_asked_twice(browser, run_dir):
    server = _Server(run_dir, "ann")
    try:
        page = browser.new_page()
        page.goto(server.links["ann"])
        _wait_for_progress(page, 0)
        total = int(re.search(r"of (\d+)", page.text_content("#progress")).group(1))
        assert total == 18  # 6 items × 3 pairs
        # Blind: no model name anywhere but inside the texts the models wrote (the test
        # provider signs its items and answers).
        outside = page.evaluate("['item', 'answer-a', 'answer-b'].reduce((text, id) => "
                                "text.replace(document.getElementById(id).innerText, ''), document.body.innerText)")
        assert not re.search(r"alpha|beta|gamma", outside), outside
        seen = [_shown(page)]
        page.keyboard.press("1")  # A is much better
        _wait_for_progress(page, 1)
        seen.append(_shown(page))
        page.click("button[data-verdict='B>A']")
        _wait_for_progress(page, 2)
        seen.append(_shown(page))
        page.keyboard.press("u")  # undo the click
        _wait_for_progress(page, 1)
        assert _shown(page) == seen[1], "undo offers the comparison again"
        page.keyboard.press("4")  # B is much better (no tie: four verdicts)
        _wait_for_progress(page, 2)
        page.keyboard.press("s")  # skip one
        _expect(page.locator("#message"), "^skipped$")
        page.click("button[data-verdict='A>B']")
        _wait_for_progress(page, 3)
        assert [(who, verdict) for who, *_, verdict, _ in _labels(run_dir)] == [
            ("ann", "A>>B"), ("ann", "B>>A"), ("ann", "A>B")]
        server.kill()  # mid-session: the page is open, the server is gone
        page.keyboard.press("2")
        _expect(page.locator("#message"), "cannot be reached")
        assert len(_labels(run_dir)) == 3, "every label given before the kill is stored, and nothing else"

        server = _Server(run_dir, "ann")
        page.goto(server.links["ann"])
        _wait_for_progress(page, 3)
        labelled = {(item, *sorted((a, b))) for _, item, a, b, _, _ in _labels(run_dir)}
        for done in range(4, total + 1):
            page.keyboard.press("2")
            _wait_for_progress(page, done)
        _expect(page.locator("#finished"), "Every comparison is labelled")
        rows = _labels(run_dir)
        pairs = [(item, *sorted((a, b))) for _, item, a, b, _, _ in rows]
        assert len(rows) == total and len(set(pairs)) == total, "nothing asked twice, nothing lost"
        assert labelled <= set(pairs) and {source for *_, source in rows} == {"page"}
        import sqlite3

        with sqlite3.connect(run_dir / DB_NAME) as conn:
            weights = [row[0] for row in conn.execute("SELECT selection_weight FROM human_labels")]
        assert all(w is not None and w > 0 for w in weights), "each label keeps the chance it was offered with"
    finally:
        server.kill()


def test_two_labellers_label_at_once_each_under_their_own_name(browser, run_dir):
    server = _Server(run_dir, "ann", "bob", choose="random")
    try:
        pages = {name: browser.new_page() for name in ("ann", "bob")}
        for name, page in pages.items():
            page.goto(server.links[name])
            _wait_for_progress(page, 0)
            assert name in page.text_content("#progress")
        for step in range(1, 4):
            for page in pages.values():
                page.keyboard.press("3")
            for page in pages.values():
                _wait_for_progress(page, step)
        rows = _labels(run_dir)
        assert sorted(who for who, *_ in rows) == ["ann"] * 3 + ["bob"] * 3
    finally:
        server.kill()


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_bad_requests_get_a_clear_answer_and_change_nothing(run_dir):
    server = _Server(run_dir, "ann")
    try:
        link = server.links["ann"]
        with urllib.request.urlopen(f"{link}/next", timeout=30) as response:
            shown = json.load(response)
        ticket = shown["ticket"]
        assert set(shown) == {"labeller", "progress", "verdicts", "criteria", "instructions", "finished", "ticket",
                              "item", "answer_a", "answer_b"}, "blind: the page is never told which model wrote what"
        forged = re.sub(r"/l/[^/]+", "/l/not-a-token", link)
        assert _post(f"{forged}/label", {"ticket": ticket, "verdict": "A>B"})[0] == 403
        assert _post(f"{link}/label", {"ticket": "stale", "verdict": "A>B"})[0] == 410
        status, body = _post(f"{link}/label", {"ticket": ticket, "verdict": "A=B"})  # no ties in this council
        assert status == 400 and "nothing was stored" in body["error"]
        assert _labels(run_dir) == []
        assert _post(f"{link}/label", {"ticket": ticket, "verdict": "A>B"}) == (200, {"stored": True})
        with urllib.request.urlopen(f"{link}/next", timeout=30) as response:
            assert json.load(response)["progress"]["done"] == 1
        # A second tab still holding the same comparison: refused, the first label stands.
        second = _post(f"{link}/label", {"ticket": ticket, "verdict": "B>A"})
        assert second[0] == 410 and [row[4] for row in _labels(run_dir)] == ["A>B"]
        assert _post(f"{link}/undo", {}) == (200, {"undone": True})
        assert _post(f"{link}/undo", {})[0] == 409 and _labels(run_dir) == []
    finally:
        server.kill()


def test_the_page_loads_nothing_from_elsewhere():
    page = (Path(__file__).resolve().parents[2] / "council" / "cli" / "label_page.html").read_text()
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
    assert "innerHTML" not in page, "texts go in as textContent"


def test_a_link_names_a_reachable_host():
    import socket

    from council.cli.label_page import link_host

    assert link_host("127.0.0.1") == "127.0.0.1"
    assert link_host("0.0.0.0") == link_host("::") == socket.gethostname()
    assert link_host("::1") == "[::1]"
