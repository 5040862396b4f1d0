"""LangChain's HumanInTheLoopMiddleware answered through the hub: what the middleware gets for
a plain approval, and for an approval with edits on a tool that allows no ``edit`` (python.md,
the table of ``answer_pending``). Run as ``python hitl_promise_scenarios.py NAME`` by
crates/ghl/tests/python_promises.rs; prints ``ok NAME`` when every assertion held."""

from __future__ import annotations

import os
import sys
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

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
