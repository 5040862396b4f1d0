"""The Python adapters' benchmark (scripts/bench.sh, GHL_BENCH_PY=1), against a running hub
(HUB, AGENT_KEY, APPROVER_KEY): a LangGraph node interrupts through the hub, a resumer waits
with create_resume_command (long-poll), and a human's answer is posted to the answering API;
the figures are the time from posting the answer to create_resume_command's Command (the
answer long-polled and the resume claimed), to the resumed node running again, and to the
answering POST's own reply (the part of those the answer's commit takes), p50/p99 over
BENCH_RESUMES graphs, one after another. Then the import time of the package (best of 5 fresh
interpreters).

Checks itself: a call that is not 2xx or not success:true raises (and fails scripts/bench.sh),
and the answer is posted only once the hub's ghl_waiters gauge (GET /metrics) counts the
resumer's long-poll as parked (a bounded poll, not a fixed sleep)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
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
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            text = reply.read()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"bench: {method} {path}: HTTP {e.code}: {e.read()[:300]!r}") from e
    body = json.loads(text)
    if body.get("success") is not True:
        raise SystemExit(f"bench: {method} {path}: HTTP {reply.status} but not success:true: {text[:300]!r}")
    return body


def parked() -> int:
    """The hub's ghl_waiters gauge: agents parked in a long-poll now."""
    with urllib.request.urlopen(HUB + "/metrics", timeout=30) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith("ghl_waiters "):
                return int(float(line.split()[1]))
    raise SystemExit("bench: GET /metrics has no ghl_waiters gauge")


def until_parked(target: int, resumer: threading.Thread, limit: float = 30.0) -> None:
    """Returns once the hub holds `target` agents parked; fails if the resumer ends first or
    `limit` seconds pass (a bound against hangs, not a figure)."""
    deadline = time.monotonic() + limit
    while True:
        now = parked()
        if now >= target:
            return
        if not resumer.is_alive():
            raise SystemExit("bench: the resumer returned before its answer was posted")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: after {limit:.0f} s the hub holds {now} parked agents, not {target}")
        time.sleep(0.001)


def one(graph: Any, i: int) -> tuple[float, float, float]:
    config = {"configurable": {"thread_id": f"bench-{i}"}}
    graph.invoke({"i": i}, config)
    [request] = call("GET", f"/api/v1/requests?status=pending&task_id=bench-{i}")["requests"]

    def resume() -> None:
        command = create_resume_command(graph=graph, config=config, interrupts=hub, wait=30)
        assert command is not None, "the answer did not arrive"
        command_at[i] = time.perf_counter()
        graph.invoke(command, config)

    others = parked()
    resumer = threading.Thread(target=resume)
    resumer.start()
    until_parked(others + 1, resumer)  # the figure is the parked resumer's wake-up
    answered = time.perf_counter()
    call("POST", f"/api/v1/requests/{request['id']}/answer", {"text": "yes"})
    posted = time.perf_counter()
    resumer.join()
    if i not in command_at or i not in resumed_at:
        raise SystemExit(f"bench: graph bench-{i} was not resumed (see the resumer's error above)")
    return command_at[i] - answered, resumed_at[i] - answered, posted - answered


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
    for label, column in (
        ("the resume Command (claimed)", 0),
        ("the resumed LangGraph node running", 1),
        ("the answering POST's own reply", 2),
    ):
        latencies = sorted(sample[column] for sample in samples)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(f"python answer -> {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({count} resumes)")
    bare = import_seconds("sys")
    for module in ("gohumanloop_rs", "langgraph.graph", "gohumanloop_rs.langgraph"):
        print(f"python import {module}: {(import_seconds(module) - bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
