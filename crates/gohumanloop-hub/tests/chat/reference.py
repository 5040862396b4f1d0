"""The chat platforms' own SDKs, as independent implementations the hub's crypto and signatures
are checked against: reads a JSON list of cases on stdin, writes a JSON list of results.

Cases:
  {"op": "feishu_decrypt", "key", "encrypted"}            lark-oapi's AESCipher → {"plaintext"} or {"error"}
  {"op": "feishu_encrypt", "key", "plaintext", "iv_hex"}  Feishu's scheme with pycryptodome → {"encrypted"}
  {"op": "feishu_verify", "key", "timestamp", "nonce", "signature", "body"}
                                                          lark-oapi's event dispatcher's check → {"valid"}
  {"op": "feishu_sign", "key", "timestamp", "nonce", "body"}  → {"signature"} (hashlib, Feishu's doc)
  {"op": "slack_sign", "secret", "timestamp", "body"}     slack_sdk's SignatureVerifier → {"signature"}
  {"op": "slack_verify", "secret", "timestamp", "signature", "body", "now"}
                                                          slack_sdk's is_valid at `now` → {"valid"}
"""

import base64
import hashlib
import json
import sys

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad
from lark_oapi.core.model import RawRequest
from lark_oapi.core.utils.decryptor import AESCipher
from lark_oapi.event.dispatcher_handler import EventDispatcherHandler
from slack_sdk.signature import SignatureVerifier


class FixedClock:
    def __init__(self, now):
        self.now_value = now

    def now(self):
        return self.now_value


def feishu_valid(case):
    handler = EventDispatcherHandler.builder(case["key"], "").build()
    request = RawRequest()
    request.headers = {
        "X-Lark-Request-Timestamp": case["timestamp"],
        "X-Lark-Request-Nonce": case["nonce"],
        "X-Lark-Signature": case["signature"],
    }
    request.body = case["body"].encode("utf-8")
    try:
        handler._verify_sign(request, case["key"])
        return True
    except Exception:
        return False


def run(case):
    op = case["op"]
    if op == "feishu_decrypt":
        try:
            return {"plaintext": AESCipher(case["key"]).decrypt_str(case["encrypted"])}
        except Exception as e:
            return {"error": type(e).__name__}
    if op == "feishu_encrypt":
        key = hashlib.sha256(case["key"].encode("utf-8")).digest()
        iv = bytes.fromhex(case["iv_hex"])
        sealed = AES.new(key, AES.MODE_CBC, iv).encrypt(pad(case["plaintext"].encode("utf-8"), 16))
        return {"encrypted": base64.b64encode(iv + sealed).decode()}
    if op == "feishu_verify":
        return {"valid": feishu_valid(case)}
    if op == "feishu_sign":
        raw = (case["timestamp"] + case["nonce"] + case["key"]).encode("utf-8") + case["body"].encode("utf-8")
        return {"signature": hashlib.sha256(raw).hexdigest()}
    if op == "slack_sign":
        verifier = SignatureVerifier(case["secret"])
        return {"signature": verifier.generate_signature(timestamp=case["timestamp"], body=case["body"])}
    if op == "slack_verify":
        verifier = SignatureVerifier(case["secret"], clock=FixedClock(case["now"]))
        return {"valid": verifier.is_valid(body=case["body"], timestamp=case["timestamp"],
                                           signature=case["signature"])}
    raise ValueError(op)


print(json.dumps([run(case) for case in json.load(sys.stdin)]))
