"""A LangChain agent whose dangerous tools wait for a human in the hub's web inbox.

LangChain's HumanInTheLoopMiddleware pauses the agent before `delete_records` and
`send_invoice`; `answer_pending` puts each call to the hub as an approval request (showing the
tool and its arguments), waits for the approvers — in the inbox, or any other channel — and
resumes the agent with their decisions (approve, edit, reject). Needs GOHUMANLOOP_API_BASE_URL
and GOHUMANLOOP_API_KEY (a key of the hub).
"""

import os

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from gohumanloop_rs.langgraph import answer_pending

from scripted_model import ScriptedChatModel


@tool
def delete_records(table: str, older_than_days: int) -> str:
    """Delete old records."""
    return f"deleted rows of {table} older than {older_than_days} days"


@tool
def send_invoice(customer: str, amount: int) -> str:
    """Send an invoice."""
    return f"invoiced {customer} {amount}"


model = ScriptedChatModel(
    script=[
        AIMessage(
            content="",
            tool_calls=[
                {"name": "delete_records", "args": {"table": "events", "older_than_days": 7}, "id": "d1", "type": "tool_call"},
                {"name": "send_invoice", "args": {"customer": "ACME", "amount": 1200}, "id": "i1", "type": "tool_call"},
            ],
        ),
        AIMessage(content="All done."),
    ]
)
agent = create_agent(
    model,
    tools=[delete_records, send_invoice],
    middleware=[HumanInTheLoopMiddleware(interrupt_on={"delete_records": True, "send_invoice": True})],
    checkpointer=InMemorySaver(),
)
config = {"configurable": {"thread_id": "billing-cleanup"}}

agent.invoke({"messages": [{"role": "user", "content": "Clean up and bill ACME"}]}, config)
print(f"waiting for approvers at {os.environ['GOHUMANLOOP_API_BASE_URL'].removesuffix('/api')}/inbox", flush=True)
command = answer_pending(agent, config, wait=float(os.environ.get("WAIT_SECONDS", "600")))
result = agent.invoke(command, config)
for message in result["messages"]:
    if isinstance(message, ToolMessage):
        print(f"{message.name}: {message.content.splitlines()[-1]}", flush=True)
