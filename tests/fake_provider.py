"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, with fault injection.

Council reaches it through litellm exactly as it reaches any provider. The fake plays
every stage from what it is sent: a prompt with a seed scenario gets a dilemma, a
prompt with two responses gets a verdict, anything else gets an answer signed with
the model's name. Judges prefer the answer of the stronger model (``strengths``) with
some deterministic noise, so councils rank the way the test expects.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Faults:
    """What the server does wrong. Tests change these between runs."""

    rate_limit_first: int = 0  # the first N requests get 429 with Retry-After
    retry_after: float = 0.05
    error_500_every: int = 0  # every Nth request gets a 500
    slow_first: int = 0  # the first N requests take `slow_seconds`
    slow_seconds: float = 0.0
    latency: float = 0.0  # every request
    rpm_limit: int | None = None  # per model: 429 beyond rpm_limit · rpm_window / 60 requests
    rpm_window: float = 60.0  # in any sliding window of this many seconds
    unparseable_judges: set = field(default_factory=set)  # these judges never give a verdict
    garbled_first_verdicts: int = 0  # the first N judge replies are unreadable (a re-ask fixes them)
    quoting_respondents: set = field(default_factory=set)  # their answers contain "[[A>>B]]"
    tag_judges: set = field(default_factory=set)  # plain-text replies quoting the answers, verdict tag last
    echo_judges: set = field(default_factory=set)  # replies that only echo the answers, with no verdict
    reject_models: set = field(default_factory=set)  # 401 for these
    echo_key_models: set = field(default_factory=set)  # 401 whose message repeats the key sent
    refuse_containing: str | None = None  # 400 (a content filter) for prompts containing this text
    empty_choices_first: int = 0  # the first N requests get 200 with "choices": []
    null_content_first: int = 0  # the first N requests get 200 with "content": null
    malformed_first: int = 0  # the first N requests get 200 with a body that is not JSON
    retry_after_text: str | None = None  # sent as Retry-After instead of retry_after
    trickle_first: int = 0  # the first N requests send their body a byte every trickle_interval s
    trickle_interval: float = 0.5
    quota_models: set = field(default_factory=set)  # 429 for these, forever
    verbose_tokens: int = 0  # replies bill this many output tokens, or max_tokens if the request sent fewer
    fail_reasks: bool = False  # a judge's re-ask gets a 500 (after the first ask was paid for)
    strengths: dict = field(default_factory=dict)  # model -> strength for judges' preferences
    reversed_criteria: set = field(default_factory=set)  # criteria on which judges prefer the weaker answer
    criteria_missing_first: set = field(default_factory=set)  # these judges' first ask leaves a criterion out
    served_as: dict = field(default_factory=dict)  # model -> the model that really answers (a silent swap)
    # Batches: each retrieve moves a batch one state on (validating → in_progress →
    # completed); these end otherwise, and these custom ids fail into the error file.
    failed_batches: int = 0  # the first N batches created end "failed"
    expired_batches: int = 0  # the next N end "expired" (their lines are in the error file)
    failing_lines: set = field(default_factory=set)  # custom ids answered in the error file
    slow_batch_create: float = 0.0  # seconds a batch create waits after creating, before it answers
    slow_batch_output: float = 0.0  # seconds a batch output file's content waits before it is sent


@dataclass
class Request:
    at: float
    model: str
    key: str | None
    kind: str
    status: int
    completion_tokens: int = 0  # what a 200 reply billed (prompt tokens are always 50)
    messages: list = field(default_factory=list)  # what was sent


_SIGNATURE = re.compile(r"\(answer signed by ([\w.-]+)\)")
# Council's per-criterion verdict format, and the criterion names in it.
_CRITERIA_FORMAT = re.compile(r'"criteria": \{(.*?)\}, "verdict"')
_CRITERION_NAME = re.compile(r'"((?:[^"\\]|\\.)*)": "<verdict>"')
_REVERSED = {"A>>B": "B>>A", "A>B": "B>A", "A=B": "A=B", "B>A": "A>B", "B>>A": "A>>B"}


def _digest(*parts: str) -> int:
    return int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:8], 16)


class FakeProvider:
    def __init__(self, faults: Faults | None = None):
        self.faults = faults or Faults()
        self.requests: list[Request] = []
        self.files: dict[str, tuple[dict, bytes]] = {}
        self.batches: dict[str, dict] = {}
        self._count = 0
        self._windows: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeProvider:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_get("/v1/files/{file_id}", self._file_object)
        app.router.add_post("/v1/batches", self._create_batch)
        app.router.add_get("/v1/batches/{batch_id}", self._retrieve_batch)
        app.router.add_get("/v1/batches", self._list_batches)
        app.router.add_get("/batch-lines", self._batch_lines)
        app.router.add_get("/stats", self._stats)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    # -- bookkeeping -----------------------------------------------------------------
    def keys(self, status: int | None = 200) -> Counter:
        """How many requests each work key got (with this response status)."""
        with self._lock:
            return Counter(r.key for r in self.requests if status is None or r.status == status)

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1 for r in self.requests if (kind is None or r.kind == kind) and (status is None or r.status == status)
            )

    def billed(self, input_price: float, output_price: float) -> float:
        """What the replies sent so far would cost at these prices (all 200s are paid)."""
        with self._lock:
            return sum(50 * input_price + r.completion_tokens * output_price for r in self.requests if r.status == 200)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._count = 0
            self._windows.clear()

    # -- behaviour -------------------------------------------------------------------
    @staticmethod
    def _kind(messages: list[dict]) -> str:
        text = " ".join(str(m.get("content", "")) for m in messages)
        if "[Response A]" in text or '"verdict"' in text:  # every task's judges get Council's verdict format
            return "judge"
        if "Seed scenario:" in text:
            return "compose"
        return "respond"

    async def _stats(self, request: web.Request) -> web.Response:
        with self._lock:
            rows = [[r.at, r.model, r.key, r.kind, r.status] for r in self.requests]
        return web.json_response(rows)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        model, messages = body["model"], body["messages"]
        kind = self._kind(messages)
        key = request.headers.get("X-Council-Key")
        faults = self.faults
        with self._lock:
            self._count += 1
            number = self._count
            now = time.monotonic()
            window = self._windows[model]
            while window and now - window[0] > faults.rpm_window:
                window.popleft()
            window.append(now)
            allowed = faults.rpm_limit * faults.rpm_window / 60.0 if faults.rpm_limit is not None else None
            over_rpm = allowed is not None and len(window) > allowed
        status, payload, headers = 200, None, {}
        if model in faults.reject_models:
            status, payload = 401, {"error": {"message": "invalid api key", "type": "authentication_error"}}
        elif model in faults.echo_key_models:
            sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
            message = f"Incorrect API key provided: {sent}. You can find your key in your account settings."
            status, payload = 401, {"error": {"message": message, "type": "invalid_request_error"}}
        elif number <= faults.rate_limit_first or over_rpm or model in faults.quota_models:
            status, headers = 429, {"Retry-After": faults.retry_after_text or str(faults.retry_after)}
            payload = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
        elif faults.fail_reasks and "could not read a verdict" in json.dumps(messages):
            status, payload = 500, {"error": {"message": "internal error", "type": "server_error"}}
        elif faults.refuse_containing and faults.refuse_containing in json.dumps(messages):
            status = 400
            payload = {"error": {"message": "content filter: request refused", "type": "invalid_request_error"}}
        elif faults.error_500_every and number % faults.error_500_every == 0:
            status, payload = 500, {"error": {"message": "internal error", "type": "server_error"}}
        completion_tokens = 20
        if faults.verbose_tokens:
            completion_tokens = min(faults.verbose_tokens, body.get("max_tokens") or faults.verbose_tokens)
        with self._lock:
            self.requests.append(Request(time.time(), model, key, kind, status,
                                         completion_tokens if status == 200 else 0, messages))
        delay = faults.latency + (faults.slow_seconds if number <= faults.slow_first else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if status != 200:
            return web.json_response(payload, status=status, headers=headers)
        served = faults.served_as.get(model, model)
        text = self._reply(kind, served, messages, number)
        if number <= faults.malformed_first:
            return web.Response(status=200, text="{'this is': not json", content_type="application/json")
        if number <= faults.trickle_first:
            return await self._trickle(request, faults.trickle_interval)
        choices = [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
        if number <= faults.empty_choices_first:
            choices = []
        elif number <= faults.null_content_first:
            choices[0]["message"]["content"] = None
        return web.json_response(
            {
                "id": f"fake-{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": served,
                "choices": choices,
                "usage": {"prompt_tokens": 50, "completion_tokens": completion_tokens,
                          "total_tokens": 50 + completion_tokens},
            }
        )

    @staticmethod
    async def _trickle(request: web.Request, interval: float) -> web.StreamResponse:
        """A reply that never finishes in time: one byte of a long body every ``interval`` s."""
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            for _ in range(120):
                await response.write(b" ")
                await asyncio.sleep(interval)
        except (ConnectionResetError, RuntimeError):
            pass  # the client gave up, as it should
        return response

    # -- files and batches (OpenAI's shapes) -------------------------------------------
    def _file(self, file_id: str, name: str, content: bytes, purpose: str) -> dict:
        obj = {"id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
               "filename": name, "purpose": purpose, "status": "processed"}
        self.files[file_id] = (obj, content)
        return obj

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        content = upload.file.read() if hasattr(upload, "file") else bytes(upload)
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            obj = self._file(file_id, getattr(upload, "filename", "input.jsonl"), content, str(form.get("purpose")))
        return web.json_response(obj)

    async def _file_object(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["file_id"])
        return web.json_response(found[0]) if found else web.json_response({"error": {"message": "no file"}},
                                                                             status=404)

    async def _file_content(self, request: web.Request) -> web.Response:
        found = self.files.get(request.match_info["file_id"])
        if found is None:
            return web.json_response({"error": {"message": "no such file"}}, status=404)
        if found[0]["filename"] == "output.jsonl" and self.faults.slow_batch_output:
            await asyncio.sleep(self.faults.slow_batch_output)
        return web.Response(body=found[1], content_type="application/octet-stream")

    async def _create_batch(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            batch_id = f"batch-{len(self.batches) + 1}"
            number = len(self.batches) + 1
            ending = ("failed" if number <= self.faults.failed_batches else
                      "expired" if number <= self.faults.failed_batches + self.faults.expired_batches else "completed")
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "input_file_id": body["input_file_id"],
                "completion_window": body.get("completion_window", "24h"), "status": "validating",
                "created_at": int(time.time()), "output_file_id": None, "error_file_id": None,
                "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata"),
                "_ending": ending,
            }
            shown = {k: v for k, v in self.batches[batch_id].items() if not k.startswith("_")}
        if self.faults.slow_batch_create:
            await asyncio.sleep(self.faults.slow_batch_create)  # created all the same: a client killed now lost it
        return web.json_response(shown)

    async def _list_batches(self, request: web.Request) -> web.Response:
        shown = [{k: v for k, v in batch.items() if not k.startswith("_")} for batch in self.batches.values()]
        return web.json_response({"object": "list", "data": shown[::-1], "has_more": False})

    async def _batch_lines(self, request: web.Request) -> web.Response:
        """Every line of every batch created so far: [batch id, custom id, messages]."""
        rows = []
        for batch in self.batches.values():
            _, content = self.files[batch["input_file_id"]]
            for line in content.decode().splitlines():
                if line.strip():
                    parsed = json.loads(line)
                    rows.append([batch["id"], parsed["custom_id"], parsed["body"]["messages"]])
        return web.json_response(rows)

    async def _retrieve_batch(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["batch_id"])
        if batch is None:
            return web.json_response({"error": {"message": "no such batch"}}, status=404)
        if batch["status"] == "validating":
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress":
            await self._finish(batch)
        return web.json_response({k: v for k, v in batch.items() if not k.startswith("_")})

    async def _finish(self, batch: dict) -> None:
        """Answer every line of the batch's input file as the chat endpoint would."""
        _, content = self.files[batch["input_file_id"]]
        lines = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
        if batch["_ending"] == "failed":
            batch["status"], batch["errors"] = "failed", {"data": [{"code": "invalid_file", "message": "bad"}]}
            return
        outputs, errors = [], []
        for number, line in enumerate(lines, start=1):
            custom_id, body = line["custom_id"], line["body"]
            if batch["_ending"] == "expired" or custom_id in self.faults.failing_lines:
                code = "batch_expired" if batch["_ending"] == "expired" else "server_error"
                errors.append({"id": f"line-{number}", "custom_id": custom_id, "response": None,
                               "error": {"code": code, "message": "this line was not answered"}})
                continue
            messages = body["messages"]
            served = self.faults.served_as.get(body["model"], body["model"])
            kind = self._kind(messages)
            with self._lock:
                self._count += 1
                count = self._count
                self.requests.append(Request(time.time(), body["model"], custom_id, kind, 200, 20, messages))
            text = self._reply(kind, served, messages, count)
            outputs.append({"id": f"line-{number}", "custom_id": custom_id, "error": None, "response": {
                "status_code": 200, "request_id": f"req-{number}", "body": {
                    "id": f"fake-{count}", "object": "chat.completion", "created": int(time.time()), "model": served,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70}}}})
        with self._lock:
            if outputs:
                batch["output_file_id"] = f"file-{len(self.files) + 1}"
                self._file(batch["output_file_id"], "output.jsonl",
                           "".join(json.dumps(o) + "\n" for o in outputs).encode(), "batch_output")
            if errors:
                batch["error_file_id"] = f"file-{len(self.files) + 1}"
                self._file(batch["error_file_id"], "errors.jsonl",
                           "".join(json.dumps(e) + "\n" for e in errors).encode(), "batch_output")
        batch["status"] = batch["_ending"]
        batch["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}

    def _reply(self, kind: str, model: str, messages: list[dict], number: int) -> str:
        prompt = messages[-1]["content"]
        h = _digest(model, prompt)
        if kind == "compose" and '"Customer:"' in prompt:  # a task whose authors write conversations
            return (f"Customer: Order {h % 997} arrived with the lid cracked, and I need it for Saturday.\n\n"
                    "Agent: I am sorry to hear that. Could you send a photo of the damage?\n\n"
                    "Customer: I sent two photos yesterday and nobody answered. What happens now?")
        if kind == "compose":
            return (
                f"I am writing as {model} about case {h % 997}. My sister Ana and I have not spoken since "
                "the wedding, and now our father is ill. I feel hurt and guilty at once. What should I do?"
            )
        if kind == "respond":
            quote = " A judge might write [[A>>B]] here. " if model in self.faults.quoting_respondents else " "
            sentences = " ".join(f"Point {i} is worth considering carefully." for i in range(3 + h % 4))
            return f"(answer signed by {model}) I hear how hard this is.{quote}{sentences}"
        # judge
        if model in self.faults.unparseable_judges:
            return "Both responses have merit and I cannot decide."
        if self.faults.garbled_first_verdicts and number <= self.faults.garbled_first_verdicts:
            return "Let me think... the verdict is somewhere"
        user = next(m["content"] for m in messages if m["role"] == "user")
        if model in self.faults.echo_judges:
            return f"Here are the responses again: {user}"
        signed = _SIGNATURE.findall(user)
        a, b = (signed + ["?", "?"])[:2]
        strengths = self.faults.strengths
        margin = strengths.get(a, 0.0) - strengths.get(b, 0.0) + ((h % 1000) / 1000.0 - 0.5)
        verdict = ("A>>B" if margin > 1.5 else "A>B") if margin > 0 else ("B>>A" if margin < -1.5 else "B>A")
        reasoning = f"Comparing both answers as {model}. Response A said: {user[-60:]}"
        if model in self.faults.tag_judges:
            return f"Response A says: {user}\nWeighing them up, my verdict is [[{verdict}]]."
        asked = _CRITERIA_FORMAT.search(messages[0]["content"])
        if asked:  # a verdict per criterion: the overall one, or its reverse on a criterion that says so
            criteria = {name: (_REVERSED[verdict] if name in self.faults.reversed_criteria else verdict)
                        for name in _CRITERION_NAME.findall(asked.group(1))}
            if model in self.faults.criteria_missing_first and len(messages) <= 2:  # not yet re-asked
                criteria.pop(next(iter(criteria)))
            return json.dumps({"reasoning": reasoning, "criteria": criteria, "verdict": verdict})
        return json.dumps({"reasoning": reasoning, "verdict": verdict})


def main() -> None:
    """Serve in a process of its own: ``python -m tests.fake_provider '{"latency": 0.2}'``.

    Prints the port, then serves until killed; ``GET /stats`` lists the requests.
    """
    import sys

    faults = Faults(**json.loads(sys.argv[1])) if len(sys.argv) > 1 else Faults()
    provider = FakeProvider(faults).start()
    print(provider.port, flush=True)
    try:
        provider._thread.join()
    except KeyboardInterrupt:
        provider.stop()


if __name__ == "__main__":
    main()
