"""The official Python MCP SDK (PyPI `mcp`) drives ghl's ask-a-human tools, as a Python agent
would: over stdio (`ghl mcp`) or the hub's streamable HTTP `/mcp`, on the protocol it
negotiates by itself (`auto`: 2026-07-28) or the initialize handshake (`legacy`).

Usage: python_client.py stdio|http auto|legacy GHL HUB_BASE KEY
Prints one JSON line with what it saw; the Rust test (mcp_python.rs) checks it.
"""

import asyncio
import json
import sys
import urllib.request

import httpx2
from mcp import Client, StdioServerParameters, types
from mcp.client.streamable_http import streamable_http_client


def answer(base: str, key: str, request_id: str, text: str) -> dict:
    """A human answers through the hub's answering API."""
    request = urllib.request.Request(
        f"{base}/api/v1/requests/{request_id}/answer",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


async def main(transport: str, mode: str, ghl: str, base: str, key: str) -> None:
    shown = []

    async def elicit(context, params):
        shown.append(params.message)
        return types.ElicitResult(action="accept", content={"decision": "approve", "reason": "from the Python user"})

    if transport == "stdio":
        server = StdioServerParameters(command=ghl, args=["mcp", "--hub", base, "--key", key])
    else:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
        server = streamable_http_client(f"{base}/mcp", http_client=http)
    async with Client(server, mode=mode, elicitation_callback=elicit) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        pending = await client.call_tool("request_information", {"question": "Which port?", "wait_seconds": 0})
        ids = pending.structured_content
        answered = answer(base, key, ids["request_id"], "8080")
        done = await client.call_tool(
            "check_request",
            {"conversation_id": ids["conversation_id"], "request_id": ids["request_id"], "wait_seconds": 5},
        )
        approval = await client.call_tool("request_approval", {"question": "Restart the web service?"})
        print(json.dumps({
            "protocol": client.protocol_version,
            "tools": tools,
            "pending": ids["status"],
            "answered": answered.get("success"),
            "answer": done.structured_content,
            "approval": approval.structured_content,
            "shown": shown,
        }))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
