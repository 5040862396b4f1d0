"""A chat model that answers from a script (tool calls included): the examples' stand-in for
a real model, so that they run without the network."""

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class ScriptedChatModel(BaseChatModel):
    """Answers with the scripted messages in turn (then repeats the last)."""

    script: list[AIMessage]
    position: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "ScriptedChatModel":
        return self

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        message = self.script[min(self.position, len(self.script) - 1)]
        self.position += 1
        return ChatResult(generations=[ChatGeneration(message=message)])
