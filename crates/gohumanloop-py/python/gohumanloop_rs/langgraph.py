"""LangGraph: the original's ``interrupt`` / ``create_resume_command`` pattern on durable
interrupts, decorators that gate nodes and tools on a human, and an answerer for LangChain's
``HumanInTheLoopMiddleware`` (and the Agent Inbox schema) that puts each pending tool call to
the hub and resumes the graph with the humans' decisions.

Every question is filed with ids derived from the graph's thread and LangGraph's interrupt id,
so a node that LangGraph re-runs files nothing new, and a process that never saw the interrupt
can resume it from the graph's checkpointer (``create_resume_command(graph=…, config=…)``).
Each interrupt is resumed once: a second resume finds it claimed and returns ``None``.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
import uuid
from typing import Any, Callable

from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.types import Command, Interrupt
from langgraph.types import interrupt as _langgraph_interrupt

from ._types import HumanLoopResult, answered_or_raise, ended, shown
from ._waiting import asettle, settle
from .interrupts import ANSWERED, Interrupts

__all__ = [
    "interrupt",
    "create_resume_command",
    "acreate_resume_command",
    "require_approval",
    "require_info",
    "converse",
    "answer_pending",
    "aanswer_pending",
    "default_interrupts",
    "set_default_interrupts",
]

#: The resume value our resume commands carry, so that the node sees the whole outcome.
_MARK = "__gohumanloop__"
#: Our own interrupt values (decorators, conversations) say how to resume them.
_ASK = "gohumanloop"
_NAMESPACE = uuid.UUID("5d1c1e0a-3c5e-4f0e-9d57-6f7a1f9b2c41")

_default: Interrupts | None = None
_lock = threading.Lock()
#: Interrupts raised in this process and not yet resumed, by thread: (interrupt id, token).
#: Only the no-argument ``create_resume_command()`` of the original's pattern reads it; every
#: other path finds the interrupts in the graph's checkpointer.
_raised: dict[str, dict[str, str]] = {}


def default_interrupts() -> Interrupts:
    """The backend used when none is passed: the hub when ``GOHUMANLOOP_API_KEY`` is set,
    else the terminal (as the original's default adapter)."""
    global _default
    with _lock:
        if _default is None:
            _default = Interrupts.from_env()
        return _default


def set_default_interrupts(interrupts: Interrupts) -> None:
    """Sets the backend used when none is passed."""
    global _default
    with _lock:
        _default = interrupts


def _thread_id(config: dict[str, Any] | None = None) -> str:
    configurable = (config if config is not None else get_config()).get("configurable", {})
    return str(configurable.get("thread_id", ""))


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _token(interrupts: Interrupts, thread_id: str, item: Interrupt) -> str:
    """The token of a pending interrupt, rebuilt from the thread and the interrupt alone: the
    request id hashes the thread, LangGraph's interrupt id (its node's task) and what the
    human is shown."""
    value = item.value
    ask = value.get(_ASK) if isinstance(value, dict) else None
    asked = {k: v for k, v in value.items() if k != _ASK} if isinstance(ask, dict) else value
    request_id = str(uuid.uuid5(_NAMESPACE, f"{thread_id}\x1f{item.id}\x1f{_stable(asked)}"))
    loop_type = ask.get("loop_type", "information") if isinstance(ask, dict) else "information"
    conversation_id = (ask.get("conversation_id") if isinstance(ask, dict) else None) or request_id
    return json.dumps(
        {
            "provider": interrupts.name,
            "task_id": thread_id or "langgraph",
            "conversation_id": conversation_id,
            "request_id": request_id,
            "loop_type": loop_type,
        }
    )


def _ask_and_interrupt(
    interrupts: Interrupts,
    value: Any,
    loop_type: str,
    context: dict[str, Any],
    metadata: dict[str, Any] | None,
    timeout: int | None,
) -> Any:
    """LangGraph's ``interrupt(value)``, filing the question the first time it is raised."""
    try:
        return _langgraph_interrupt(value)
    except GraphInterrupt as raised:
        (item,) = raised.args[0][:1]
        thread_id = _thread_id()
        token = json.loads(_token(interrupts, thread_id, item))
        interrupts.interrupt(
            loop_type,
            context,
            task_id=token["task_id"],
            conversation_id=token["conversation_id"],
            request_id=token["request_id"],
            metadata={"langgraph_thread_id": thread_id, **(metadata or {})},
            timeout=timeout,
        )
        with _lock:
            _raised.setdefault(thread_id, {})[item.id] = json.dumps(token)
        raise


def _outcome(resumed: Any) -> HumanLoopResult:
    """The outcome a resume command carried (or a plain value someone resumed with)."""
    if isinstance(resumed, dict) and isinstance(resumed.get(_MARK), dict):
        return HumanLoopResult.from_dict(resumed[_MARK])
    return HumanLoopResult("", "", "information", "completed", response=resumed)


def interrupt(
    value: Any,
    *,
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> Any:
    """The original's drop-in for ``langgraph.types.interrupt``: asks a human for
    information (showing ``value``) and pauses the graph; on resume returns the human's
    answer (the reply's text). A request that ended unanswered raises
    :class:`~gohumanloop_rs.RequestExpired` (or ``RequestRejected``/``RequestCancelled``).
    """
    context = {
        "message": value if isinstance(value, str) else _stable(value),
        "question": "The execution has been interrupted. Please review the above information "
        "and provide your input to continue.",
    }
    resumed = _ask_and_interrupt(
        interrupts or default_interrupts(), value, "information", context, metadata, timeout
    )
    if not (isinstance(resumed, dict) and _MARK in resumed):
        return resumed  # resumed with a plain value, as LangGraph's own Command(resume=…)
    result = _outcome(resumed)
    return answered_or_raise(result).text


def _pending_tokens(
    interrupts: Interrupts, graph: Any, config: dict[str, Any] | None
) -> dict[str, str]:
    if graph is not None:
        if config is None:
            raise ValueError("resuming from a graph's checkpointer needs the thread's config")
        thread_id = _thread_id(config)
        snapshot = graph.get_state(config)
        return {item.id: _token(interrupts, thread_id, item) for item in snapshot.interrupts}
    with _lock:
        if config is not None:
            return dict(_raised.get(_thread_id(config), {}))
        threads = [t for t, pending in _raised.items() if pending]
        if len(threads) > 1:
            raise ValueError(
                f"{len(threads)} graphs are interrupted in this process: pass config= "
                "(and graph= to read the interrupts from its checkpointer)"
            )
        return dict(_raised.get(threads[0], {})) if threads else {}


def _forget(tokens: dict[str, str]) -> None:
    with _lock:
        for pending in _raised.values():
            for interrupt_id in tokens:
                pending.pop(interrupt_id, None)


def _resume_value(result: HumanLoopResult) -> dict[str, Any]:
    return {_MARK: result.__dict__}


def _command(backend: Interrupts, tokens: dict[str, str], claims: dict[str, Any]) -> Command | None:
    """The resume command of the interrupts whose resume this call claimed."""
    answers = {
        interrupt_id: _resume_value(claim.result)
        for interrupt_id, claim in claims.items()
        if claim.outcome == ANSWERED
    }
    _forget(tokens)
    return Command(resume=answers) if answers else None


def create_resume_command(
    *,
    graph: Any = None,
    config: dict[str, Any] | None = None,
    interrupts: Interrupts | None = None,
    wait: float | None = None,
) -> Command | None:
    """Waits for the humans' answers to the pending interrupts and returns the
    ``Command(resume=…)`` that continues the graph — or ``None`` when they were resumed before
    (by this or another process: nothing to do), or when ``wait`` seconds passed without every
    answer (then nothing is claimed: call again later).

    With no arguments: the interrupts this process raised (the original's pattern). With
    ``graph`` and ``config``: the thread's pending interrupts from the graph's checkpointer —
    from any process.
    """
    backend = interrupts or default_interrupts()
    tokens = _pending_tokens(backend, graph, config)
    if settle(backend, list(tokens.values()), wait) is None:
        return None
    claims = {i: backend.resume(token) for i, token in tokens.items()}
    return _command(backend, tokens, claims)


async def acreate_resume_command(
    *,
    graph: Any = None,
    config: dict[str, Any] | None = None,
    interrupts: Interrupts | None = None,
    wait: float | None = None,
) -> Command | None:
    """Async :func:`create_resume_command` (``graph.aget_state`` is read when given)."""
    backend = interrupts or default_interrupts()
    if graph is not None and config is not None:
        snapshot = await graph.aget_state(config)
        thread_id = _thread_id(config)
        tokens = {item.id: _token(backend, thread_id, item) for item in snapshot.interrupts}
    else:
        tokens = _pending_tokens(backend, None, config)
    if await asettle(backend, list(tokens.values()), wait) is None:
        return None
    claims = {i: await backend.aresume(token) for i, token in tokens.items()}
    return _command(backend, tokens, claims)


def _ask(
    loop_type: str,
    context: dict[str, Any],
    *,
    interrupts: Interrupts | None,
    timeout: int | None,
    metadata: dict[str, Any] | None,
    conversation: str | None = None,
) -> HumanLoopResult:
    """Inside a node or tool: asks (once), pauses the graph, and returns the outcome. Turns of
    the same ``conversation`` name in one thread share the hub's conversation."""
    backend = interrupts or default_interrupts()
    ask: dict[str, Any] = {"loop_type": loop_type}
    if conversation is not None:
        key = f"{_thread_id()}\x1fconversation\x1f{conversation}"
        ask["conversation_id"] = str(uuid.uuid5(_NAMESPACE, key))
    value = {_ASK: ask, **context}
    return _outcome(_ask_and_interrupt(backend, value, loop_type, context, metadata, timeout))


def _arguments(fn: Callable[..., Any], args: tuple, kwargs: dict) -> inspect.BoundArguments:
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound


def require_approval(
    *,
    message: str | None = None,
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    metadata: dict[str, Any] | None = None,
    skip: Callable[..., bool] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Gates a node or tool function on a human's approval: the function runs only once
    approved — with the arguments as the approver edited them — and a rejection or an expired
    request raises ``RequestRejected`` / ``RequestExpired``. ``skip(*args, **kwargs)`` returning
    true lets a call through unasked (e.g. read-only arguments)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def approved(args: tuple, kwargs: dict) -> inspect.BoundArguments:
            bound = _arguments(fn, args, kwargs)
            if skip is not None and skip(*args, **kwargs):
                return bound
            arguments = {k: shown(v) for k, v in bound.arguments.items() if k not in ("state", "config")}
            context = {
                "message": message or f"Allow `{fn.__name__}` to run?",
                "question": f"Approve the call of `{fn.__name__}`?",
                "function": {"function_name": fn.__name__, "arguments": arguments},
            }
            result = _ask("approval", context, interrupts=interrupts, timeout=timeout, metadata=metadata)
            if result.status != "approved":
                raise ended(result)
            edited = result.edited_arguments or {}
            unknown = set(edited) - set(bound.arguments)
            if unknown:
                raise TypeError(
                    f"the approver edited arguments `{fn.__name__}` does not take: {sorted(unknown)}"
                )
            bound.arguments.update(edited)
            return bound

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                bound = approved(args, kwargs)
                return await fn(*bound.args, **bound.kwargs)

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            bound = approved(args, kwargs)
            return fn(*bound.args, **bound.kwargs)

        return run

    return decorate


def require_info(
    question: str,
    *,
    ret_key: str = "info",
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Asks a human ``question`` before the node or tool runs and passes the answer's text as
    the keyword argument ``ret_key``; an unanswered request raises ``RequestExpired`` (…)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def answer() -> str:
            context = {"message": question, "question": question}
            result = _ask("information", context, interrupts=interrupts, timeout=timeout, metadata=metadata)
            return answered_or_raise(result).text

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                return await fn(*args, **{**kwargs, ret_key: answer()})

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **{**kwargs, ret_key: answer()})

        return run

    return decorate


def converse(
    message: str,
    *,
    conversation: str = "default",
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> HumanLoopResult:
    """One turn of a conversation with a human, inside a node: says ``message``, pauses the
    graph, and returns the reply (``status`` ``inprogress`` while the human goes on,
    ``completed`` when they ended it). Turns with the same ``conversation`` name, in one
    thread, are one conversation at the hub."""
    context = {"message": message, "question": message}
    result = _ask(
        "conversation",
        context,
        interrupts=interrupts,
        timeout=timeout,
        metadata=metadata,
        conversation=conversation,
    )
    return answered_or_raise(result)


from ._hitl import aanswer_pending, answer_pending  # noqa: E402  (uses the helpers above)
