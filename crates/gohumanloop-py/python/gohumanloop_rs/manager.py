"""The manager and the providers: ask a human through the terminal, the hub (or any server of
the original API) or e-mail, blocking or with ``await``."""

from __future__ import annotations

import json
from typing import Any

from . import _native
from ._types import HumanLoopResult

Provider = _native.Provider


def TerminalProvider(name: str = "terminal") -> Provider:  # noqa: N802 - the original's name
    """Asks on this process's terminal."""
    return _native.Provider.terminal(name)


def APIProvider(  # noqa: N802 - the original's name
    name: str,
    api_base_url: str,
    api_key: str | None = None,
    default_platform: str | None = None,
    request_timeout: float = 30.0,
) -> Provider:
    """A server of the original HTTP API (``ghl serve``): ``http(s)://HOST[:PORT]/api``."""
    return _native.Provider.api(name, api_base_url, api_key, default_platform, request_timeout)


def HubProvider(  # noqa: N802 - the original's name
    name: str = "GoHumanLoop", api_base_url: str | None = None, api_key: str | None = None
) -> Provider:
    """The hub; URL and key default to ``GOHUMANLOOP_API_BASE_URL`` / ``GOHUMANLOOP_API_KEY``."""
    return _native.Provider.hub(name, api_base_url, api_key)


def EmailProvider(  # noqa: N802 - the original's name
    name: str,
    smtp_server: str,
    smtp_port: int,
    imap_server: str,
    imap_port: int,
    username: str | None = None,
    password: str | None = None,
    sender: str | None = None,
    language: str = "zh",
    check_interval: float = 60.0,
    ca_pem: str | None = None,
) -> Provider:
    """Asks by e-mail and reads the replies (IMAP IDLE where the server offers it)."""
    return _native.Provider.email(
        name, smtp_server, smtp_port, imap_server, imap_port,
        username, password, sender, language, check_interval, ca_pem,
    )


def spec(
    loop_type: str,
    context: dict[str, Any] | None = None,
    *,
    metadata: dict[str, Any] | None = None,
    task_id: str | None = None,
    conversation_id: str | None = None,
    request_id: str | None = None,
    timeout: int | None = None,
    provider_id: str | None = None,
) -> str:
    """A request as the native module takes it (JSON text)."""
    return json.dumps(
        {
            "loop_type": loop_type,
            "context": context or {},
            "metadata": metadata or {},
            "task_id": task_id,
            "conversation_id": conversation_id,
            "request_id": request_id,
            "timeout": timeout,
            "provider_id": provider_id,
        }
    )


class Ticket(dict):
    """What identifies an accepted request: ``task_id``, ``conversation_id``, ``request_id``,
    ``provider_id``."""


class Manager:
    """Registers providers and asks through them; every call has an ``a…`` twin to await.

    ``Manager(TerminalProvider())`` is ready to ask; more providers can be registered.
    """

    def __init__(self, *providers: Provider) -> None:
        self._native = _native.Manager()
        for provider in providers:
            self._native.register(provider)

    def register(self, provider: Provider, default: bool = False) -> str:
        """Adds a provider; returns its id."""
        return self._native.register(provider, default)

    @property
    def provider_ids(self) -> list[str]:
        return self._native.provider_ids()

    # Blocking.
    def request(self, loop_type: str, context: dict[str, Any] | None = None, **options: Any) -> Ticket:
        """Asks; returns the ticket at once (``wait`` for the outcome)."""
        return Ticket(json.loads(self._native.request(spec(loop_type, context, **options))))

    def request_and_wait(
        self, loop_type: str, context: dict[str, Any] | None = None, **options: Any
    ) -> HumanLoopResult:
        """Asks and waits for the outcome."""
        return HumanLoopResult.from_json(
            self._native.request_and_wait(spec(loop_type, context, **options))
        )

    def continue_conversation(
        self, conversation_id: str, context: dict[str, Any] | None = None, **options: Any
    ) -> Ticket:
        """The next turn of a conversation; returns its ticket."""
        text = spec("conversation", context, conversation_id=conversation_id, **options)
        return Ticket(json.loads(self._native.continue_conversation(text)))

    def continue_and_wait(
        self, conversation_id: str, context: dict[str, Any] | None = None, **options: Any
    ) -> HumanLoopResult:
        """The next turn of a conversation, waiting for the reply."""
        text = spec("conversation", context, conversation_id=conversation_id, **options)
        return HumanLoopResult.from_json(self._native.continue_and_wait(text))

    def wait(self, conversation_id: str, request_id: str) -> HumanLoopResult:
        """Waits for a request of this manager to leave ``pending``."""
        return HumanLoopResult.from_json(self._native.wait_request(conversation_id, request_id))

    def check_request_status(self, conversation_id: str, request_id: str) -> HumanLoopResult:
        return HumanLoopResult.from_json(
            self._native.check_request_status(conversation_id, request_id)
        )

    def check_conversation_status(self, conversation_id: str) -> HumanLoopResult:
        return HumanLoopResult.from_json(self._native.check_conversation_status(conversation_id))

    def cancel_request(self, conversation_id: str, request_id: str) -> bool:
        return self._native.cancel_request(conversation_id, request_id)

    def cancel_conversation(self, conversation_id: str) -> bool:
        return self._native.cancel_conversation(conversation_id)

    # Async.
    async def arequest(
        self, loop_type: str, context: dict[str, Any] | None = None, **options: Any
    ) -> Ticket:
        return Ticket(json.loads(await self._native.arequest(spec(loop_type, context, **options))))

    async def arequest_and_wait(
        self, loop_type: str, context: dict[str, Any] | None = None, **options: Any
    ) -> HumanLoopResult:
        return HumanLoopResult.from_json(
            await self._native.arequest_and_wait(spec(loop_type, context, **options))
        )

    async def acontinue_conversation(
        self, conversation_id: str, context: dict[str, Any] | None = None, **options: Any
    ) -> Ticket:
        text = spec("conversation", context, conversation_id=conversation_id, **options)
        return Ticket(json.loads(await self._native.acontinue_conversation(text)))

    async def acontinue_and_wait(
        self, conversation_id: str, context: dict[str, Any] | None = None, **options: Any
    ) -> HumanLoopResult:
        text = spec("conversation", context, conversation_id=conversation_id, **options)
        return HumanLoopResult.from_json(await self._native.acontinue_and_wait(text))

    async def await_request(self, conversation_id: str, request_id: str) -> HumanLoopResult:
        """Async ``wait``."""
        return HumanLoopResult.from_json(
            await self._native.await_request(conversation_id, request_id)
        )

    async def acheck_request_status(self, conversation_id: str, request_id: str) -> HumanLoopResult:
        return HumanLoopResult.from_json(
            await self._native.acheck_request_status(conversation_id, request_id)
        )

    async def acheck_conversation_status(self, conversation_id: str) -> HumanLoopResult:
        return HumanLoopResult.from_json(
            await self._native.acheck_conversation_status(conversation_id)
        )

    async def acancel_request(self, conversation_id: str, request_id: str) -> bool:
        return await self._native.acancel_request(conversation_id, request_id)

    async def acancel_conversation(self, conversation_id: str) -> bool:
        return await self._native.acancel_conversation(conversation_id)
