"""Signs and verifies Standard Webhooks messages with the reference implementation (the
`standardwebhooks` package from PyPI), for tests/webhook_signature.rs.

    python standard.py < cases.json

stdin:  {"sign": [{"secret", "id", "timestamp", "body"}, ...],
         "verify": [{"secret", "headers": {...}, "body"}, ...]}
stdout: {"signed": ["v1,...", ...], "verified": [null or why it was refused, ...]}

Bodies are text (UTF-8). `verify` checks the timestamp against this machine's clock.
"""

import datetime
import json
import sys

from standardwebhooks.webhooks import Webhook


def sign(case):
    at = datetime.datetime.fromtimestamp(case["timestamp"], tz=datetime.timezone.utc)
    return Webhook(case["secret"]).sign(case["id"], at, case["body"])


def verify(case):
    try:
        Webhook(case["secret"]).verify(case["body"].encode(), case["headers"], json_parse=False)
        return None
    except Exception as e:  # any refusal of the reference implementation
        return f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    print(json.dumps({
        "signed": [sign(c) for c in cases.get("sign", [])],
        "verified": [verify(c) for c in cases.get("verify", [])],
    }))
