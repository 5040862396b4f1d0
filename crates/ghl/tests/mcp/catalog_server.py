"""An upstream MCP server with resources, a resource template and prompts besides its tools,
built with the official Python SDK, for `ghl mcp gateway`'s promise tests (mcp_promises.rs):
what it serves must reach the client unchanged, and it says which gated calls reached it.

Tools: `record(note)` (not read-only: the gateway gates it) remembers the note; `recorded()`
(read-only: it passes) tells every note `record` got, one a line — the calls the upstream saw.

Usage: catalog_server.py   (stdio)
"""

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import AssistantMessage, UserMessage
from mcp.types import ToolAnnotations

server = MCPServer("catalog", instructions="A small catalogue of shelves and the notes taken on them.")

notes: list[str] = []


@server.tool()
def record(note: str) -> str:
    """Remembers a note (a write: the gateway asks before it runs)."""
    notes.append(note)
    return f"recorded: {note}"


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def recorded() -> str:
    """Every note `record` got, one a line."""
    return "\n".join(notes)


@server.resource(
    "catalog://rules",
    name="rules",
    title="Shelf rules",
    description="How the shelves are kept.",
    mime_type="text/markdown",
)
def rules() -> str:
    return "# Shelf rules\n\n1. Label every box.\n2. Nothing on the floor.\n"


@server.resource("catalog://logo", name="logo", description="The catalogue's logo.", mime_type="image/png")
def logo() -> bytes:
    return bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])


@server.resource(
    "catalog://shelves/{shelf}",
    name="shelf",
    description="What one shelf holds.",
    mime_type="application/json",
)
def shelf(shelf: str) -> dict:
    return {"shelf": shelf, "boxes": [f"{shelf}-1", f"{shelf}-2"], "full": shelf == "a"}


@server.prompt(title="Review a shelf", description="Asks for a review of one shelf.")
def review(shelf: str, strict: str = "no") -> list:
    return [
        UserMessage(f"Review shelf {shelf}. Strict: {strict}."),
        AssistantMessage("I will list what is out of place first."),
    ]


@server.prompt(description="A greeting without arguments.")
def hello() -> str:
    return "Say hello to the catalogue keeper."


if __name__ == "__main__":
    server.run("stdio")
