"""The Python adapters' benchmark (scripts/bench.sh, GHL_BENCH_PY=1), against a running hub
(HUB, AGENT_KEY, APPROVER_KEY): a LangGraph node interrupts through the hub, a resumer waits
with create_resume_command (long-poll), and a human's answer is posted to the answering API;
the figures are the time from posting the answer to create_resume_command's Command (the
answer long-polled and the resume claimed) and to the resumed node running again, p50/p99 over
BENCH_RESUMES graphs, one after another. Then the import time of the package (best of 5 fresh
interpreters)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from gohumanloop_rs import Interrupts
from gohumanloop_rs.langgraph import create_resume_command, interrupt

HUB = os.environ["HUB"]
APPROVER_KEY = os.environ["APPROVER_KEY"]
hub = Interrupts.hub(HUB, os.environ["AGENT_KEY"])
resumed_at: dict[int, float] = {}
command_at: dict[int, float] = {}


class State(TypedDict, total=False):
    i: int
    answer: str


def node(state: State) -> State:
    answer = interrupt("Go on?", interrupts=hub)
    resumed_at[state["i"]] = time.perf_counter()
    return {"answer": answer}


def call(method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        HUB + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {APPROVER_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def one(graph: Any, i: int) -> tuple[float, float]:
    config = {"configurable": {"thread_id": f"bench-{i}"}}
    graph.invoke({"i": i}, config)
    [request] = call("GET", f"/api/v1/requests?status=pending&task_id=bench-{i}")["requests"]

    def resume() -> None:
        command = create_resume_command(graph=graph, config=config, interrupts=hub, wait=30)
        assert command is not None, "the answer did not arrive"
        command_at[i] = time.perf_counter()
        graph.invoke(command, config)

    resumer = threading.Thread(target=resume)
    resumer.start()
    time.sleep(0.05)  # let the resumer's long-poll reach the hub: the figure is its wake-up
    answered = time.perf_counter()
    call("POST", f"/api/v1/requests/{request['id']}/answer", {"text": "yes"})
    resumer.join()
    return command_at[i] - answered, resumed_at[i] - answered


def import_seconds(module: str) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    builder = StateGraph(State)
    builder.add_node("work", node)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    count = int(os.environ.get("BENCH_RESUMES", "200"))
    one(graph, -1)  # warm-up
    samples = [one(graph, i) for i in range(count)]
    for label, column in (("the resume Command (claimed)", 0), ("the resumed LangGraph node running", 1)):
        latencies = sorted(sample[column] for sample in samples)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(f"python answer -> {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({count} resumes)")
    bare = import_seconds("sys")
    for module in ("gohumanloop_rs", "langgraph.graph", "gohumanloop_rs.langgraph"):
        print(f"python import {module}: {(import_seconds(module) - bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
