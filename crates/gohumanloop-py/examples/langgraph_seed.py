"""The original gohumanloop README's LangGraph example, with only its import line changed.

Two stand-ins keep it runnable without the network: a scripted chat model instead of DeepSeek,
and no Tavily search. The human answers in any channel of the hub (the web inbox, e-mail, chat,
the answering API) when GOHUMANLOOP_API_KEY and GOHUMANLOOP_API_BASE_URL name one, else on
this terminal.
"""

from typing import Annotated

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from typing_extensions import TypedDict

from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import StateGraph, START, END
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

# from langgraph.types import Command, interrupt  # Don't use langgraph, use gohumanloop instead

from gohumanloop_rs.langgraph import interrupt, create_resume_command

from scripted_model import ScriptedChatModel

# Stand-in for init_chat_model("deepseek:deepseek-chat"): asks for human assistance, then answers.
llm = ScriptedChatModel(
    script=[
        AIMessage(
            content="",
            tool_calls=[
                {
                    "name": "human_assistance",
                    "args": {"query": "What should I use to build an AI agent?"},
                    "id": "call-1",
                    "type": "tool_call",
                }
            ],
        ),
        AIMessage(content="Thanks! I'll follow the expert's advice."),
    ]
)


class State(TypedDict):
    messages: Annotated[list, add_messages]


graph_builder = StateGraph(State)


@tool
def human_assistance(query: str) -> str:
    """Request assistance from a human."""
    human_response = interrupt({"query": query})
    return human_response


tools = [human_assistance]
llm_with_tools = llm.bind_tools(tools)


def chatbot(state: State):
    message = llm_with_tools.invoke(state["messages"])
    # Because we will be interrupting during tool execution,
    # we disable parallel tool calling to avoid repeating any
    # tool invocations when we resume.
    assert len(message.tool_calls) <= 1
    return {"messages": [message]}


graph_builder.add_node("chatbot", chatbot)

tool_node = ToolNode(tools=tools)
graph_builder.add_node("tools", tool_node)

graph_builder.add_conditional_edges(
    "chatbot",
    tools_condition,
)
graph_builder.add_edge("tools", "chatbot")
graph_builder.add_edge(START, "chatbot")

memory = MemorySaver()

graph = graph_builder.compile(checkpointer=memory)

user_input = "I need some expert guidance for building an AI agent. Could you request assistance for me?"
config = {"configurable": {"thread_id": "1"}}

events = graph.stream(
    {"messages": [{"role": "user", "content": user_input}]},
    config,
    stream_mode="values",
)
for event in events:
    if "messages" in event:
        event["messages"][-1].pretty_print()

# GoHumanLoop code:
human_command = create_resume_command()  # Use this command to resume the execution

events = graph.stream(human_command, config, stream_mode="values")
for event in events:
    if "messages" in event:
        event["messages"][-1].pretty_print()
