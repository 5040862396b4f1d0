"""Durable interrupt / resume: ask, stop with a token, resume from any process — once."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from . import _native
from ._types import HumanLoopResult
from .manager import Provider, spec

#: What a resume found.
ANSWERED = "answered"
PENDING = "pending"
ALREADY_RESUMED = "already_resumed"


@dataclass(frozen=True)
class Resumption:
    """What :meth:`Interrupts.resume` found: ``outcome`` is ``"answered"`` (act on
    ``result``: this call claimed the one resume), ``"pending"`` (no answer yet) or
    ``"already_resumed"`` (someone resumed it before: do nothing)."""

    outcome: str
    result: HumanLoopResult
    state: Any = None

    @classmethod
    def from_json(cls, text: str) -> Resumption:
        d = json.loads(text)
        return cls(d["outcome"], HumanLoopResult.from_dict(d["result"]), d.get("state"))


class Interrupts:
    """Interrupts on one backend: :meth:`hub` (durable: any process resumes; the hub lets one
    resume act on each answer) or :meth:`local` (a provider of this process, e.g. the
    terminal)."""

    def __init__(self, native: _native.Interrupts) -> None:
        self._native = native

    @classmethod
    def hub(
        cls,
        api_base_url: str | None = None,
        api_key: str | None = None,
        platform: str | None = None,
    ) -> Interrupts:
        """Through the hub (URL and key default to ``GOHUMANLOOP_API_BASE_URL`` /
        ``GOHUMANLOOP_API_KEY``)."""
        return cls(_native.Interrupts.hub(api_base_url, api_key, platform))

    @classmethod
    def local(cls, provider: Provider) -> Interrupts:
        """Through a provider of this process: resumable while it lives."""
        return cls(_native.Interrupts.local(provider))

    @classmethod
    def from_env(cls) -> Interrupts:
        """The hub when ``GOHUMANLOOP_API_KEY`` is set, else the terminal."""
        if os.environ.get("GOHUMANLOOP_API_KEY"):
            return cls.hub()
        return cls.local(_native.Provider.terminal("terminal"))

    @property
    def name(self) -> str:
        return self._native.name

    def interrupt(
        self,
        loop_type: str,
        context: dict[str, Any] | None = None,
        *,
        state: Any = None,
        turn: bool = False,
        **options: Any,
    ) -> str:
        """Asks and returns the token to resume with (text). The same ids again (a re-run
        step) file nothing new. ``turn``: the next turn of ``conversation_id``."""
        return self._native.interrupt(
            spec(loop_type, context, **options), json.dumps(state), turn
        )

    def resume(self, token: str, wait: float = 0.0) -> Resumption:
        """Waits up to ``wait`` seconds for the answer, then claims the resume."""
        return Resumption.from_json(self._native.resume(token, wait))

    def follow(self, token: str, wait: float = 0.0) -> HumanLoopResult:
        """Where the interrupted request stands after waiting up to ``wait`` seconds for an
        answer — without resuming it."""
        return HumanLoopResult.from_json(self._native.follow(token, wait))

    async def ainterrupt(
        self,
        loop_type: str,
        context: dict[str, Any] | None = None,
        *,
        state: Any = None,
        turn: bool = False,
        **options: Any,
    ) -> str:
        return await self._native.ainterrupt(
            spec(loop_type, context, **options), json.dumps(state), turn
        )

    async def aresume(self, token: str, wait: float = 0.0) -> Resumption:
        return Resumption.from_json(await self._native.aresume(token, wait))

    async def afollow(self, token: str, wait: float = 0.0) -> HumanLoopResult:
        return HumanLoopResult.from_json(await self._native.afollow(token, wait))
