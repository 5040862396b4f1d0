"""The manager, the providers and the guards from Python — blocking and ``async`` — against a
real hub (``HUB``, ``AGENT_KEY``, ``APPROVER_KEY``), and the library's errors as Python
exceptions: run as ``python manager_scenarios.py NAME``; prints ``ok NAME``."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, Callable

import support
from gohumanloop_rs import (
    APIProvider,
    BadToken,
    EmailProvider,
    GoHumanLoopError,
    Guard,
    HubProvider,
    Interrupts,
    Manager,
    RequestRejected,
)


def _hub_manager() -> Manager:
    return Manager(HubProvider("hub", f"{support.HUB}/api", support.AGENT_KEY))


def _answer_next(action: Callable[[dict[str, Any]], None]) -> threading.Thread:
    """Answers the next pending request from another thread, as a human would."""
    thread = threading.Thread(target=lambda: action(support.pending(1)[0]))
    thread.start()
    return thread


def manager_blocking_and_async() -> None:
    manager = _hub_manager()
    assert manager.provider_ids == ["hub"], manager.provider_ids
    human = _answer_next(lambda r: support.approve(r["id"], arguments={"rows": 10}, reason="fine"))
    result = manager.request_and_wait(
        "approval",
        {"message": "Delete rows?", "function": {"function_name": "delete", "arguments": {"rows": 100}}},
        timeout=60,
    )
    human.join()
    assert result.status == "approved" and result.edited_arguments == {"rows": 10}, result
    assert result.responded_by == "alice", result

    async def with_await() -> None:
        human = _answer_next(lambda r: support.answer(r["id"], "blue"))
        answered = await manager.arequest_and_wait("information", {"message": "Which colour?"})
        human.join()
        assert answered.status == "completed" and answered.text == "blue", answered

        ticket = await manager.arequest("approval", {"message": "Later, maybe"})
        assert set(ticket) >= {"task_id", "conversation_id", "request_id", "provider_id"}, ticket
        assert (await manager.acheck_request_status(ticket["conversation_id"], ticket["request_id"])).status == "pending"
        assert await manager.acancel_request(ticket["conversation_id"], ticket["request_id"])
        cancelled = await manager.await_request(ticket["conversation_id"], ticket["request_id"])
        assert cancelled.status == "cancelled", cancelled

        # An await given up (asyncio cancels it) stops waiting; the request stays asked.
        left = await manager.arequest("information", {"message": "Nobody answers this"})
        try:
            await asyncio.wait_for(manager.await_request(left["conversation_id"], left["request_id"]), 0.2)
            raise AssertionError("nobody answered, yet the wait ended")
        except asyncio.TimeoutError:
            pass
        still = await manager.acheck_request_status(left["conversation_id"], left["request_id"])
        assert still.status == "pending", still
        assert await manager.acancel_request(left["conversation_id"], left["request_id"])

    asyncio.run(with_await())
    support.ok("manager_blocking_and_async")


def guards_approval_information_conversation() -> None:
    guard = Guard(_hub_manager(), timeout=60)
    ran: list[tuple[str, int]] = []

    @guard.require_approval(message="Pay the supplier?")
    def pay(supplier: str, amount: int) -> str:
        ran.append((supplier, amount))
        return f"paid {supplier} {amount}"

    human = _answer_next(lambda r: support.approve(r["id"], arguments={"amount": 90}))
    assert pay("ACME", 100) == "paid ACME 90"
    human.join()

    human = _answer_next(lambda r: support.reject(r["id"], "not today"))
    try:
        pay("ACME", 5)
        raise AssertionError("a rejected call must not run")
    except RequestRejected as rejected:
        assert "not today" in str(rejected) and "alice" in str(rejected), rejected
    human.join()
    assert ran == [("ACME", 90)], ran

    @guard.require_info("Which region?", ret_key="region")
    async def deploy(version: str, region: str = "") -> str:
        return f"{version} to {region}"

    human = _answer_next(lambda r: support.answer(r["id"], "eu-west"))
    assert asyncio.run(deploy("v2")) == "v2 to eu-west"
    human.join()

    human = _answer_next(lambda r: support.reply(r["id"], "hello agent"))
    first = guard.converse("Hello human", conversation_id="chat-1")
    human.join()
    human = _answer_next(lambda r: support.reply(r["id"], "bye", complete=True))
    second = guard.converse("Anything else?", conversation_id="chat-1")
    human.join()
    assert (first.text, second.text) == ("hello agent", "bye"), (first, second)
    assert second.conversation_id == "chat-1" and second.request_id != first.request_id
    support.ok("guards_approval_information_conversation")


def errors_are_python_exceptions_with_the_rust_message() -> None:
    def raises(kind: type[Exception], call: Callable[[], Any], *words: str) -> None:
        try:
            call()
        except kind as error:
            assert all(w in str(error) for w in words), f"{error!r} lacks {words}"
            return
        raise AssertionError(f"{call} did not raise {kind.__name__}")

    manager = _hub_manager()
    raises(GoHumanLoopError, lambda: manager.request("approval", {"message": "x"}, provider_id="nowhere"), "nowhere")
    raises(GoHumanLoopError, lambda: manager.request("approve-ish", {"message": "x"}), "approve-ish")
    raises(GoHumanLoopError, lambda: APIProvider("bad", "not a url"), "not a url")
    raises(GoHumanLoopError, lambda: EmailProvider("mail", "127.0.0.1", 1, "127.0.0.1", 1), "GOHUMANLOOP_EMAIL_USERNAME")
    # The original's rule, kept: an API provider without a platform files nothing.
    bare = Manager(APIProvider("bare", f"{support.HUB}/api", support.AGENT_KEY))
    failed = bare.request_and_wait("approval", {"message": "x"})
    assert failed.status == "error" and "Platform not specified" in (failed.error or ""), failed
    hub = Interrupts.hub(support.HUB, support.AGENT_KEY)
    raises(BadToken, lambda: hub.resume("not a token"))
    assert issubclass(BadToken, GoHumanLoopError)
    support.ok("errors_are_python_exceptions_with_the_rust_message")


def stubs_match_the_native_module() -> None:
    """Every class and method the ``.pyi`` stubs declare exists in the built module, and every
    public one the module has is declared."""
    import ast
    import pathlib

    from gohumanloop_rs import _native

    stubs = ast.parse((pathlib.Path(_native.__file__).parent / "_native.pyi").read_text())
    declared: dict[str, set[str]] = {}
    for node in stubs.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    for name, methods in declared.items():
        cls = getattr(_native, name)
        missing = {m for m in methods if m != "__init__" and not hasattr(cls, m)}
        assert not missing, f"{name} lacks {missing}"
        if not issubclass(cls, BaseException):
            public = {m for m in vars(cls) if not m.startswith("_")}
            assert public <= methods, f"{name} has undeclared {public - methods}"
    public_types = {n for n in vars(_native) if isinstance(getattr(_native, n), type) and not n.startswith("_")}
    assert public_types == set(declared), (public_types, set(declared))
    support.ok("stubs_match_the_native_module")


if __name__ == "__main__":
    globals()[sys.argv[1]]()
