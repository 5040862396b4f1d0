"""A webhook receiver for the hub's tests, checking every event with the reference
implementation of Standard Webhooks (the `standardwebhooks` package), not with the hub's code.

    python receiver.py SECRET FAIL_FIRST      serve on a free loopback port
    python receiver.py --sign SECRET ID TS    print the webhook-signature of stdin's bytes

Serving, it prints {"port": N} first, then one JSON line per POST it received:
{"id", "verified", "type", "status", "answered"}; it answers 503 to the first FAIL_FIRST
POSTs, then 204 to a verified one and 401 to one that is not.
"""

import datetime
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


def serve(secret, fail_first):
    hook = Webhook(secret)
    seen = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = hook.verify(body, headers)
                verified = True
            except Exception:  # any refusal of the reference implementation
                event, verified = json.loads(body or b"null"), False
            seen["count"] += 1
            if seen["count"] <= fail_first:
                answer = 503
            else:
                answer = 204 if verified else 401
            request = (event or {}).get("request") or {}
            print(json.dumps({"id": headers.get("webhook-id"), "verified": verified,
                              "type": (event or {}).get("type"), "status": request.get("status"),
                              "request": request.get("id"), "answered": answer}), flush=True)
            self.send_response(answer)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_port}), flush=True)
    server.serve_forever()


def sign(secret, msg_id, timestamp):
    at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
    print(Webhook(secret).sign(msg_id, at, sys.stdin.buffer.read().decode()))


if __name__ == "__main__":
    if sys.argv[1] == "--sign":
        sign(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        serve(sys.argv[1], int(sys.argv[2]))
