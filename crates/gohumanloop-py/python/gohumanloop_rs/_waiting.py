"""Waiting for several answers before resuming anything: each request is followed (long-poll
at the hub) until it leaves ``pending``; only then is the resume claimed, so a wait that runs
out claims nothing and a later call can still resume."""

from __future__ import annotations

import time

from ._types import PENDING, HumanLoopResult
from .interrupts import Interrupts

#: The longest single wait handed to the library (short enough for Ctrl-C to be noticed).
_CHUNK = 60.0


class _Deadline:
    """``wait`` seconds from now (``None``: no end), handed out in chunks."""

    def __init__(self, wait: float | None) -> None:
        self._at = None if wait is None else time.monotonic() + wait

    def chunk(self) -> float:
        left = _CHUNK if self._at is None else max(0.0, self._at - time.monotonic())
        return min(left, _CHUNK)

    def passed(self) -> bool:
        return self._at is not None and time.monotonic() >= self._at


def settle(
    backend: Interrupts, tokens: list[str], wait: float | None
) -> dict[str, HumanLoopResult] | None:
    """The outcome of every token once none is pending; ``None`` if ``wait`` ran out first."""
    deadline, outcomes = _Deadline(wait), {}
    for token in tokens:
        while (result := backend.follow(token, deadline.chunk())).status == PENDING:
            if deadline.passed():
                return None
        outcomes[token] = result
    return outcomes


async def asettle(
    backend: Interrupts, tokens: list[str], wait: float | None
) -> dict[str, HumanLoopResult] | None:
    """Async :func:`settle`."""
    deadline, outcomes = _Deadline(wait), {}
    for token in tokens:
        while (result := await backend.afollow(token, deadline.chunk())).status == PENDING:
            if deadline.passed():
                return None
        outcomes[token] = result
    return outcomes
