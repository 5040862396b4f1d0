"""The original Python client (gohumanloop 0.0.15, unchanged) against `ghl serve`.

Run by crates/ghl/tests/python_client.rs with the environment:
  HUB           the hub's base URL (http://127.0.0.1:PORT)
  AGENT_KEY     the agent's key (tenant A)
  APPROVER_KEY  a key named "alice" in tenant A, used to answer through the answering API
  OTHER_KEY     a key of tenant B
Each scenario prints "ok <name> (<seconds>)"; any failed assertion exits non-zero.
"""

import asyncio
import os
import sys
import time
import uuid

from gohumanloop import APIProvider, HumanLoopStatus, HumanLoopType
from pydantic import SecretStr

from hub_http import HUB, call

AGENT_KEY = os.environ["AGENT_KEY"]
APPROVER_KEY = os.environ["APPROVER_KEY"]
OTHER_KEY = os.environ["OTHER_KEY"]
POLL = 1  # seconds between the client's status polls


def answer(request_id, action, body):
    status, reply = call("POST", f"/api/v1/requests/{request_id}/{action}", APPROVER_KEY, body)
    assert status == 200 and reply["success"], (status, reply)
    return reply["request"]


async def settled(provider, conversation_id, request_id, limit=60):
    """Waits until the client's local view leaves pending; returns it and the time. The limit
    only bounds a hang: no assertion depends on how fast the answer came."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        result = await provider.async_check_request_status(conversation_id, request_id)
        if result.status != HumanLoopStatus.PENDING:
            return result, time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"request {request_id} still pending after {limit} s")


def provider(key=AGENT_KEY):
    return APIProvider(
        name="hub",
        api_base_url=HUB + "/api",
        api_key=SecretStr(key),
        default_platform="ghl-test",
        poll_interval=POLL,
    )


async def approval(p):
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="deploy", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "May I deploy v2 to production?", "question": "Approve?"},
    )
    assert created.status == HumanLoopStatus.PENDING, created
    answered_at = time.monotonic()
    answer(created.request_id, "approve", {"reason": "looks good"})
    result, _ = await settled(p, cid, created.request_id)
    took = time.monotonic() - answered_at
    assert result.status == HumanLoopStatus.APPROVED, result
    assert result.response == {"decision": "approved", "reason": "looks good"}, result
    assert result.responded_by == "alice", result
    assert result.responded_at, result
    return took


async def rejection(p):
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="deploy", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "May I drop the table?"},
    )
    answered_at = time.monotonic()
    answer(created.request_id, "reject", {"reason": "not today"})
    result, _ = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.REJECTED, result
    assert result.response["reason"] == "not today", result
    return time.monotonic() - answered_at


async def information(p):
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="lookup", conversation_id=cid, loop_type=HumanLoopType.INFORMATION,
        context={"question": "Which region?"},
    )
    answered_at = time.monotonic()
    answer(created.request_id, "answer", {"text": "eu-west-1"})
    result, _ = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.COMPLETED, result
    assert result.response == {"information": "eu-west-1"}, result
    assert result.responded_by == "alice", result
    return time.monotonic() - answered_at


async def conversation(p):
    cid = str(uuid.uuid4())
    first = await p.async_request_humanloop(
        task_id="chat", conversation_id=cid, loop_type=HumanLoopType.CONVERSATION,
        context={"message": "Draft: hello world"},
    )
    start = time.monotonic()
    answer(first.request_id, "reply", {"text": "make it shorter"})
    turn, _ = await settled(p, cid, first.request_id)
    assert turn.status == HumanLoopStatus.INPROGRESS, turn
    assert turn.response == {"message": "make it shorter"}, turn

    second = await p.async_continue_humanloop(
        conversation_id=cid, context={"message": "Draft: hi"},
    )
    assert second.status == HumanLoopStatus.PENDING, second
    assert second.request_id != first.request_id
    # The hub stored the turn as a `conversation` request of the same conversation and task.
    status, reply = call("GET", f"/api/v1/requests/{second.request_id}", APPROVER_KEY)
    assert status == 200, reply
    assert reply["request"]["loop_type"] == "conversation", reply
    assert reply["request"]["task_id"] == "chat", reply
    assert [h["request_id"] for h in reply["history"]] == [first.request_id, second.request_id]

    answer(second.request_id, "reply", {"text": "perfect", "complete": True})
    last, _ = await settled(p, cid, second.request_id)
    assert last.status == HumanLoopStatus.COMPLETED, last
    assert last.response == {"message": "perfect"}, last
    return time.monotonic() - start


async def cancel(p):
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="deploy", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "cancel me"},
    )
    start = time.monotonic()
    assert await p.async_cancel_request(cid, created.request_id) is True
    status, reply = call("GET", f"/api/v1/requests/{created.request_id}", APPROVER_KEY)
    assert reply["request"]["status"] == "cancelled", reply
    # An answer after the cancel loses: 409 naming the state.
    status, reply = call("POST", f"/api/v1/requests/{created.request_id}/approve", APPROVER_KEY, {})
    assert status == 409 and reply["status"] == "cancelled", (status, reply)
    return time.monotonic() - start


async def cancel_conversation(p):
    cid = str(uuid.uuid4())
    first = await p.async_request_humanloop(
        task_id="chat", conversation_id=cid, loop_type=HumanLoopType.CONVERSATION,
        context={"message": "turn 1"},
    )
    answer(first.request_id, "reply", {"text": "go on"})
    await settled(p, cid, first.request_id)
    second = await p.async_continue_humanloop(conversation_id=cid, context={"message": "turn 2"})
    start = time.monotonic()
    assert await p.async_cancel_conversation(cid) is True
    status, reply = call("GET", f"/api/v1/requests/{second.request_id}", APPROVER_KEY)
    statuses = {h["request_id"]: h["status"] for h in reply["history"]}
    # `continue` settled the answered turn as completed (else the client polls it for ever);
    # the open one is cancelled.
    assert statuses == {first.request_id: "completed", second.request_id: "cancelled"}, statuses
    return time.monotonic() - start


async def unknown_request(p):
    """The client polls a request the hub does not have: HTTP 200 success:false keeps its poll
    loop alive (a 404 would kill it, bug #1), so its own timeout still expires the request."""
    cid, rid = str(uuid.uuid4()), str(uuid.uuid4())
    p._store_request(
        conversation_id=cid, request_id=rid, task_id="ghost",
        loop_type=HumanLoopType.APPROVAL, context={}, metadata={"platform": "ghl-test"}, timeout=3,
    )
    start = time.monotonic()
    await p._async_poll_request_status_with_timeout(cid, rid, "ghl-test", 3)
    result = await p.async_check_request_status(cid, rid)
    assert result.status == HumanLoopStatus.EXPIRED, result
    assert result.error == "Request timed out", result
    # The same answer straight from the server.
    status, reply = call(
        "GET", f"/api/v1/humanloop/status?conversation_id={cid}&request_id={rid}&platform=ghl-test",
        AGENT_KEY)
    assert status == 200 and reply["success"] is False and reply["status"] == "pending", reply
    assert reply["error"] == f"Request not found: {rid}", reply
    return time.monotonic() - start


async def hub_deadline(p):
    """A deadline held by the hub (metadata.timeout, which the original client passes through)
    reaches the client as `expired`, with no timeout on the client's side."""
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="deploy", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "nobody will answer"}, metadata={"timeout": 1},
    )
    start = time.monotonic()
    result, _ = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.EXPIRED, result
    assert result.error == "Request timed out", result
    return time.monotonic() - start


async def other_tenant(p):
    """Tenant B cannot see or answer tenant A's request."""
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="deploy", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": "private"},
    )
    start = time.monotonic()
    status, reply = call("POST", f"/api/v1/requests/{created.request_id}/approve", OTHER_KEY, {})
    assert status == 404, (status, reply)
    status, reply = call(
        "GET",
        f"/api/v1/humanloop/status?conversation_id={cid}&request_id={created.request_id}"
        "&platform=ghl-test",
        OTHER_KEY)
    assert reply["success"] is False, reply
    assert await p.async_cancel_request(cid, created.request_id) is True
    return time.monotonic() - start


async def main():
    p = provider()
    for scenario in [approval, rejection, information, conversation, cancel,
                     cancel_conversation, unknown_request, hub_deadline, other_tenant]:
        took = await scenario(p)
        print(f"ok {scenario.__name__} ({took:.2f} s)", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The client's poll threads are daemon-less executor threads: leave without waiting.
    os._exit(0)
