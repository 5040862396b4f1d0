"""The original Python client (gohumanloop 0.0.15, unchanged) against a hub with a policy.

Run by crates/ghl/tests/policy_serve.rs against `ghl serve --config policy.toml --test-clock`:
  HUB        the hub's base URL
  AGENT_KEY  the agent's key (tenant A)
The client must see only the final statuses it knows (approved, rejected, expired) and never a
pending request that can no longer end: a rule's auto-decision, the plan's default decision at
the deadline (the hub's clock is moved, nobody sleeps), and a plain deadline without a rule.
Each scenario prints "ok <name>"; any failed assertion exits non-zero.
"""

import asyncio
import os
import time
import uuid

from gohumanloop import APIProvider, HumanLoopStatus, HumanLoopType
from pydantic import SecretStr

from hub_http import HUB, call

AGENT_KEY = os.environ["AGENT_KEY"]


def provider():
    return APIProvider(
        name="hub",
        api_base_url=HUB + "/api",
        api_key=SecretStr(AGENT_KEY),
        default_platform="ghl-test",
        poll_interval=1,
    )


async def settled(p, cid, rid, limit=60):
    """Waits (bounded) until the client's view leaves pending."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        result = await p.async_check_request_status(cid, rid)
        if result.status != HumanLoopStatus.PENDING:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"request {rid} still pending after {limit} s")


async def ask(p, function, arguments, metadata=None):
    cid = str(uuid.uuid4())
    created = await p.async_request_humanloop(
        task_id="ops", conversation_id=cid, loop_type=HumanLoopType.APPROVAL,
        context={"message": f"May I call {function}?",
                 "function": {"function_name": function, "arguments": arguments}},
        metadata=metadata or {},
    )
    return cid, created


async def auto_denied(p):
    cid, created = await ask(p, "shell", {"command": "rm -rf /"})
    result = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.REJECTED, result
    assert result.response["decided_by"] == "policy", result
    assert result.responded_by == "policy:deny-rm-rf-root", result


async def default_at_deadline(p):
    cid, created = await ask(p, "deploy", {"version": "2.0"})
    moved, reply = call("POST", "/api/v1/test/clock", AGENT_KEY, {"advance_secs": 31 * 60})
    assert moved == 200, reply
    result = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.REJECTED, result
    assert result.response["reason"] == "rejected by policy at the deadline (rule deploys)", result


async def plain_expiry(p):
    cid, created = await ask(p, "unplanned", {}, {"timeout": 60})
    moved, reply = call("POST", "/api/v1/test/clock", AGENT_KEY, {"advance_secs": 61})
    assert moved == 200, reply
    result = await settled(p, cid, created.request_id)
    assert result.status == HumanLoopStatus.EXPIRED, result


async def main():
    p = provider()
    for scenario in (auto_denied, default_at_deadline, plain_expiry):
        await scenario(p)
        print(f"ok {scenario.__name__}", flush=True)


asyncio.run(main())
