"""The labelling page's server: the standard library's HTTP server, one page, a small
JSON API, and one random token per labeller.

Every request names its labeller by the token in its path (``/l/<token>/…``); a request
without a valid token is refused and changes nothing. The page is self-contained (its
style and script are inline; the Content-Security-Policy lets it load nothing else)
and puts every text it shows in with ``textContent``, never as HTML. A comparison is
shown as an opaque ticket: model names never reach the page. Tickets live in this
process only, so a page served before a restart says it is out of date and fetches
the next comparison; the labels themselves are in the store the moment they are given.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import urlsplit

from council.engine.labelling import Comparison, LabellingQueue
from council.store.labels import LabelExists

__all__ = ["LabelServer", "link_host"]

#: The most a request body may hold: a ticket and a verdict are a few dozen bytes.
MAX_BODY = 4096
_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def link_host(bound: str) -> str:
    """The host to put in a link: the address the page listens on, or this machine's
    name when it listens on every address (a link to 0.0.0.0 leads nowhere)."""
    if bound in ("0.0.0.0", "::", ""):
        import socket

        return socket.gethostname()
    return f"[{bound}]" if ":" in bound else bound


class LabelServer:
    """Serves a `LabellingQueue` to labellers, each with a random token."""

    def __init__(self, queue: LabellingQueue, labellers: list[str], host: str = "127.0.0.1", port: int = 0):
        self.queue = queue
        self.labellers = {secrets.token_urlsafe(16): name for name in labellers}
        self.tickets: dict[str, tuple[str, Comparison]] = {}
        self.skipped: dict[str, set[tuple[str, str, str]]] = {name: set() for name in labellers}
        self._lock = threading.Lock()
        self.page = resources.files("council.cli").joinpath("label_page.html").read_text(encoding="utf-8")
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True

    def links(self) -> dict[str, str]:
        """Each labeller's link."""
        host, port = self.httpd.server_address[:2]
        host = link_host(host.decode() if isinstance(host, (bytes, bytearray)) else str(host))
        return {name: f"http://{host}:{port}/l/{token}" for token, name in self.labellers.items()}

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the API, each returning (status, JSON body) -----------------------------------

    def next_page(self, labeller: str) -> tuple[int, dict]:
        done, total = self.queue.progress(labeller)
        comparison = self.queue.next_for(labeller, self.skipped[labeller])
        body: dict = {"labeller": labeller, "progress": {"done": done, "total": total},
                      "verdicts": list(self.queue.verdicts), "criteria": list(self.queue.criteria),
                      "instructions": self.queue.instructions}
        if comparison is None:
            return 200, {**body, "finished": True, "skipped": len(self.skipped[labeller])}
        ticket = secrets.token_urlsafe(12)
        with self._lock:
            self.tickets[ticket] = (labeller, comparison)
        return 200, {**body, "finished": False, "ticket": ticket, "item": self.queue.items[comparison.item],
                     "answer_a": self.queue.answer(comparison.item, comparison.first),
                     "answer_b": self.queue.answer(comparison.item, comparison.second)}

    def _ticket(self, labeller: str, payload: dict) -> Comparison | None:
        with self._lock:
            held = self.tickets.get(str(payload.get("ticket", "")))
        return held[1] if held is not None and held[0] == labeller else None

    def label(self, labeller: str, payload: dict) -> tuple[int, dict]:
        comparison = self._ticket(labeller, payload)
        if comparison is None:
            return 410, {"error": "this page is out of date (the server restarted, or the comparison is unknown): "
                                  "nothing was stored; the next comparison follows"}
        verdict = payload.get("verdict")
        if verdict not in self.queue.verdicts:
            return 400, {"error": f"a verdict is one of {', '.join(self.queue.verdicts)}; nothing was stored"}
        try:
            self.queue.record(labeller, comparison, str(verdict))
        except LabelExists:
            return 409, {"error": "you have labelled this comparison already (in another tab?); your first label "
                                  "stands"}
        with self._lock:
            self.tickets.pop(str(payload["ticket"]), None)
        return 200, {"stored": True}

    def skip(self, labeller: str, payload: dict) -> tuple[int, dict]:
        comparison = self._ticket(labeller, payload)
        if comparison is None:
            return 410, {"error": "this page is out of date; the next comparison follows"}
        self.skipped[labeller].add(comparison.pair)
        return 200, {"skipped": True}

    def undo(self, labeller: str) -> tuple[int, dict]:
        removed = self.queue.undo(labeller)
        if removed is None:
            return 409, {"error": "nothing to undo: you have given no label on this page"}
        self.skipped[labeller].discard((removed.item, *sorted((removed.model_a, removed.model_b))))
        return 200, {"undone": True}


def _handler(server: LabelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "council-label"

        def log_message(self, format: str, *args) -> None:
            pass  # the terminal shows the links, not every request

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", _POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict) -> None:
            self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

        def _route(self) -> tuple[str | None, str]:
            parts = urlsplit(self.path).path.strip("/").split("/")
            if len(parts) < 2 or parts[0] != "l" or parts[1] not in server.labellers:
                return None, ""
            return server.labellers[parts[1]], "/".join(parts[2:])

        def do_GET(self) -> None:
            labeller, action = self._route()
            if labeller is None:
                self._json(403, {"error": "not a valid labelling link: ask for yours"})
            elif action == "":
                self._send(200, server.page.encode(), "text/html; charset=utf-8")
            elif action == "next":
                self._json(*server.next_page(labeller))
            else:
                self._json(404, {"error": f"no such page: {action}"})

        def do_POST(self) -> None:
            labeller, action = self._route()
            if labeller is None:
                self._json(403, {"error": "not a valid labelling link: nothing was changed"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._json(413, {"error": "request too large: nothing was changed"})
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(payload, dict):
                    raise ValueError
            except ValueError:
                self._json(400, {"error": "the request is not a JSON object: nothing was changed"})
                return
            if action == "label":
                self._json(*server.label(labeller, payload))
            elif action == "skip":
                self._json(*server.skip(labeller, payload))
            elif action == "undo":
                self._json(*server.undo(labeller))
            else:
                self._json(404, {"error": f"no such action: {action}"})

    return Handler
