"""LangChain's HumanInTheLoopMiddleware (batched and per-call) and the Agent Inbox schema,
answered through the hub: run as ``python hitl_scenarios.py NAME``."""

from __future__ import annotations

import os
import sys
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

import support
from gohumanloop_rs import Interrupts
from gohumanloop_rs.langgraph import answer_pending

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from scripted_model import ScriptedChatModel  # noqa: E402  (the examples' scripted model)

hub = Interrupts.hub(support.HUB, support.AGENT_KEY)
ran: list[tuple[str, dict[str, Any]]] = []


@tool
def send_email(to: str, body: str) -> str:
    """Send an e-mail."""
    ran.append(("send_email", {"to": to, "body": body}))
    return f"sent to {to}"


@tool
def delete_file(path: str) -> str:
    """Delete a file."""
    ran.append(("delete_file", {"path": path}))
    return f"deleted {path}"


@tool
def book_meeting(day: str) -> str:
    """Book a meeting."""
    ran.append(("book_meeting", {"day": day}))
    return f"booked {day}"


def _agent(mode: str) -> Any:
    calls = AIMessage(
        content="",
        tool_calls=[
            {"name": "send_email", "args": {"to": "bob@example.com", "body": "hi"}, "id": "c1", "type": "tool_call"},
            {"name": "delete_file", "args": {"path": "/srv/db"}, "id": "c2", "type": "tool_call"},
            {"name": "book_meeting", "args": {"day": "monday"}, "id": "c3", "type": "tool_call"},
        ],
    )
    model = ScriptedChatModel(script=[calls, AIMessage(content="done")])
    middleware = HumanInTheLoopMiddleware(
        interrupt_on={
            "send_email": True,
            "delete_file": {"allowed_decisions": ["approve", "reject"]},
            "book_meeting": {"allowed_decisions": ["approve", "respond"]},
        },
        interrupt_mode=mode,
    )
    return create_agent(model, tools=[send_email, delete_file, book_meeting], middleware=[middleware], checkpointer=InMemorySaver())


def _tool_messages(out: dict[str, Any]) -> dict[str, ToolMessage]:
    return {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}


def _decide_three(task: str) -> None:
    requests = {r["context"]["function"]["function_name"]: r for r in support.pending(3, task=task)}
    email = requests["send_email"]
    assert email["context"]["function"]["arguments"] == {"to": "bob@example.com", "body": "hi"}, email
    support.approve(email["request_id"], {"to": "carol@example.com", "body": "hi"})
    support.reject(requests["delete_file"]["request_id"], "keep the database")
    support.reject(requests["book_meeting"]["request_id"], "I'll book it myself")


def _check_three(out: dict[str, Any]) -> None:
    assert ran == [("send_email", {"to": "carol@example.com", "body": "hi"})], ran
    messages = _tool_messages(out)
    # LangChain tells the model that a human edited the call, then the tool's own reply.
    edited = messages["c1"].content
    assert "replaced this tool call" in edited and edited.endswith("sent to carol@example.com"), edited
    assert "keep the database" in messages["c2"].content and messages["c2"].status == "error", messages["c2"]
    # book_meeting allows no rejection: the reason is the human's response.
    assert messages["c3"].content == "I'll book it myself" and messages["c3"].status == "success", messages["c3"]


def batched_edit_reject_respond() -> None:
    agent = _agent("batched")
    config = {"configurable": {"thread_id": "batched"}}
    out = agent.invoke({"messages": [{"role": "user", "content": "tidy up"}]}, config)
    assert "__interrupt__" in out and ran == [], out
    # Filing is idempotent: a second answerer call files nothing new.
    assert answer_pending(agent, config, interrupts=hub, wait=0.5) is None
    support.pending(3, task="batched")
    _decide_three("batched")
    command = answer_pending(agent, config, interrupts=hub, wait=30)
    assert command is not None
    out = agent.invoke(command, config)
    _check_three(out)
    assert answer_pending(agent, config, interrupts=hub, wait=0) is None, "nothing left to answer"
    support.ok("batched_edit_reject_respond")


def per_call_edit_reject_respond() -> None:
    agent = _agent("per_call")
    config = {"configurable": {"thread_id": "per-call"}}
    out = agent.invoke({"messages": [{"role": "user", "content": "tidy up"}]}, config)
    assert len(out["__interrupt__"]) == 3, out["__interrupt__"]
    assert all(i.value["type"] == "tool_approval" for i in out["__interrupt__"])
    answer_pending(agent, config, interrupts=hub, wait=0)
    _decide_three("per-call")
    out = agent.invoke(answer_pending(agent, config, interrupts=hub, wait=30), config)
    _check_three(out)
    support.ok("per_call_edit_reject_respond")


def expired_tool_call_is_not_rejected() -> None:
    agent = _agent("batched")
    config = {"configurable": {"thread_id": "expiry"}}
    agent.invoke({"messages": [{"role": "user", "content": "tidy up"}]}, config)
    out = agent.invoke(answer_pending(agent, config, interrupts=hub, timeout=1, wait=30), config)
    assert ran == [], ran
    message = _tool_messages(out)["c2"].content
    assert "expired" in message and "no human rejected it" in message, message
    support.ok("expired_tool_call_is_not_rejected")


class InboxState(TypedDict, total=False):
    outcome: Any


def agent_inbox_schema() -> None:
    def review(state: InboxState) -> InboxState:
        request = {
            "action_request": {"action": "merge_pr", "args": {"pr": 42}},
            "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": True, "allow_accept": True},
            "description": "Merge PR #42?",
        }
        return {"outcome": interrupt([request])}

    builder = StateGraph(InboxState)
    builder.add_node("review", review)
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "inbox"}}
    graph.invoke({}, config)
    answer_pending(graph, config, interrupts=hub, wait=0)
    (request,) = support.pending(task="inbox")
    assert request["context"]["function"] == {"function_name": "merge_pr", "arguments": {"pr": 42}}
    assert request["context"]["message"] == "Merge PR #42?"
    support.approve(request["request_id"], {"pr": 43})
    out = graph.invoke(answer_pending(graph, config, interrupts=hub, wait=30), config)
    assert out["outcome"] == [{"type": "edit", "args": {"action": "merge_pr", "args": {"pr": 43}}}], out
    support.ok("agent_inbox_schema")


def plain_approve_and_edits_where_no_edit_is_allowed() -> None:
    calls = AIMessage(
        content="",
        tool_calls=[
            {"name": "send_email", "args": {"to": "bob@example.com", "body": "hi"}, "id": "c1", "type": "tool_call"},
            {"name": "delete_file", "args": {"path": "/srv/db"}, "id": "c2", "type": "tool_call"},
        ],
    )
    model = ScriptedChatModel(script=[calls, AIMessage(content="done")])
    middleware = HumanInTheLoopMiddleware(
        interrupt_on={
            "send_email": True,  # every decision allowed
            "delete_file": {"allowed_decisions": ["approve", "reject"]},  # no edit
        },
        interrupt_mode="batched",
    )
    agent = create_agent(model, tools=[send_email, delete_file], middleware=[middleware], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "no-edit"}}
    out = agent.invoke({"messages": [{"role": "user", "content": "tidy up"}]}, config)
    assert "__interrupt__" in out and ran == [], out
    assert answer_pending(agent, config, interrupts=hub, wait=0) is None  # files the two requests
    requests = {r["context"]["function"]["function_name"]: r for r in support.pending(2, task="no-edit")}
    support.approve(requests["send_email"]["request_id"])  # plain: no arguments
    support.approve(requests["delete_file"]["request_id"], {"path": "/tmp/scratch"})  # an edit

    command = answer_pending(agent, config, interrupts=hub, wait=30)
    assert command is not None
    (resume,) = command.resume.values()
    approve, refused = resume["decisions"]
    assert approve == {"type": "approve"}, approve
    assert refused["type"] == "reject", refused
    assert "does not allow edits" in refused["message"], refused

    out = agent.invoke(command, config)
    assert ran == [("send_email", {"to": "bob@example.com", "body": "hi"})], ran
    messages = {m.tool_call_id: m for m in out["messages"] if isinstance(m, ToolMessage)}
    assert messages["c1"].content == "sent to bob@example.com", messages["c1"]
    told = messages["c2"]
    assert told.status == "error" and "does not allow edits" in told.content, told
    support.ok("plain_approve_and_edits_where_no_edit_is_allowed")


if __name__ == "__main__":
    globals()[sys.argv[1]]()
