"""The values the package hands back: results, statuses, and the exceptions of a request that
ended without the answer the caller hoped for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Where a request stands (the original protocol's status strings).
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"
ERROR = "error"
COMPLETED = "completed"
INPROGRESS = "inprogress"
CANCELLED = "cancelled"

#: The statuses in which the human answered.
ANSWERED = frozenset({APPROVED, COMPLETED, INPROGRESS})


@dataclass(frozen=True)
class HumanLoopResult:
    """The outcome (or current state) of one request."""

    conversation_id: str
    request_id: str
    loop_type: str
    status: str
    response: Any = field(default_factory=dict)
    feedback: Any = field(default_factory=dict)
    responded_by: str | None = None
    responded_at: str | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, text: str) -> HumanLoopResult:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HumanLoopResult:
        return cls(
            conversation_id=d["conversation_id"],
            request_id=d["request_id"],
            loop_type=d["loop_type"],
            status=d["status"],
            response=d.get("response", {}),
            feedback=d.get("feedback", {}),
            responded_by=d.get("responded_by"),
            responded_at=d.get("responded_at"),
            error=d.get("error"),
        )

    @property
    def answered(self) -> bool:
        """Whether a human answered (approved, completed, or replied in a conversation)."""
        return self.status in ANSWERED

    @property
    def text(self) -> str:
        """The human's words: the reply, the information, or the approval's reason."""
        r = self.response
        if isinstance(r, str):
            return r
        if isinstance(r, dict):
            for key in ("message", "information", "reason", "text"):
                if isinstance(r.get(key), str):
                    return r[key]
            return "" if not r else json.dumps(r, ensure_ascii=False)
        return "" if r is None else json.dumps(r, ensure_ascii=False)

    @property
    def edited_arguments(self) -> dict[str, Any] | None:
        """An approval's arguments as the approver edited them, if they did."""
        r = self.response
        if isinstance(r, dict) and isinstance(r.get("arguments"), dict):
            return r["arguments"]
        return None


class HumanLoopEnded(Exception):
    """A request ended without the answer the code needs: rejected, expired, cancelled, or
    failed. ``result`` holds the request's outcome."""

    def __init__(self, result: HumanLoopResult) -> None:
        self.result = result
        super().__init__(describe(result))


class RequestRejected(HumanLoopEnded):
    """A human rejected the request (``result.text`` is their reason)."""


class RequestExpired(HumanLoopEnded):
    """Nobody answered before the deadline — not a rejection."""


class RequestCancelled(HumanLoopEnded):
    """The request was cancelled before anyone answered."""


class RequestFailed(HumanLoopEnded):
    """The request could not be asked or followed (``result.error`` says why)."""


def describe(result: HumanLoopResult) -> str:
    """One line for people: what happened to the request."""
    by = f" by {result.responded_by}" if result.responded_by else ""
    if result.status == REJECTED:
        reason = result.text
        return f"rejected{by}" + (f": {reason}" if reason else "")
    if result.status == EXPIRED:
        return "expired: nobody answered before the deadline"
    if result.status == CANCELLED:
        return f"cancelled{by}"
    if result.status == ERROR:
        return f"failed: {result.error or 'unknown error'}"
    return f"{result.status}{by}"


def ended(result: HumanLoopResult) -> HumanLoopEnded:
    """The exception for a request that ended without an answer."""
    kind = {
        REJECTED: RequestRejected,
        EXPIRED: RequestExpired,
        CANCELLED: RequestCancelled,
    }.get(result.status, RequestFailed)
    return kind(result)


def answered_or_raise(result: HumanLoopResult) -> HumanLoopResult:
    """``result`` when a human answered it; else the exception of how the request ended."""
    if not result.answered:
        raise ended(result)
    return result


def shown(value: Any) -> Any:
    """``value`` as a human is shown it: as is when it is JSON, else its ``repr``."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)
