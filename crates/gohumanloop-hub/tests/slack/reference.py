"""Signs and verifies Slack requests with Slack's own SDK (`slack_sdk` from PyPI,
`slack_sdk.signature.SignatureVerifier`), for tests/slack_signature.rs.

    python reference.py < cases.json

stdin:  {"sign":   [{"secret", "timestamp", "body"}, ...],
         "verify": [{"secret", "timestamp", "signature", "body", "now"}, ...]}
stdout: {"version": "...", "signed": ["v0=...", ...], "verified": [true or false, ...]}

`now` (Unix seconds) is the verifier's clock, through the SDK's `clock` parameter. Bodies are
text (UTF-8).
"""

import importlib.metadata
import json
import sys

from slack_sdk.signature import Clock, SignatureVerifier


class FixedClock(Clock):
    def __init__(self, now):
        self._now = now

    def now(self):
        return self._now


def sign(case):
    return SignatureVerifier(case["secret"]).generate_signature(
        timestamp=case["timestamp"], body=case["body"]
    )


def verify(case):
    verifier = SignatureVerifier(case["secret"], clock=FixedClock(case["now"]))
    return verifier.is_valid(body=case["body"], timestamp=case["timestamp"], signature=case["signature"])


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    print(json.dumps({
        "version": importlib.metadata.version("slack_sdk"),
        "signed": [sign(c) for c in cases.get("sign", [])],
        "verified": [verify(c) for c in cases.get("verify", [])],
    }))
