"""The words every layer shares: stages, call statuses and error kinds.

Each vocabulary is one enum, so the ledger's CHECK constraints, the engine, the
status counts and the CLI cannot drift apart. The values are the strings stored in
the run store and printed in JSON; members compare equal to those strings.
"""

from __future__ import annotations

import enum

__all__ = ["FINAL_STATUSES", "FAILED_STATUSES", "CallStatus", "ErrorKind", "StageName", "StrEnum"]


class StrEnum(str, enum.Enum):
    """A str enum that prints and formats as its value (3.11's `enum.StrEnum`, on 3.10 too)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    __hash__ = str.__hash__  # found in dicts keyed by the strings the store holds


class Role(StrEnum):
    """What a member does in a council (`council.config.ROLES` are these words; a test
    checks the two agree): authors compose items, respondents answer them, judges judge."""

    AUTHOR = "author"
    RESPONDENT = "respondent"
    JUDGE = "judge"


class StageName(StrEnum):
    """The stages of a run, in the order they run."""

    COMPOSE = "compose"
    RESPOND = "respond"
    JUDGE = "judge"


class CallStatus(StrEnum):
    """Where a unit of work stands in the ledger."""

    PENDING = "pending"
    OK = "ok"
    RETRYABLE_ERROR = "retryable_error"  # tried again on the next run
    FAILED = "failed"  # a fatal error; also tried again on the next run
    UNPARSEABLE = "unparseable"  # paid for, never asked again, never a vote


#: Statuses that mean "done, never call again": an unparseable verdict was paid for.
FINAL_STATUSES = (CallStatus.OK, CallStatus.UNPARSEABLE)
#: Statuses `council status` counts as failed.
FAILED_STATUSES = (CallStatus.FAILED, CallStatus.RETRYABLE_ERROR)


class ErrorKind(StrEnum):
    """How a failed provider call is handled (`council.providers.retry.classify`)."""

    RATE_LIMIT = "rate_limit"  # waited out, honouring Retry-After
    TRANSIENT = "transient"  # backed off and retried up to retry.max_attempts
    REJECTED = "rejected"  # the provider refused this one request (400): the unit fails, the member goes on
    FATAL = "fatal"  # a bad key, no such model: fails fast; the member sits out the rest of the run
