#!/usr/bin/env python3
"""Exhaustion figures for one or more `ghl` binaries, side by side (issue 13's scenarios).

Usage: python3 scripts/bench/exhaustion.py [--only NAME,...] GHL [GHL ...]
  e.g. an older build and this one, to compare them in one run on one machine; NAME is one of
  slow_bodies, huge_length, descriptors, big_replies, big_page, task_sync.

For each binary, on a fresh hub over loopback:
  slow bodies   1,000 sockets send a sign-in form one byte every 5 s; how many are still open
                after 30 s, and the hub's memory
  huge length   a body announced as 99,999,999,999,999 bytes: how long until the hub answers
  descriptors   the hub limited to 1,024 open files, 1,100 idle sockets: does /health answer?
  big replies   300 requests of 1 MB in one conversation: the list reply (limit 300) and one
                request's reply — bytes, time, the hub's peak memory
  big page      a request whose 0.96 MB context is deeply nested arrays, its inbox page viewed
                by four approvers at once — bytes, time, the hub's peak memory
  task sync     `ghl bench --sync-key` of the last binary (which has it) against this hub: 4 uploads of
                20,000 new conversations, then 4 of 2,500, while another tenant creates
"""
import contextlib
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def start_hub(ghl, db, nofile=None):
    cmd = [ghl, "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "error", "--workers", "1"]
    if nofile:
        cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + cmd
    env = dict(os.environ, GHL_MAX_CONNECTIONS_PER_ADDRESS="100000")
    hub = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    for _ in range(200):
        line = hub.stdout.readline()
        found = re.search(r"http://([0-9.]+):(\d+)", line)
        if "listening on" in line and found:
            return hub, (found.group(1), int(found.group(2)))
    raise RuntimeError("the hub did not start")


@contextlib.contextmanager
def hub_running(ghl, db, nofile=None):
    """A hub on `db` for the length of a `with` block: (process, (host, port))."""
    hub, addr = start_hub(ghl, db, nofile)
    try:
        yield hub, addr
    finally:
        hub.kill()
        hub.wait()


def key(ghl, db, tenant):
    out = subprocess.run([ghl, "keys", "create", "--db", db, "--tenant", tenant, "--name", tenant],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def memory(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def open_files(pid):
    """How many files (sockets included) the process holds open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_cap(nofile):
    """The hub's connection cap at an open-file limit (crates/gohumanloop-hub/src/server/limits.rs)."""
    return max(nofile - 256, 16)


def wait_for(what, check, limit=30.0):
    """Polls `check` every 10 ms until it holds; fails naming `what` after `limit` seconds (a
    bound against hangs, not a figure)."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"waited {limit:.0f} s for {what}, in vain")
        time.sleep(0.01)


def create(addr, key, body):
    """POST /api/v1/humanloop/request; fails naming the reply unless it is 200 and success:true."""
    request = urllib.request.Request(f"http://{addr[0]}:{addr[1]}/api/v1/humanloop/request",
                                     data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            status, payload = reply.status, reply.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    if status != 200 or json.loads(payload).get("success") is not True:
        raise RuntimeError(f"create {body['request_id']}: HTTP {status}: {payload[:300]!r}")


def call(addr, method, path, key=None, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{addr[0]}:{addr[1]}{path}", data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            payload = reply.read()
            return reply.status, len(payload), time.monotonic() - started
    except urllib.error.HTTPError as e:
        payload = e.read()
        return e.code, len(payload), time.monotonic() - started


def closed(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True


def slow_bodies(ghl, work):
    db = f"sqlite://{work}/slow.db"
    with hub_running(ghl, db) as (hub, addr):
        socks = []
        for _ in range(1000):
            s = socket.create_connection(addr)
            s.sendall(b"POST /login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\nn")
            socks.append(s)
        started = time.monotonic()
        while time.monotonic() - started < 30:
            time.sleep(5)
            for s in socks:
                try:
                    s.send(b"a")
                except OSError:
                    pass
        still_open = sum(1 for s in socks if not closed(s))
        rss = memory(hub.pid, "VmRSS")
        for s in socks:
            s.close()
        return f"slow bodies: {still_open} of 1000 still open after 30 s; hub RSS {rss:.0f} MiB"


def huge_length(ghl, work):
    db = f"sqlite://{work}/huge.db"
    k = key(ghl, db, "a")
    with hub_running(ghl, db) as (hub, addr):
        s = socket.create_connection(addr)
        s.settimeout(10)
        started = time.monotonic()
        s.sendall(f"POST /api/v1/humanloop/request HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {k}\r\n"
                  "Content-Length: 99999999999999\r\n\r\n".encode())
        try:
            reply = s.recv(200).decode(errors="replace").split("\r\n")[0]
            return f"Content-Length 99999999999999: '{reply}' after {1000 * (time.monotonic() - started):.1f} ms"
        except socket.timeout:
            return "Content-Length 99999999999999: no reply within 10 s"


def descriptors(ghl, work):
    db = f"sqlite://{work}/fd.db"
    with hub_running(ghl, db, nofile=1024) as (hub, addr):
        socks = []
        for _ in range(1100):
            try:
                socks.append(socket.create_connection(addr, timeout=2))
            except OSError:
                break
        # /health is asked once the hub holds the sockets: its open files reach its connection
        # cap (the open-file limit less the 256 it keeps for itself), not after a guessed sleep.
        wait_for(f"the hub to accept {min(len(socks), nofile_cap(1024))} sockets",
                 lambda: open_files(hub.pid) >= min(len(socks), nofile_cap(1024)))
        try:
            status, _, took = call(addr, "GET", "/health", timeout=5)
            health = f"/health {status} in {1000 * took:.1f} ms"
        except Exception as e:  # noqa: BLE001 - any failure is the figure
            health = f"/health failed ({type(e).__name__})"
        for s in socks:
            s.close()
        return f"1,024 open files, {len(socks)} idle sockets: {health}"


def big_replies(ghl, work):
    db = f"sqlite://{work}/big.db"
    k = key(ghl, db, "a")
    with hub_running(ghl, db) as (hub, addr):
        context = {"message": "x" * 1_000_000, "question": "Approve?"}
        for i in range(300):
            body = {"task_id": "t", "conversation_id": "long", "request_id": f"r{i}", "loop_type": "approval",
                    "context": context, "platform": "p", "metadata": {}}
            create(addr, k, body)
        before = memory(hub.pid, "VmHWM")
        status, size, took = call(addr, "GET", "/api/v1/requests?limit=300", k)
        after_list = memory(hub.pid, "VmHWM")
        status2, size2, took2 = call(addr, "GET", "/api/v1/requests/r299", k)
        after_get = memory(hub.pid, "VmHWM")
        return (f"list of 300 × 1 MB: {status}, {size / 1e6:.1f} MB in {took:.2f} s; "
                f"one request of a 300-turn conversation: {status2}, {size2 / 1e6:.1f} MB in {took2:.2f} s; "
                f"hub peak RSS {before:.0f} MiB before, {after_list:.0f} after the list, {after_get:.0f} after the request")


def nested_context(target=960_000):
    """Deeply nested arrays: chains of 120 levels, each around a short string."""
    chain = "[" * 120 + '"x"' + "]" * 120
    chains = ",".join([chain] * (target // (len(chain) + 1)))
    return json.loads("{\"message\": \"nested\", \"data\": [" + chains + "]}")


def signed_in(addr, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://{addr[0]}:{addr[1]}"
    form = opener.open(f"{base}/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"name": name, "password": password, "csrf": csrf}).encode()
    opener.open(f"{base}/login", data=body, timeout=30).read()
    return opener


def big_page(ghl, work):
    db = f"sqlite://{work}/page.db"
    k = key(ghl, db, "a")
    out = subprocess.run([ghl, "users", "create", "--db", db, "--role", "admin", "root"],
                         capture_output=True, text=True, check=True)
    password = out.stdout.strip().splitlines()[-1]
    with hub_running(ghl, db) as (hub, addr):
        body = {"task_id": "t", "conversation_id": "c", "request_id": "nested", "loop_type": "approval",
                "context": nested_context(), "platform": "p", "metadata": {}}
        create(addr, k, body)
        listed = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"http://{addr[0]}:{addr[1]}/api/v1/requests?limit=1",
            headers={"Authorization": f"Bearer {k}"}), timeout=60).read())
        rid = listed["requests"][0]["id"]
        viewers = [signed_in(addr, "root", password) for _ in range(4)]
        before = memory(hub.pid, "VmHWM")
        sizes, times = [], []

        def view(opener):
            started = time.monotonic()
            page = opener.open(f"http://{addr[0]}:{addr[1]}/requests/{rid}", timeout=300).read()
            sizes.append(len(page))
            times.append(time.monotonic() - started)

        threads = [threading.Thread(target=view, args=(v,)) for v in viewers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = memory(hub.pid, "VmHWM")
        return (f"request page of a {len(json.dumps(body['context'])) / 1e6:.2f} MB nested context, 4 viewers "
                f"at once: {max(sizes) / 1e6:.2f} MB of HTML each, slowest {max(times):.2f} s; hub peak RSS "
                f"{before:.0f} MiB before, {after:.0f} after")


def task_sync(ghl, bench_ghl, work):
    lines = []
    for conversations in (20000, 2500):
        db = f"sqlite://{work}/sync{conversations}.db"
        k, other = key(ghl, db, "creates"), key(ghl, db, "uploads")
        with hub_running(ghl, db) as (hub, addr):
            out = subprocess.run([bench_ghl, "bench", "--hub", f"http://{addr[0]}:{addr[1]}", "--key", k,
                                  "--samples", "0", "--waiters", "0", "--inbox-requests", "0",
                                  "--sync-key", other, "--sync-uploads", "4",
                                  "--sync-conversations", str(conversations)],
                                 capture_output=True, text=True, timeout=900)
            lines.append(out.stdout.strip() or out.stderr.strip())
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    only = None
    if args[:1] == ["--only"] and len(args) > 1:
        only, args = set(args[1].split(",")), args[2:]
    if not args:
        sys.exit(__doc__)
    for ghl in args:
        print(f"== {ghl}")
        with tempfile.TemporaryDirectory() as work:
            for scenario in (slow_bodies, huge_length, descriptors, big_replies, big_page):
                if only is None or scenario.__name__ in only:
                    print(scenario(ghl, work), flush=True)
            if only is None or "task_sync" in only:
                print(task_sync(ghl, args[-1], work), flush=True)


if __name__ == "__main__":
    main()
