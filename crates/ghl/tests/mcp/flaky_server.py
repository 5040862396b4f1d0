"""An upstream MCP server that misbehaves on purpose, built with the official Python SDK: its
`crash` tool kills the process, its `hang` tool never answers, `echo` answers at once, and
`stamp` appends the time it was called (ns since the epoch) to the file `$FLAKY_STAMPS`. The
gateway tests and benchmark put `ghl mcp gateway` in front of it.

Usage: flaky_server.py            (stdio)
       flaky_server.py http PORT  (streamable HTTP on 127.0.0.1:PORT/mcp)
"""

import asyncio
import os
import sys
import time

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


@server.tool()
def stamp() -> str:
    """Notes when it ran."""
    now = time.time_ns()
    with open(os.environ["FLAKY_STAMPS"], "a") as stamps:
        stamps.write(f"{now}\n")
    return str(now)


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
