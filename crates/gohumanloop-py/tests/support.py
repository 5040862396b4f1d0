"""What the adapter scenarios share: the hub's answering API (real HTTP), the web inbox as a
browser uses it, and bounded waits. No framework imports: the LangGraph and the CrewAI
scenarios run in different venvs."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

HUB = os.environ["HUB"]
AGENT_KEY = os.environ["AGENT_KEY"]
APPROVER_KEY = os.environ["APPROVER_KEY"]


def call(method: str, path: str, body: Any = None, key: str = APPROVER_KEY) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        HUB + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def pending(count: int = 1, task: str | None = None, limit: float = 60.0) -> list[dict[str, Any]]:
    """The hub's pending requests once there are ``count`` of them (bounded wait)."""
    query = "/api/v1/requests?status=pending" + (f"&task_id={task}" if task else "")
    until = time.monotonic() + limit
    while True:
        status, reply = call("GET", query)
        assert status == 200, reply
        found = reply["requests"]
        if len(found) >= count or time.monotonic() > until:
            assert len(found) == count, f"expected {count} pending requests, got {found}"
            return sorted(found, key=lambda r: r["created_at"])
        time.sleep(0.05)


def approve(request_id: str, arguments: dict[str, Any] | None = None, reason: str = "ok") -> None:
    body: dict[str, Any] = {"reason": reason}
    if arguments is not None:
        body["arguments"] = arguments
    status, reply = call("POST", f"/api/v1/requests/{request_id}/approve", body)
    assert status == 200, reply


def reject(request_id: str, reason: str) -> None:
    status, reply = call("POST", f"/api/v1/requests/{request_id}/reject", {"reason": reason})
    assert status == 200, reply


def answer(request_id: str, text: str) -> None:
    status, reply = call("POST", f"/api/v1/requests/{request_id}/answer", {"text": text})
    assert status == 200, reply


def reply(request_id: str, text: str, complete: bool = False) -> None:
    status, body = call("POST", f"/api/v1/requests/{request_id}/reply", {"text": text, "complete": complete})
    assert status == 200, body


def ok(name: str) -> None:
    print(f"ok {name}", flush=True)


class Inbox:
    """The web inbox as a person's browser uses it: sign in, open a request, press a button
    (real HTML forms over HTTP, with the session cookie and the page's CSRF token)."""

    def __init__(self, name: str, password: str) -> None:
        import http.cookiejar
        import re

        self._re = re
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self._get("/login")
        self._post("/login", {"name": name, "password": password, "csrf": self._csrf(page)})

    def _get(self, path: str) -> str:
        with self._opener.open(HUB + path, timeout=30) as reply:
            return reply.read().decode()

    def _post(self, path: str, form: dict[str, str]) -> str:
        import urllib.parse

        data = urllib.parse.urlencode(form).encode()
        with self._opener.open(HUB + path, data=data, timeout=30) as reply:
            return reply.read().decode()

    def _csrf(self, page: str) -> str:
        found = self._re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, "the page carries a CSRF token"
        return found.group(1)

    def decide(self, hub_id: str, action: str, **fields: str) -> str:
        """Opens the request's page and submits its ``action`` form with ``fields``."""
        page = self._get(f"/requests/{hub_id}")
        return self._post(f"/requests/{hub_id}/{action}", {"csrf": self._csrf(page), **fields})
