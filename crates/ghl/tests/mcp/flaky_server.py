"""An upstream MCP server that misbehaves on purpose, built with the official Python SDK: its
`crash` tool kills the process, its `hang` tool never answers, `echo` answers at once. The
gateway tests put `ghl mcp gateway` in front of it."""

import asyncio
import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("flaky")


@server.tool()
def echo(text: str) -> str:
    """Returns the text."""
    return text


@server.tool()
def crash() -> str:
    """Ends the server process at once."""
    os._exit(3)


@server.tool()
async def hang() -> str:
    """Never answers."""
    await asyncio.sleep(3600)
    return "late"


if __name__ == "__main__":
    server.run("stdio")
