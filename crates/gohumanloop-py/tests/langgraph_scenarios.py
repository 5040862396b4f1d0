"""LangGraph scenarios against a real hub (``HUB``, ``AGENT_KEY``, ``APPROVER_KEY``): run as
``python langgraph_scenarios.py NAME``; prints ``ok NAME`` when every assertion held."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

import support
from gohumanloop_rs import Interrupts, RequestExpired, RequestRejected
from gohumanloop_rs.langgraph import (
    converse,
    create_resume_command,
    interrupt,
    require_approval,
    require_info,
    set_default_interrupts,
)

set_default_interrupts(Interrupts.hub(support.HUB, support.AGENT_KEY))


class State(TypedDict, total=False):
    path: str
    result: str
    info: str
    replies: list[str]


def _graph(node: Any, checkpointer: Any = None) -> Any:
    builder = StateGraph(State)
    builder.add_node("work", node)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    return builder.compile(checkpointer=checkpointer or InMemorySaver())


runs: list[dict[str, Any]] = []


@require_approval(message="Delete the folder?")
def delete_folder(path: str, recursive: bool = False) -> str:
    runs.append({"path": path, "recursive": recursive})
    return f"deleted {path} (recursive={recursive})"


def delete_node(state: State) -> State:
    return {"result": delete_folder(state["path"])}


def approval_with_edited_arguments() -> None:
    graph = _graph(delete_node)
    config = {"configurable": {"thread_id": "edit"}}
    out = graph.invoke({"path": "/tmp/cache"}, config)
    assert "__interrupt__" in out, out
    assert runs == [], "nothing runs before the approval"
    (request,) = support.pending(task="edit")
    assert request["context"]["function"]["function_name"] == "delete_folder", request
    assert request["context"]["function"]["arguments"] == {"path": "/tmp/cache", "recursive": False}
    support.approve(request["request_id"], {"path": "/tmp/cache/old", "recursive": True})
    command = create_resume_command()
    assert command is not None
    out = graph.invoke(command, config)
    assert out["result"] == "deleted /tmp/cache/old (recursive=True)", out
    assert runs == [{"path": "/tmp/cache/old", "recursive": True}], runs
    support.ok("approval_with_edited_arguments")


def rejection_raises_in_the_node() -> None:
    graph = _graph(delete_node)
    config = {"configurable": {"thread_id": "reject"}}
    graph.invoke({"path": "/etc"}, config)
    (request,) = support.pending(task="reject")
    support.reject(request["request_id"], "not /etc")
    command = create_resume_command(config=config)
    try:
        graph.invoke(command, config)
    except RequestRejected as e:
        assert "not /etc" in str(e) and "alice" in str(e), str(e)
    else:
        raise AssertionError("a rejected call must not run")
    assert runs == [], runs
    support.ok("rejection_raises_in_the_node")


def expired_is_not_rejected() -> None:
    @require_approval(timeout=1)
    def wipe(disk: str) -> str:
        runs.append({"disk": disk})
        return "wiped"

    graph = _graph(lambda s: {"result": wipe(s["path"])})
    config = {"configurable": {"thread_id": "expire"}}
    graph.invoke({"path": "sda"}, config)
    command = create_resume_command(config=config, wait=30)
    assert command is not None, "the expiry is an outcome to resume with"
    try:
        graph.invoke(command, config)
    except RequestExpired as e:
        assert "expired" in str(e) and "rejected" not in str(e), str(e)
    else:
        raise AssertionError("an expired approval must not run the call")
    assert runs == []
    support.ok("expired_is_not_rejected")


def information_and_a_two_turn_conversation() -> None:
    @require_info("Which environment?")
    def deploy(state: State, info: str) -> State:
        return {"info": info}

    def chat(state: State) -> State:
        first = converse("Draft: 'Hello'. Good?", conversation="review")
        second = converse(f"Changed it to: {first.text!r}. Now?", conversation="review")
        return {"replies": [first.text, second.text, second.status]}

    builder = StateGraph(State)
    builder.add_node("deploy", deploy)
    builder.add_node("chat", chat)
    builder.add_edge(START, "deploy")
    builder.add_edge("deploy", "chat")
    builder.add_edge("chat", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "talk"}}
    graph.invoke({}, config)
    (question,) = support.pending(task="talk")
    assert question["loop_type"] == "information"
    support.answer(question["request_id"], "staging")
    graph.invoke(create_resume_command(config=config), config)
    (turn1,) = support.pending(task="talk")
    assert turn1["loop_type"] == "conversation"
    support.reply(turn1["request_id"], "Say 'Hi'")
    graph.invoke(create_resume_command(config=config), config)
    (turn2,) = support.pending(task="talk")
    assert turn2["conversation_id"] == turn1["conversation_id"], "one conversation at the hub"
    assert turn2["request_id"] != turn1["request_id"]
    support.reply(turn2["request_id"], "Perfect", complete=True)
    out = graph.invoke(create_resume_command(config=config), config)
    assert out["info"] == "staging", out
    assert out["replies"] == ["Say 'Hi'", "Perfect", "completed"], out
    support.ok("information_and_a_two_turn_conversation")


def several_graphs_interrupted_at_once() -> None:
    def ask(state: State) -> State:
        return {"result": interrupt({"question": f"Name for {state['path']}?"})}

    graph = _graph(ask)
    configs = {name: {"configurable": {"thread_id": f"many-{name}"}} for name in "abc"}
    for name, config in configs.items():
        graph.invoke({"path": name}, config)
    pending = support.pending(3)
    by_question = {r["context"]["message"]: r for r in pending}
    # Answered in another order than asked, from other threads of this process.
    answers = {"c": "Carol", "a": "Alice", "b": "Bob"}
    answerers = [
        threading.Thread(
            target=support.answer,
            args=(by_question[f'{{"question": "Name for {name}?"}}']["request_id"], answer),
        )
        for name, answer in answers.items()
    ]
    for t in answerers:
        t.start()
    for t in answerers:
        t.join()
    try:
        create_resume_command()
    except ValueError as e:
        assert "3 graphs are interrupted" in str(e), str(e)
    else:
        raise AssertionError("without config the pending graph is ambiguous")
    for name, config in configs.items():
        out = graph.invoke(create_resume_command(config=config), config)
        assert out["result"] == answers[name], (name, out)
    support.ok("several_graphs_interrupted_at_once")


# Cross-process: the graph's checkpoints live in a SQLite file; the tool's runs in a log file.
def _durable_graph(path: str) -> Any:
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    @require_approval()
    def transfer(amount: int, to: str) -> str:
        with open(os.environ["RUN_LOG"], "a") as log:
            log.write(f"{amount} {to}\n")
        return f"sent {amount} to {to}"

    saver = SqliteSaver(sqlite3.connect(path, check_same_thread=False))
    return _graph(lambda s: {"result": transfer(100, s["path"])}, saver)


def interrupt_then_exit() -> None:
    graph = _durable_graph(os.environ["CHECKPOINTS"])
    out = graph.invoke({"path": "acme"}, {"configurable": {"thread_id": "durable"}})
    assert "__interrupt__" in out, out
    support.ok("interrupt_then_exit")


def resume_in_a_new_process() -> None:
    graph = _durable_graph(os.environ["CHECKPOINTS"])
    config = {"configurable": {"thread_id": "durable"}}
    command = create_resume_command(graph=graph, config=config, wait=30)
    if os.environ.get("EXPECT") == "nothing":
        assert command is None, "a second resume does nothing"
        support.ok("resume_again_does_nothing")
        return
    assert command is not None
    out = graph.invoke(command, config)
    assert out["result"] == "sent 100 to acme", out
    support.ok("resume_in_a_new_process")


def claim_then_die() -> None:
    """Claims the resume, then dies before the graph runs its side effect."""
    graph = _durable_graph(os.environ["CHECKPOINTS"])
    config = {"configurable": {"thread_id": "durable"}}
    command = create_resume_command(graph=graph, config=config, wait=30)
    assert command is not None, "the first resume claims the answer"
    support.ok("claim_then_die")
    sys.stdout.flush()
    os._exit(9)


if __name__ == "__main__":
    globals()[sys.argv[1]]()
