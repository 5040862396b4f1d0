"""Seals and opens WeCom callback messages with an independent implementation (`wechatpy`
from PyPI, its `WeChatCrypto` for WeCom), for tests/wecom_crypto.rs.

    python reference.py < cases.json

stdin:  {"token", "key", "corp_id",
         "seal":  [{"text", "nonce", "timestamp"}, ...],
         "open":  [{"xml", "signature", "timestamp", "nonce"}, ...],
         "check": [{"signature", "timestamp", "nonce", "echostr"}, ...]}
stdout: {"sealed":  [{"xml", "encrypt", "signature", "timestamp", "nonce"}, ...],
         "opened":  [{"ok": text} or {"error": why}, ...],
         "checked": [{"ok": text} or {"error": why}, ...]}

`seal` is `encrypt_message` (a passive reply's XML), `open` is `decrypt_message` (a POSTed
body), `check` is `check_signature` (the URL check's echostr).
"""

import json
import sys
import xml.etree.ElementTree as ET

try:  # wechatpy 2.x
    from wechatpy.work.crypto import WeChatCrypto
except ImportError:  # wechatpy 1.8, which scripts/test.sh installs
    from wechatpy.enterprise.crypto import WeChatCrypto


def seal(crypto, case):
    xml = crypto.encrypt_message(case["text"], case["nonce"], case["timestamp"])
    root = ET.fromstring(xml)
    return {
        "xml": xml,
        "encrypt": root.findtext("Encrypt"),
        "signature": root.findtext("MsgSignature"),
        "timestamp": root.findtext("TimeStamp"),
        "nonce": root.findtext("Nonce"),
    }


def attempt(call):
    try:
        return {"ok": call()}
    except Exception as e:  # any refusal of the reference implementation
        return {"error": f"{type(e).__name__}: {e}"}


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    crypto = WeChatCrypto(cases["token"], cases["key"], cases["corp_id"])
    print(json.dumps({
        "sealed": [seal(crypto, c) for c in cases.get("seal", [])],
        "opened": [
            attempt(lambda c=c: crypto.decrypt_message(
                c["xml"], c["signature"], c["timestamp"], c["nonce"]))
            for c in cases.get("open", [])
        ],
        "checked": [
            attempt(lambda c=c: crypto.check_signature(
                c["signature"], c["timestamp"], c["nonce"], c["echostr"]))
            for c in cases.get("check", [])
        ],
    }))
