"""Answering LangChain's ``HumanInTheLoopMiddleware`` (batched ``action_requests`` /
``review_configs``, and the per-call ``tool_approval`` form) and the Agent Inbox schema
(``HumanInterrupt`` / ``HumanResponse``) through the hub: each pending tool call becomes an
approval request showing the tool and its arguments, and the graph resumes with the humans'
decisions."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from langgraph.types import Command

from ._types import APPROVED, EXPIRED, REJECTED, HumanLoopResult, describe
from ._waiting import settle
from .interrupts import ANSWERED, Interrupts

_NAMESPACE = uuid.UUID("0f6f0c1e-8d0a-4a53-b0c4-7d2b8f8e1a90")


@dataclass
class _Action:
    """One tool call to put to a human."""

    name: str
    args: dict[str, Any]
    description: str
    allowed: list[str]


def _actions(value: Any) -> tuple[str, list[_Action]] | None:
    """The tool calls an interrupt value asks about, and its schema; ``None`` for other
    interrupts (left alone)."""
    if isinstance(value, dict) and isinstance(value.get("action_requests"), list):
        configs = {c.get("action_name"): c for c in value.get("review_configs", [])}
        actions = []
        for request in value["action_requests"]:
            config = configs.get(request.get("name"), {})
            allowed = config.get("allowed_decisions", ["approve", "edit", "reject", "respond"])
            actions.append(
                _Action(request["name"], dict(request.get("args", {})), request.get("description", ""), allowed)
            )
        return "batched", actions
    if isinstance(value, dict) and value.get("type") == "tool_approval":
        # The allowed decisions are in the interrupt's response_schema; edits need it too.
        return "per_call", [
            _Action(value["name"], dict(value.get("args", {})), value.get("description", ""), [])
        ]
    inbox = value if isinstance(value, list) else [value]
    if inbox and all(isinstance(v, dict) and isinstance(v.get("action_request"), dict) for v in inbox):
        actions = []
        for v in inbox:
            config = v.get("config", {})
            allowed = [
                kind
                for kind, flag in (
                    ("accept", "allow_accept"),
                    ("edit", "allow_edit"),
                    ("respond", "allow_respond"),
                    ("ignore", "allow_ignore"),
                )
                if config.get(flag, False)
            ]
            request = v["action_request"]
            actions.append(
                _Action(request["action"], dict(request.get("args", {})), v.get("description", ""), allowed)
            )
        return "inbox", actions
    return None


def _allowed_per_call(item: Any) -> list[str]:
    schema = getattr(item, "response_schema", None)
    kinds: list[str] = []
    text = json.dumps(schema, default=str) if schema is not None else ""
    for kind in ("approve", "edit", "reject", "respond"):
        if f'"{kind}"' in text:
            kinds.append(kind)
    return kinds or ["approve", "reject"]


def _token(interrupts: Interrupts, thread_id: str, interrupt_id: str, index: int) -> tuple[str, str]:
    request_id = str(uuid.uuid5(_NAMESPACE, f"{thread_id}\x1f{interrupt_id}\x1f{index}"))
    token = {
        "provider": interrupts.name,
        "task_id": thread_id or "langgraph",
        "conversation_id": request_id,
        "request_id": request_id,
        "loop_type": "approval",
    }
    return request_id, json.dumps(token)


def _context(action: _Action) -> dict[str, Any]:
    question = f"Allow the tool call `{action.name}`?"
    context: dict[str, Any] = {
        "question": question,
        "message": action.description or question,
        "function": {"function_name": action.name, "arguments": action.args},
    }
    return context


def _decision(schema: str, action: _Action, result: HumanLoopResult) -> dict[str, Any]:
    """The human's outcome as the framework's decision."""
    edited = result.edited_arguments
    reason = result.text if result.status == REJECTED else ""
    not_run = f"Not run: {describe(result)}"
    if result.status == EXPIRED:
        not_run = "Not run: the approval request expired (nobody answered before the deadline); no human rejected it"
    if schema == "inbox":
        if result.status == APPROVED and edited is not None and "edit" in action.allowed:
            return {"type": "edit", "args": {"action": action.name, "args": edited}}
        if result.status == APPROVED and edited is None and "accept" in action.allowed:
            return {"type": "accept", "args": None}
        if "respond" in action.allowed:
            return {"type": "response", "args": reason or not_run}
        return {"type": "ignore", "args": None}
    if result.status == APPROVED:
        if edited is None:
            return {"type": "approve"}
        if "edit" in action.allowed:
            return {"type": "edit", "edited_action": {"name": action.name, "args": edited}}
        return {"type": "reject", "message": "Not run: the approver edited the arguments, but this tool does not allow edits"}
    response = result.response if isinstance(result.response, dict) else {}
    if response.get("decision") == "respond" and "respond" in action.allowed:
        return {"type": "respond", "message": str(response.get("message", reason))}
    if "reject" in action.allowed:
        return {"type": "reject", "message": reason or not_run}
    return {"type": "respond", "message": reason or not_run}


class _Plan:
    """The pending tool calls of one thread: for each interrupt, its schema and one approval
    request per tool call (filed once: asking again files nothing new)."""

    def __init__(
        self, interrupts: Interrupts, snapshot: Any, config: dict[str, Any], timeout: int | None
    ) -> None:
        thread_id = str(config.get("configurable", {}).get("thread_id", ""))
        self.items: list[tuple[Any, str, list[tuple[_Action, str]]]] = []
        for item in snapshot.interrupts:
            found = _actions(item.value)
            if found is None:
                continue
            schema, actions = found
            if schema == "per_call":
                actions[0].allowed = _allowed_per_call(item)
            tokens = []
            for index, action in enumerate(actions):
                request_id, token = _token(interrupts, thread_id, item.id, index)
                interrupts.interrupt(
                    "approval",
                    _context(action),
                    task_id=thread_id or "langgraph",
                    conversation_id=request_id,
                    request_id=request_id,
                    metadata={"langgraph_thread_id": thread_id, "tool": action.name},
                    timeout=timeout,
                )
                tokens.append((action, token))
            self.items.append((item, schema, tokens))

    def tokens(self) -> list[str]:
        return [token for _, _, tokens in self.items for _, token in tokens]

    def command(self, backend: Interrupts, outcomes: dict[str, HumanLoopResult]) -> Command | None:
        """The decisions of the interrupts whose resume this call claimed (an interrupt's
        claim is its first tool call's)."""
        answers: dict[str, Any] = {}
        for item, schema, tokens in self.items:
            if backend.resume(tokens[0][1]).outcome != ANSWERED:
                continue  # resumed before, here or elsewhere: nothing to do
            decisions = [_decision(schema, action, outcomes[token]) for action, token in tokens]
            if schema == "batched":
                answers[item.id] = {"decisions": decisions}
            elif schema == "per_call":
                answers[item.id] = decisions[0]
            else:
                answers[item.id] = decisions
        return Command(resume=answers) if answers else None


def answer_pending(
    graph: Any,
    config: dict[str, Any],
    *,
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    wait: float | None = None,
) -> Command | None:
    """Puts each tool call the thread's pending HITL interrupts ask about to the hub as an
    approval request (once: asking again files nothing new), waits for the humans, and returns
    the ``Command(resume=…)`` with their decisions. ``None`` when the interrupts were resumed
    before (by any process), or when ``wait`` seconds passed first (nothing is claimed then:
    call again). ``timeout``: the requests' deadline in seconds. Works from any process that
    has the graph's checkpointer."""
    from .langgraph import default_interrupts

    backend = interrupts or default_interrupts()
    plan = _Plan(backend, graph.get_state(config), config, timeout)
    outcomes = settle(backend, plan.tokens(), wait)
    return None if outcomes is None else plan.command(backend, outcomes)


async def aanswer_pending(
    graph: Any,
    config: dict[str, Any],
    *,
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    wait: float | None = None,
) -> Command | None:
    """Async :func:`answer_pending` (in a worker thread; its waits release the GIL)."""
    return await asyncio.to_thread(
        answer_pending, graph, config, interrupts=interrupts, timeout=timeout, wait=wait
    )
