"""The original GoHumanLoopManager (gohumanloop 0.0.15) against `ghl serve`: blocking requests
through its GoHumanLoopProvider and its task sync (`tasks/sync`), synchronous API.

Environment: HUB, AGENT_KEY, APPROVER_KEY, OTHER_KEY as in compat_api_provider.py; the script
sets GOHUMANLOOP_API_BASE_URL / GOHUMANLOOP_API_KEY itself, as a user would.
"""

import os
import threading
import time
import uuid

from hub_http import HUB, call

os.environ["GOHUMANLOOP_API_BASE_URL"] = HUB + "/api"
os.environ["GOHUMANLOOP_API_KEY"] = os.environ["AGENT_KEY"]

from gohumanloop import GoHumanLoopManager, HumanLoopStatus, HumanLoopType  # noqa: E402


def approve_when_pending(request_id, reason, limit=60):
    """Approves a request as soon as the hub has it (bounded wait)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status, reply = call("POST", f"/api/v1/requests/{request_id}/approve",
                             os.environ["APPROVER_KEY"], {"reason": reason})
        if status == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"could not approve {request_id}: {reply}")


def task_snapshot(task_id, key=None):
    return call("GET", f"/api/v1/humanloop/tasks/{task_id}", key or os.environ["AGENT_KEY"])


def main():
    task_id = "sync-" + str(uuid.uuid4())
    manager = GoHumanLoopManager(poll_interval=1, sync_interval=1, auto_start_sync=True)

    # Non-blocking request, answered by a human, observed through the manager.
    cid = str(uuid.uuid4())
    rid = manager.request_humanloop(
        task_id=task_id, conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "May I send the invoices?"}, blocking=False,
    )
    assert isinstance(rid, str) and rid, rid
    approve_when_pending(rid, "yes")
    start = time.monotonic()
    while True:
        result = manager.check_request_status(cid, rid)  # also uploads the task snapshot
        if result.status != HumanLoopStatus.PENDING:
            break
        assert time.monotonic() - start < 60, "still pending"
        time.sleep(0.1)
    assert result.status == HumanLoopStatus.APPROVED, result
    assert result.responded_by == "alice", result
    print(f"ok manager_non_blocking ({time.monotonic() - start:.2f} s)", flush=True)

    status, reply = task_snapshot(task_id)
    assert status == 200 and reply["success"], reply
    task = reply["task"]
    conversation = task["data"]["conversations"][0]
    assert conversation["conversation_id"] == cid, task
    assert conversation["provider_id"] == "GoHumanLoop", task
    assert conversation["requests"][0]["request_id"] == rid, task
    assert conversation["requests"][0]["status"] == "approved", task
    assert task["data"]["metadata"]["source"] == "gohumanloop-0.0.15", task
    print(f"ok task_sync (updates={task['updates']})", flush=True)

    # Blocking request: the manager returns once the human answered.
    cid2 = str(uuid.uuid4())
    answered = threading.Event()

    def approver():
        # The client mints the request id; find it through the hub's list.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not answered.is_set():
            _, listing = call("GET", f"/api/v1/requests?conversation_id={cid2}",
                              os.environ["APPROVER_KEY"])
            for r in listing.get("requests", []):
                approve_when_pending(r["request_id"], "blocking ok")
                answered.set()
            time.sleep(0.05)

    threading.Thread(target=approver, daemon=True).start()
    start = time.monotonic()
    result = manager.request_humanloop(
        task_id=task_id, conversation_id=cid2, loop_type=HumanLoopType.APPROVAL,
        context={"message": "May I pay the invoices?"}, blocking=True,
    )
    assert answered.is_set()
    assert result.status == HumanLoopStatus.APPROVED, result
    assert result.response == {"decision": "approved", "reason": "blocking ok"}, result
    print(f"ok manager_blocking ({time.monotonic() - start:.2f} s)", flush=True)

    # Shutdown uploads once more; the merge is idempotent (same content, more updates).
    before = task_snapshot(task_id)[1]["task"]
    manager.shutdown()
    after = task_snapshot(task_id)[1]["task"]
    assert after["updates"] > before["updates"], (before, after)
    conversations = {c["conversation_id"]: c for c in after["data"]["conversations"]}
    assert set(conversations) == {cid, cid2}, after
    assert conversations[cid] == {c["conversation_id"]: c for c in before["data"]["conversations"]}[cid]
    print(f"ok sync_idempotent (updates {before['updates']} -> {after['updates']})", flush=True)

    # Another tenant cannot read the task.
    status, reply = task_snapshot(task_id, os.environ["OTHER_KEY"])
    assert status == 200 and reply["success"] is False, reply
    print("ok tasks_isolated", flush=True)


if __name__ == "__main__":
    main()
    os._exit(0)
