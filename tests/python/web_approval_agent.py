"""An agent written against the original Python client (gohumanloop 0.0.15, unchanged) that asks
for an approval of a function call and waits — answered by a person in the web inbox, which
crates/ghl/tests/web_browser.rs drives in headless Chromium.

Environment: HUB (the hub's base URL), AGENT_KEY. Prints "READY <conversation_id> <request_id>"
once the request exists, then "RESULT <json>" with what the client finally sees.
"""

import asyncio
import json
import os
import time
import uuid

from gohumanloop import APIProvider, HumanLoopStatus, HumanLoopType
from pydantic import SecretStr


async def main():
    provider = APIProvider(
        name="hub",
        api_base_url=os.environ["HUB"] + "/api",
        api_key=SecretStr(os.environ["AGENT_KEY"]),
        default_platform="GoHumanLoop",
        poll_interval=1,
    )
    cid = str(uuid.uuid4())
    created = await provider.async_request_humanloop(
        task_id="python-agent",
        conversation_id=cid,
        loop_type=HumanLoopType.APPROVAL,
        context={
            "message": "Transfer funds to a supplier.",
            "question": "May I make this transfer?",
            "function": {"function_name": "transfer", "arguments": {"amount": 100, "to": "ACME"}},
        },
    )
    assert created.status == HumanLoopStatus.PENDING, created
    print("READY", cid, created.request_id, flush=True)
    start = time.monotonic()
    while time.monotonic() - start < 90:
        result = await provider.async_check_request_status(cid, created.request_id)
        if result.status != HumanLoopStatus.PENDING:
            print("RESULT", json.dumps({
                "status": result.status.value,
                "response": result.response,
                "responded_by": result.responded_by,
            }), flush=True)
            return
        await asyncio.sleep(0.1)
    raise AssertionError("nobody answered within 90 s")


asyncio.run(main())
