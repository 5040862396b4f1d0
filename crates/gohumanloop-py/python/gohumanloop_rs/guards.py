"""Guards around ordinary functions (sync or async): run only once a human approved (with the
arguments as they edited them), ask for information first, or hold a conversation — waiting
in the process, through a :class:`~gohumanloop_rs.Manager`. (In LangGraph, use the durable
decorators of ``gohumanloop_rs.langgraph`` instead: they pause the graph, not the process.)"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ._types import HumanLoopResult, answered_or_raise, ended, shown
from .manager import Manager


class Guard:
    """Decorators that ask through ``manager`` (``provider_id`` picks a provider)."""

    def __init__(self, manager: Manager, provider_id: str | None = None, timeout: int | None = None) -> None:
        self.manager = manager
        self.provider_id = provider_id
        self.timeout = timeout

    def _options(self, metadata: dict[str, Any] | None) -> dict[str, Any]:
        return {"provider_id": self.provider_id, "timeout": self.timeout, "metadata": metadata}

    def require_approval(
        self, message: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """The function runs only once approved, with the approver's edited arguments; a
        rejection or an expired request raises ``RequestRejected`` / ``RequestExpired``."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            signature = inspect.signature(fn)

            def context(bound: inspect.BoundArguments) -> dict[str, Any]:
                arguments = {k: shown(v) for k, v in bound.arguments.items()}
                return {
                    "message": message or f"Allow `{fn.__name__}` to run?",
                    "question": f"Approve the call of `{fn.__name__}`?",
                    "function": {"function_name": fn.__name__, "arguments": arguments},
                }

            def apply(bound: inspect.BoundArguments, result: HumanLoopResult) -> inspect.BoundArguments:
                if result.status != "approved":
                    raise ended(result)
                edited = result.edited_arguments or {}
                unknown = set(edited) - set(signature.parameters)
                if unknown:
                    raise TypeError(f"the approver edited arguments `{fn.__name__}` does not take: {sorted(unknown)}")
                bound.arguments.update(edited)
                return bound

            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def run_async(*args: Any, **kwargs: Any) -> Any:
                    bound = signature.bind(*args, **kwargs)
                    bound.apply_defaults()
                    result = await self.manager.arequest_and_wait(
                        "approval", context(bound), **self._options(metadata)
                    )
                    bound = apply(bound, result)
                    return await fn(*bound.args, **bound.kwargs)

                return run_async

            @functools.wraps(fn)
            def run(*args: Any, **kwargs: Any) -> Any:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                result = self.manager.request_and_wait("approval", context(bound), **self._options(metadata))
                bound = apply(bound, result)
                return fn(*bound.args, **bound.kwargs)

            return run

        return decorate

    def require_info(
        self, question: str, ret_key: str = "info", metadata: dict[str, Any] | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Asks ``question`` first and passes the answer's text as the keyword ``ret_key``."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            context = {"message": question, "question": question}

            def text(result: HumanLoopResult) -> str:
                return answered_or_raise(result).text

            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def run_async(*args: Any, **kwargs: Any) -> Any:
                    result = await self.manager.arequest_and_wait("information", context, **self._options(metadata))
                    return await fn(*args, **{**kwargs, ret_key: text(result)})

                return run_async

            @functools.wraps(fn)
            def run(*args: Any, **kwargs: Any) -> Any:
                result = self.manager.request_and_wait("information", context, **self._options(metadata))
                return fn(*args, **{**kwargs, ret_key: text(result)})

            return run

        return decorate

    def converse(
        self, message: str, conversation_id: str | None = None, metadata: dict[str, Any] | None = None
    ) -> HumanLoopResult:
        """One turn of a conversation (the first when ``conversation_id`` is new or ``None``):
        says ``message`` and waits for the reply."""
        context = {"message": message, "question": message}
        if conversation_id is not None and conversation_id in self._open:
            result = self.manager.continue_and_wait(conversation_id, context, **self._options(metadata))
        else:
            result = self.manager.request_and_wait(
                "conversation", context, conversation_id=conversation_id, **self._options(metadata)
            )
        self._open.add(result.conversation_id)
        return answered_or_raise(result)

    @functools.cached_property
    def _open(self) -> set[str]:
        return set()
