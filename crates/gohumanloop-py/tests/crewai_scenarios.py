"""CrewAI scenarios against a real hub (``HUB``, ``AGENT_KEY``, ``APPROVER_KEY``): run as
``python crewai_scenarios.py NAME``; prints ``ok NAME`` when every assertion held. Flows are
persisted in ``CHECKPOINTS`` (CrewAI's SQLite persistence), so a second process resumes them."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from crewai import Agent, Crew, Task
from crewai.flow import Flow, HumanFeedbackPending, human_feedback, listen, start
from crewai.flow.persistence import SQLiteFlowPersistence
from crewai.llms.base_llm import BaseLLM
from crewai.tools import BaseTool
from pydantic import BaseModel

import support
from gohumanloop_rs import Interrupts, RequestExpired
from gohumanloop_rs.crewai import HubFeedbackProvider, require_approval, resume_flow

hub = Interrupts.hub(support.HUB, support.AGENT_KEY)
persistence = SQLiteFlowPersistence(os.environ["CHECKPOINTS"])
flow_id_file = Path(os.environ["CHECKPOINTS"]).with_suffix(".flow-id")


class ReviewFlow(Flow):
    """Drafts a post, asks a human to review it through the hub, publishes with the feedback."""

    @start()
    @human_feedback(message="Review this draft:", provider=HubFeedbackProvider(hub, timeout=None))
    def draft(self) -> str:
        return "Rust makes agents fast."

    @listen(draft)
    def publish(self) -> str:
        feedback = self.last_human_feedback
        with open(os.environ["RUN_LOG"], "a") as log:
            log.write(f"published with: {feedback.feedback}\n")
        return f"published ({feedback.feedback})"


class ExpiringFlow(Flow):
    @start()
    @human_feedback(message="Answer within a second:", provider=HubFeedbackProvider(hub, timeout=1))
    def ask(self) -> str:
        return "anything"


def flow_pauses() -> None:
    """The first process: the flow pauses on the hub's request, and the process exits."""
    outcome = ReviewFlow(persistence=persistence).kickoff()
    assert isinstance(outcome, HumanFeedbackPending), outcome
    request = support.pending(1)[0]
    assert request["loop_type"] == "information", request
    assert request["context"]["message"] == "Review this draft:", request
    assert "Rust makes agents fast." in request["context"]["additional"], request
    flow_id_file.write_text(outcome.context.flow_id)
    support.ok("flow_pauses")


def flow_resumes_in_a_new_process() -> None:
    """A second process: waits for the human's answer and resumes the flow once; ``EXPECT=nothing``
    checks that a later resume does nothing."""
    flow_id = flow_id_file.read_text()
    result = resume_flow(ReviewFlow, flow_id, persistence, interrupts=hub, wait=30)
    if os.environ.get("EXPECT") == "nothing":
        assert result is None, result
        support.ok("resume_again_does_nothing")
        return
    assert result == "published (Ship it, with a benchmark.)", result
    support.ok("flow_resumes_in_a_new_process")


def expired_feedback_is_not_a_rejection() -> None:
    pending = ExpiringFlow(persistence=persistence).kickoff()
    assert isinstance(pending, HumanFeedbackPending), pending
    flow_id = pending.context.flow_id
    try:
        resume_flow(ExpiringFlow, flow_id, persistence, interrupts=hub, wait=30)
        raise AssertionError("an expired request must not resume as an answer")
    except RequestExpired as expired:
        assert "expired" in str(expired), expired
    support.ok("expired_feedback_is_not_a_rejection")


class ScriptedLLM(BaseLLM):
    """A CrewAI custom LLM that answers from a script (ReAct text, so the agent calls the tool
    deterministically); its final answer repeats the last observation it was given."""

    script: list[str]
    position: int = 0

    def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        step = self.script[min(self.position, len(self.script) - 1)]
        self.position += 1
        if "{observation}" in step:
            seen = [m["content"] for m in messages if "Observation:" in str(m.get("content"))]
            step = step.replace("{observation}", seen[-1].split("Observation:")[-1].strip())
        return step

    def supports_function_calling(self) -> bool:
        return False


class InvoiceArgs(BaseModel):
    customer: str
    amount: int


class SendInvoice(BaseTool):
    name: str = "send_invoice"
    description: str = "Send an invoice to a customer."
    args_schema: type[BaseModel] = InvoiceArgs

    def _run(self, customer: str, amount: int) -> str:
        with open(os.environ["RUN_LOG"], "a") as log:
            log.write(f"invoiced {customer} {amount}\n")
        return f"invoiced {customer} {amount}"


def _crew(tool: BaseTool) -> Crew:
    llm = ScriptedLLM(
        model="scripted",
        script=[
            'Thought: I send the invoice.\nAction: send_invoice\nAction Input: {"customer": "ACME", "amount": 5000}',
            "Thought: I know the outcome.\nFinal Answer: {observation}",
        ],
    )
    agent = Agent(role="Billing clerk", goal="Bill customers", backstory="Careful.", llm=llm, tools=[tool])
    task = Task(description="Invoice ACME 5000.", expected_output="What happened.", agent=agent)
    return Crew(agents=[agent], tasks=[task])


def _run_crew_answered_by(decide: Any, timeout: int | None = None) -> str:
    """Runs the crew with the gated tool while ``decide(request)`` answers in another thread."""
    gated = require_approval(SendInvoice(), interrupts=hub, timeout=timeout, wait=30)
    thread = threading.Thread(target=lambda: decide(support.pending(1, task="crewai")[0]))
    thread.start()
    result = _crew(gated).kickoff()
    thread.join()
    return str(result)


def tool_approved_with_edited_arguments() -> None:
    def decide(request: dict[str, Any]) -> None:
        assert request["loop_type"] == "approval", request
        function = request["context"]["function"]
        assert function == {"function_name": "send_invoice", "arguments": {"customer": "ACME", "amount": 5000}}, function
        support.approve(request["id"], arguments={"customer": "ACME", "amount": 1000})

    out = _run_crew_answered_by(decide)
    assert "invoiced ACME 1000" in out, out
    assert Path(os.environ["RUN_LOG"]).read_text() == "invoiced ACME 1000\n"
    support.ok("tool_approved_with_edited_arguments")


def tool_rejected_does_not_run() -> None:
    out = _run_crew_answered_by(lambda r: support.reject(r["id"], "not this month"))
    assert "not this month" in out and "rejected" in out, out
    assert not Path(os.environ["RUN_LOG"]).exists()
    support.ok("tool_rejected_does_not_run")


def tool_expired_is_not_rejected() -> None:
    out = _run_crew_answered_by(lambda r: None, timeout=1)
    assert "expired" in out and "no human rejected it" in out, out
    assert not Path(os.environ["RUN_LOG"]).exists()
    support.ok("tool_expired_is_not_rejected")


if __name__ == "__main__":
    globals()[sys.argv[1]]()
