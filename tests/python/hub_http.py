"""Plain HTTP calls to the hub's answering API, shared by the compatibility scripts."""

import json
import os
import urllib.error
import urllib.request

HUB = os.environ["HUB"]


def call(method, path, key, body=None):
    """One HTTP call to the hub; returns (status, JSON body). Every reply must be JSON."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(HUB + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.headers["Content-Type"].startswith("application/json")
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        assert e.headers["Content-Type"].startswith("application/json")
        return e.code, json.loads(e.read())
