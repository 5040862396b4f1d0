"""Decrypts, encrypts and checks Feishu callback signatures with the official Python SDK
(`lark-oapi` from PyPI), for tests/feishu_crypto.rs.

    python reference.py < cases.json

stdin:  {"decrypt":      [{"key", "encrypt"}, ...],
         "encrypt":      [{"key", "plaintext"}, ...],
         "event_verify": [{"key", "timestamp", "nonce", "signature", "body"}, ...],
         "card_verify":  [{"token", "timestamp", "nonce", "signature", "body"}, ...],
         "dispatch":     [{"key", "token", "timestamp", "nonce", "signature", "body"}, ...]}
stdout: {"decrypted": [{"text"} or {"error"}, ...], "encrypted": ["<base64>", ...],
         "event_verified": [null or why, ...], "card_verified": [null or why, ...],
         "dispatched": [{"status", "action", "body"}, ...]}

- decrypt: `lark_oapi.core.utils.AESCipher(key).decrypt_str` (SHA-256 key, IV prefix,
  AES-256-CBC, strict PKCS#7).
- encrypt: lark-oapi has no encryptor, so Feishu's published scheme with the `pycryptodome`
  package lark-oapi itself decrypts with: AES-256-CBC under SHA-256(key), a random IV, PKCS#7,
  base64(iv + ciphertext).
- event_verify / card_verify: the signature checks of lark-oapi's own dispatchers,
  `EventDispatcherHandler._verify_sign` (SHA-256 with the Encrypt Key) and
  `CardActionHandler._verify_sign` (SHA-1 with the Verification Token). Both accept exactly
  when the header equals their `hexdigest()`, so acceptance is equality.
- dispatch: a whole request through `EventDispatcherHandler.do`, as a web framework adapter
  would pass it: decrypt, Verification Token, signature, then a registered
  `card.action.trigger` handler that returns the action's value.

Bodies are text (UTF-8).
"""

import base64
import hashlib
import importlib.metadata
import json
import logging
import os
import sys

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad

from lark_oapi.card.action_handler import CardActionHandler
from lark_oapi.core.const import LARK_REQUEST_NONCE, LARK_REQUEST_SIGNATURE, LARK_REQUEST_TIMESTAMP
from lark_oapi.core.model import RawRequest
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse
from lark_oapi.event.dispatcher_handler import EventDispatcherHandler

# The SDK logs to stdout, which carries the answer here.
_log = logging.getLogger("Lark")
for _h in list(_log.handlers):
    _log.removeHandler(_h)
_log.addHandler(logging.StreamHandler(sys.stderr))
_log.setLevel(logging.CRITICAL)


def request(case):
    req = RawRequest()
    req.uri = "/feishu/callback"
    req.headers = {
        LARK_REQUEST_TIMESTAMP: case["timestamp"],
        LARK_REQUEST_NONCE: case["nonce"],
        LARK_REQUEST_SIGNATURE: case["signature"],
    }
    req.body = case["body"].encode()
    return req


def refusal(call):
    try:
        call()
        return None
    except Exception as e:  # any refusal of the SDK
        return f"{type(e).__name__}: {e}"


def decrypt(case):
    try:
        return {"text": AESCipher(case["key"]).decrypt_str(case["encrypt"])}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


def encrypt(case):
    key = hashlib.sha256(case["key"].encode()).digest()
    iv = os.urandom(16)
    sealed = AES.new(key, AES.MODE_CBC, iv).encrypt(pad(case["plaintext"].encode(), AES.block_size))
    return base64.b64encode(iv + sealed).decode()


def event_verify(case):
    handler = EventDispatcherHandler.builder(case["key"], "").build()
    return refusal(lambda: handler._verify_sign(request(case), case["key"]))


def card_verify(case):
    handler = CardActionHandler.builder("", case["token"]).build()
    return refusal(lambda: handler._verify_sign(request(case)))


def dispatch(case):
    seen = {}

    def on_card(data):
        seen["action"] = data.event.action.value
        return P2CardActionTriggerResponse({"toast": {"type": "success", "content": "ok"}})

    handler = (
        EventDispatcherHandler.builder(case["key"], case["token"])
        .register_p2_card_action_trigger(on_card)
        .build()
    )
    resp = handler.do(request(case))
    return {"status": resp.status_code, "action": seen.get("action"), "body": resp.content.decode()}


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    print(json.dumps({
        "version": importlib.metadata.version("lark-oapi"),
        "decrypted": [decrypt(c) for c in cases.get("decrypt", [])],
        "encrypted": [encrypt(c) for c in cases.get("encrypt", [])],
        "event_verified": [event_verify(c) for c in cases.get("event_verify", [])],
        "card_verified": [card_verify(c) for c in cases.get("card_verify", [])],
        "dispatched": [dispatch(c) for c in cases.get("dispatch", [])],
    }))
