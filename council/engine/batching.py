"""Batch members' respond and judge calls through their providers' batch APIs.

For a stage, `StageBatches` submits the units of batch members as provider batches (one
per member, at most ``batches.max_lines`` lines each), looks at the live ones, and
ingests a finished batch's output through the stage's own ``execute``, so a line's reply
becomes a response or a vote exactly as a direct reply would. What a batch did not
answer (a failed line, an expired or failed batch) is asked directly: the normal retry
path. The ledger knows every batch from before it is sent (`council.store.batches`), so
a killed run never sends a live key again and ingests each batch once.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from council.engine.budget import batch_cost_estimate
from council.engine.execution import SessionState
from council.providers import batch as provider_batch
from council.providers.client import CallFailed, MemberClient
from council.providers.retry import ProviderError
from council.records import CallRecord
from council.stages.base import Stage, WorkUnit
from council.store.batches import BatchLine, BatchRow
from council.usage import Usage
from council.vocab import CallStatus, ErrorKind, StageName

__all__ = ["BATCH_STAGES", "StageBatches"]

#: The stages whose calls a batch member sends in provider batches (compose is small).
BATCH_STAGES = (StageName.RESPOND, StageName.JUDGE)


class StageBatches:
    """One stage's provider batches in one run."""

    def __init__(self, session: SessionState, stage: Stage, units: list[WorkUnit]):
        self.stage, self.ctx, self.clients, self.budget = stage, session.ctx, session.clients, session.budget
        self.batches = session.ledger.batches
        self.paused = session.paused
        self.units = {unit.key: unit for unit in units}
        self.fingerprints = session.ledger.calls(stage.name).fingerprints()
        # A batch's states are lines, not a bar: a cron log wants them too, unless told not to.
        self.show = session.progress is not False
        self._seen: dict[int, str] = {}

    # -- submitting -----------------------------------------------------------------
    def split(self, todo: list[WorkUnit], held: Callable[[WorkUnit], bool]) -> tuple[list[WorkUnit], list[WorkUnit]]:
        """(to batch, to call directly): a batch member's unit goes in a batch unless the
        call cache holds its call or a batch already asked it as it is now (what a batch
        did not answer is asked directly); a key in a live batch is in neither."""
        live = self.batches.live_keys()
        asked = self.batches.asked_before()
        batched, direct = [], []
        for unit in todo:
            if unit.key in live:
                continue
            member = self.clients[unit.member].member
            if member.batch and (unit.key, self.fingerprints.get(unit.key)) not in asked and not held(unit):
                batched.append(unit)
            else:
                direct.append(unit)
        return batched, direct

    def not_live(self, todo: list[WorkUnit]) -> list[WorkUnit]:
        live = self.batches.live_keys()
        return [unit for unit in todo if unit.key not in live]

    async def submit(self, units: list[WorkUnit], max_lines: int) -> str | None:
        """Send ``units`` in provider batches; returns "budget" when the budget could not
        hold them all (those left stay pending)."""
        by_member: dict[str, list[WorkUnit]] = {}
        for unit in units:
            by_member.setdefault(unit.member, []).append(unit)
        stopped = None
        for member, queue in by_member.items():
            client = self.clients[member]
            for start in range(0, len(queue), max_lines):
                chunk, reserved = [], 0.0
                for unit in queue[start:start + max_lines]:
                    estimate = batch_cost_estimate(client.member, [unit])
                    if not self.budget.reserve(estimate):
                        stopped = "budget"
                        break
                    chunk.append(unit)
                    reserved += estimate
                if chunk:
                    batch = self.batches.open_batch(
                        member=member, stage=self.stage.name, reserved_usd=reserved,
                        provider=provider_batch.batch_provider(client.member) or "?",
                        lines=[(unit.key, self.fingerprints[unit.key]) for unit in chunk],
                    )
                    await self._send(batch)
                if stopped:
                    return stopped
        return stopped

    def _request_line(self, client: MemberClient, unit: WorkUnit, custom_id: str) -> dict:
        request = self.stage.first_request(unit, client.member, self.ctx)
        return provider_batch.request_line(custom_id, client.member, request.messages,
                                           response_format=request.response_format, max_tokens=request.max_tokens)

    async def _send(self, batch: int) -> None:
        """Take a recorded batch as far as the provider: upload its file, create it. A batch
        whose file was uploaded by a process that died is first looked for at the provider."""
        row = next(r for r in self.batches.live_batches(self.stage.name) if r.id == batch)
        client = self.clients[row.member]
        try:
            if row.input_file_id is not None:
                found = await provider_batch.find(client.member, row.input_file_id)
                if found is not None:
                    self.batches.set_submitted(batch, found.batch_id, found.status)
                    return
            lines = self.batches.batch_lines(batch)
            if not all(map(self._current, lines)):
                self._abandon(row, "its units changed before it was sent")
                return
            requests = [self._request_line(client, self.units[line.key], line.custom_id) for line in lines]
            input_file_id = await provider_batch.upload(client.member, requests)
            self.batches.set_uploaded(batch, input_file_id)
            created = await provider_batch.create(client.member, input_file_id, {"council_batch": str(batch)})
            self.batches.set_submitted(batch, created.batch_id, created.status)
            self._say(row, created.status, 0, 0)
        except ProviderError as failure:
            self._provider_failed(row, failure)

    def _current(self, line: BatchLine) -> bool:
        """Whether the line asks what its unit asks now."""
        return line.key in self.units and self.fingerprints.get(line.key) == line.fingerprint

    def _abandon(self, row: BatchRow, why: str) -> None:
        self.batches.ingest(row.id, [])
        self.budget.settle(row.reserved_usd, 0.0)
        self._print(f"batch {row.id} ({row.stage}, {row.member}): not sent, {why}")

    def _provider_failed(self, row: BatchRow, failure: ProviderError) -> None:
        message = f"member {row.member!r}: batch {row.id}: {failure}"
        if failure.kind == ErrorKind.FATAL:
            self.paused.setdefault(row.member, message)
        self._print(f"{message} (looked at again on the next poll or run)")

    # -- looking and ingesting ------------------------------------------------------
    async def collect(self, *, wait: bool, poll_s: float) -> int:
        """Look at this stage's live batches, ingesting those that ended; with ``wait``,
        until none is live. Returns how many are still live."""
        while True:
            live = self.batches.live_batches(self.stage.name)
            for row in live:
                if row.member in self.paused:
                    continue
                if row.provider_batch_id is None:
                    await self._send(row.id)
                    continue
                await self._look(row)
            remaining = [row for row in self.batches.live_batches(self.stage.name)
                         if row.member not in self.paused]
            if not wait or not remaining:
                return len(remaining)
            await asyncio.sleep(poll_s)

    async def _look(self, row: BatchRow) -> None:
        client = self.clients[row.member]
        try:
            state = await provider_batch.retrieve(client.member, row.provider_batch_id or "")
        except ProviderError as failure:
            self._provider_failed(row, failure)
            return
        self.batches.set_state(row.id, status=state.status, output_file_id=state.output_file_id,
                         error_file_id=state.error_file_id, completed=state.completed, failed=state.failed)
        self._say(row, state.status, state.completed + state.failed, row.lines)
        if state.done:
            try:
                await self._ingest(row, state)
            except ProviderError as failure:
                self._provider_failed(row, failure)

    async def _ingest(self, row: BatchRow, state: provider_batch.BatchState) -> None:
        """Turn every line into its unit's outcome, then write them all at once."""
        client = self.clients[row.member]
        answered: dict[str, dict] = {}
        for file_id in (state.output_file_id, state.error_file_id):
            if file_id:
                for line in await provider_batch.read_lines(client.member, file_id):
                    answered[str(line.get("custom_id"))] = line
        lines = self.batches.batch_lines(row.id)
        orphans = [line for line in lines if not self._current(line) and line.custom_id in answered]
        orphans_usd = sum(provider_batch.line_result(client.member, answered[line.custom_id]).usage.cost_usd
                          for line in orphans)
        lines = [line for line in lines if self._current(line)]

        async def outcome(custom_id: str, key: str) -> CallRecord:
            line = answered.get(custom_id)
            if line is None:
                return CallRecord(key, CallStatus.RETRYABLE_ERROR, Usage(), error_kind=ErrorKind.TRANSIENT,
                                  error=f"provider batch {state.batch_id} ended {state.status} without this line")
            result = provider_batch.line_result(client.member, line)
            if result.completion is None:
                return CallRecord(key, CallStatus.RETRYABLE_ERROR, result.usage, error=result.error,
                                  error_kind=ErrorKind.TRANSIENT)
            unit = self.units[key]
            request = self.stage.first_request(unit, client.member, self.ctx)
            replying = client.answered_by(request.messages, result.completion, result.usage)
            try:
                return await self.stage.execute(unit, replying, self.ctx)
            except CallFailed as failure:  # a re-ask, asked directly, failed: the line was paid all the same
                status = CallStatus.FAILED if failure.kind == ErrorKind.FATAL else CallStatus.RETRYABLE_ERROR
                return CallRecord(key, status, failure.usage, error=str(failure), error_kind=failure.kind)

        outcomes = await asyncio.gather(*(outcome(line.custom_id, line.key) for line in lines))
        written = self.batches.ingest(row.id, list(outcomes), orphans_usd)
        self.budget.settle(row.reserved_usd, orphans_usd + sum(o.usage.cost_usd for o in outcomes))
        self._print(f"batch {row.id} ({row.stage}, {row.member}): {state.status}, {written} of {row.lines} "
                    "lines taken in")

    # -- progress ------------------------------------------------------------------------
    def _say(self, row: BatchRow, status: str, answered: int, total: int) -> None:
        if self._seen.get(row.id) != status:
            self._seen[row.id] = status
            counts = f" ({answered}/{total} lines)" if total else ""
            self._print(f"batch {row.id} ({row.stage}, {row.member}, {row.lines} lines): {status}{counts}")

    def _print(self, line: str) -> None:
        if self.show:
            print(line, file=sys.stderr, flush=True)
