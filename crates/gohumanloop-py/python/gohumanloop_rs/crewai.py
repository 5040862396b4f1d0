"""CrewAI: a ``HumanFeedbackProvider`` that asks through the hub, so that ``@human_feedback``
flows pause (``HumanFeedbackPending``) instead of blocking, and resume with the human's answer
— from any process, after a restart — through ``Flow.from_pending(…).resume(…)``; and a tool
wrapper that runs a CrewAI tool only once a human approved the call.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from crewai.flow.async_feedback.types import HumanFeedbackPending, PendingFeedbackContext
from crewai.tools import BaseTool

from ._types import APPROVED, EXPIRED, answered_or_raise, describe
from ._waiting import settle
from .interrupts import ANSWERED, Interrupts

__all__ = ["HubFeedbackProvider", "resume_flow", "require_approval"]

_NAMESPACE = uuid.UUID("7c3b5a52-0d6e-4c8e-9e55-2b1f4f7b9d13")


def _default(interrupts: Interrupts | None) -> Interrupts:
    return interrupts or Interrupts.from_env()


def _token(backend: Interrupts, context: PendingFeedbackContext) -> str:
    """The token of a feedback request, rebuilt from the flow's persisted context."""
    key = f"{context.flow_id}\x1f{context.method_name}\x1f{context.requested_at.isoformat()}"
    request_id = str(uuid.uuid5(_NAMESPACE, key))
    return json.dumps(
        {
            "provider": backend.name,
            "task_id": context.flow_id,
            "conversation_id": request_id,
            "request_id": request_id,
            "loop_type": "information",
        }
    )


class HubFeedbackProvider:
    """Asks for a ``@human_feedback`` step's feedback through the hub and pauses the flow.
    Resume with :func:`resume_flow` (or ``Flow.from_pending(flow_id).resume(text)``)."""

    def __init__(self, interrupts: Interrupts | None = None, timeout: int | None = None) -> None:
        self.interrupts = _default(interrupts)
        self.timeout = timeout

    def request_feedback(self, context: PendingFeedbackContext, flow: Any) -> str:
        token = json.loads(_token(self.interrupts, context))
        shown = PendingFeedbackContext._make_json_safe(context.method_output)
        question = {
            "message": context.message,
            "question": context.message,
            "additional": shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False),
        }
        metadata = {"crewai_flow_id": context.flow_id, "crewai_method": context.method_name}
        if context.emit:
            metadata["crewai_outcomes"] = list(context.emit)
        self.interrupts.interrupt(
            "information",
            question,
            task_id=token["task_id"],
            conversation_id=token["conversation_id"],
            request_id=token["request_id"],
            metadata={**metadata, **PendingFeedbackContext._make_json_safe(context.metadata or {})},
            timeout=self.timeout,
        )
        raise HumanFeedbackPending(
            context=context, callback_info={"gohumanloop_request_id": token["request_id"]}
        )


def resume_flow(
    flow_class: Any,
    flow_id: str,
    persistence: Any = None,
    *,
    interrupts: Interrupts | None = None,
    wait: float | None = None,
) -> Any:
    """Waits for the human's answer to the paused flow ``flow_id`` and resumes it with the
    answer's text; returns what ``Flow.resume`` returns (a new ``HumanFeedbackPending`` at the
    next feedback step). ``None`` when the flow was resumed before (by any process) or ``wait``
    seconds passed first. A request that ended unanswered raises ``RequestExpired`` /
    ``RequestRejected`` / ``RequestCancelled`` (resume it with ``""`` yourself to take the
    step's ``default_outcome``)."""
    from crewai.flow.persistence.factory import default_flow_persistence

    persistence = persistence or default_flow_persistence()
    loaded = persistence.load_pending_feedback(flow_id)
    if loaded is None:
        return None
    _, context = loaded
    backend = _default(interrupts)
    token = _token(backend, context)
    if settle(backend, [token], wait) is None:
        return None
    claim = backend.resume(token)
    if claim.outcome != ANSWERED:
        return None
    answer = answered_or_raise(claim.result).text
    return flow_class.from_pending(flow_id, persistence).resume(answer)


def require_approval(
    tool: BaseTool,
    *,
    interrupts: Interrupts | None = None,
    timeout: int | None = None,
    wait: float | None = None,
) -> BaseTool:
    """A tool that runs ``tool`` only once a human approved the call, with the arguments as
    the approver edited them; otherwise the agent is told who rejected it and why (or that the
    request expired — not a rejection) and the tool does not run."""
    backend = _default(interrupts)

    class Approved(BaseTool):  # type: ignore[misc]
        name: str = tool.name
        description: str = tool.description
        args_schema: Any = tool.args_schema

        def _run(self, **arguments: Any) -> Any:
            context = {
                "message": f"Allow the tool `{tool.name}` to run?",
                "question": f"Approve the call of `{tool.name}`?",
                "function": {"function_name": tool.name, "arguments": arguments},
            }
            token = backend.interrupt("approval", context, task_id="crewai", timeout=timeout)
            outcome = settle(backend, [token], wait)
            if outcome is None:
                return f"Not run: nobody answered the approval request for `{tool.name}` in time"
            result = backend.resume(token).result
            if result.status != APPROVED:
                if result.status == EXPIRED:
                    return f"Not run: the approval request for `{tool.name}` expired (nobody answered); no human rejected it"
                return f"Not run: {describe(result)}"
            edited = result.edited_arguments
            return tool.run(**(edited if edited is not None else arguments))

    return Approved()
