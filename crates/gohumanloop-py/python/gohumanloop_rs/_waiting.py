"""Waiting for several answers before resuming anything: each request is followed (long-poll
at the hub) until it leaves ``pending``; only then is the resume claimed, so a wait that runs
out claims nothing and a later call can still resume."""

from __future__ import annotations

import time

from ._types import PENDING, HumanLoopResult
from .interrupts import Interrupts

#: The longest single wait handed to the library (short enough for Ctrl-C to be noticed).
_CHUNK = 60.0


def settle(
    backend: Interrupts, tokens: list[str], wait: float | None
) -> dict[str, HumanLoopResult] | None:
    """The outcome of every token once none is pending; ``None`` if ``wait`` ran out first."""
    deadline = None if wait is None else time.monotonic() + wait
    outcomes: dict[str, HumanLoopResult] = {}
    for token in tokens:
        while True:
            left = _CHUNK if deadline is None else max(0.0, deadline - time.monotonic())
            result = backend.follow(token, min(left, _CHUNK))
            if result.status != PENDING:
                outcomes[token] = result
                break
            if deadline is not None and time.monotonic() >= deadline:
                return None
    return outcomes


async def asettle(
    backend: Interrupts, tokens: list[str], wait: float | None
) -> dict[str, HumanLoopResult] | None:
    """Async :func:`settle`."""
    deadline = None if wait is None else time.monotonic() + wait
    outcomes: dict[str, HumanLoopResult] = {}
    for token in tokens:
        while True:
            left = _CHUNK if deadline is None else max(0.0, deadline - time.monotonic())
            result = await backend.afollow(token, min(left, _CHUNK))
            if result.status != PENDING:
                outcomes[token] = result
                break
            if deadline is not None and time.monotonic() >= deadline:
                return None
    return outcomes
