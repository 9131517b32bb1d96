"""Schemathesis hooks of `npm run fuzz` (load-tests/fuzz.ts): credentials, msgpack bodies, real data.

Loaded by schemathesis through SCHEMATHESIS_HOOKS=fareledger_hooks (this folder on PYTHONPATH).
Everything it needs is in the JSON file named by FUZZ_CONTEXT, which fuzz.ts writes per run:

    {"mode": "none" | "device" | "wallet" | "auditor" | "admin",
     "device": {"deviceId", "keyId", "secret" (base64url), "operatorId", "mode"},   # device mode
     "bearer": "<token>",                                                            # wallet, auditor, admin
     "refusedPath": "<file>",   # where after_call tallies requests with these credentials answered 401
     "known": {"chains": [...], "treeSizes": {...}, "invoices": [...], "account", "tapIds": [...], "tiles": [...]}}

Only the standard library beside schemathesis: HMAC-SHA256 from hmac/hashlib, msgpack by hand.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import math
import os
import re
import struct
import time
import zlib
from typing import Any

import requests
import schemathesis

with open(os.environ["FUZZ_CONTEXT"], encoding="utf-8") as context_file:
    CONTEXT: dict[str, Any] = json.load(context_file)
MODE: str = CONTEXT["mode"]
KNOWN: dict[str, Any] = CONTEXT.get("known", {})

# ----------------------------------------------------------------------------------------
# Device signatures: FL1-HMAC-SHA256 (docs/security.md), made on the prepared request so that
# they cover the exact body bytes and the exact request target that go on the wire.

SCHEME = "FL1-HMAC-SHA256"


def string_to_sign(method: str, target: str, timestamp_ms: int, body: bytes) -> str:
    return "\n".join([SCHEME, method.upper(), target, str(timestamp_ms), hashlib.sha256(body).hexdigest()])


def authorization(device_id: str, key_id: str, secret: bytes, method: str, target: str, timestamp_ms: int, body: bytes) -> str:
    mac = hmac.new(secret, string_to_sign(method, target, timestamp_ms, body).encode("utf-8"), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
    return f"{SCHEME} Credential={device_id}/{key_id}, Timestamp={timestamp_ms}, Signature={signature}"


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DeviceSigner(requests.auth.AuthBase):
    """Signs every request afresh when requests prepares it: a new timestamp each time, since ingest admits a signature once."""

    def __init__(self, device: dict[str, str]) -> None:
        self.device_id = device["deviceId"]
        self.key_id = device["keyId"]
        self.secret = b64url_decode(device["secret"])
        self.last_timestamp_ms = 0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body
        if body is None:
            body = b""
        elif isinstance(body, str):
            # http.client would send a str body as Latin-1: make the bytes explicit so the digest covers what is sent.
            body = body.encode("utf-8")
            request.body = body
            request.headers["Content-Length"] = str(len(body))
        elif not isinstance(body, bytes):
            raise TypeError(f"cannot sign a streamed body ({type(body).__name__})")
        # Never the same millisecond twice: the same body signed twice in one would be the same signature, refused as a replay.
        timestamp_ms = max(time.time_ns() // 1_000_000, self.last_timestamp_ms + 1)
        self.last_timestamp_ms = timestamp_ms
        request.headers["Authorization"] = authorization(self.device_id, self.key_id, self.secret, request.method or "GET", request.path_url, timestamp_ms, body)
        return request


OWN_CREDENTIAL: str | None = None
if MODE == "device":
    schemathesis.auth.set_from_requests(DeviceSigner(CONTEXT["device"])).apply_to(path="/v1/taps")
    OWN_CREDENTIAL = f"{SCHEME} Credential={CONTEXT['device']['deviceId']}/{CONTEXT['device']['keyId']}, "
elif MODE in ("wallet", "auditor", "admin"):
    BEARER = CONTEXT["bearer"]
    OWN_CREDENTIAL = f"Bearer {BEARER}"

    @schemathesis.auth(refresh_interval=None)
    class BearerToken:
        def get(self, case: Any, ctx: Any) -> str:
            return BEARER

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"


# Requests that carried this run's own credentials and were answered 401: the credentials were
# refused (a signature made wrong, a replay), so what followed tested the door only.
# Schemathesis would only warn; fuzz.ts fails the run for each operation these credentials open.
REFUSED: dict[str, int] = {}


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    if OWN_CREDENTIAL is None or response.status_code != 401:
        return
    sent = response.request.headers.get("Authorization", "")
    if sent == OWN_CREDENTIAL or (MODE == "device" and sent.startswith(OWN_CREDENTIAL)):
        label = f"{case.method.upper()} {case.operation.path}"
        REFUSED[label] = REFUSED.get(label, 0) + 1
        with open(CONTEXT["refusedPath"], "w", encoding="utf-8") as refused_file:
            json.dump(REFUSED, refused_file)

# ----------------------------------------------------------------------------------------
# msgpack request bodies (POST /v1/taps documents application/msgpack beside JSON). A small
# encoder of the JSON data model; an integer beyond 64 bits, which msgpack cannot hold, goes as
# a float64 (the server must then refuse it as it refuses any non-integer).


def msgpack_encode(value: Any) -> bytes:
    out = bytearray()
    _pack(value, out)
    return bytes(out)


# Each integer in its shortest form, as msgpack encoders write it.
_UNSIGNED = ((0xFF, 0xCC, ">B"), (0xFFFF, 0xCD, ">H"), (0xFFFFFFFF, 0xCE, ">I"), (0xFFFFFFFFFFFFFFFF, 0xCF, ">Q"))
_SIGNED = ((2**7, 0xD0, ">b"), (2**15, 0xD1, ">h"), (2**31, 0xD2, ">i"), (2**63, 0xD3, ">q"))


def _pack_int(value: int, out: bytearray) -> None:
    if -32 <= value <= 0x7F:
        out += struct.pack(">b", value) if value < 0 else bytes([value])
        return
    for limit, code, form in _UNSIGNED if value > 0 else _SIGNED:
        if (value <= limit) if value > 0 else (value >= -limit):
            out += bytes([code]) + struct.pack(form, value)
            return
    out += b"\xcb" + struct.pack(">d", float(value) if abs(value) < 2**1023 else (math.inf if value > 0 else -math.inf))


def _pack_length(length: int, fix_base: int | None, fix_max: int, codes: tuple[int, int, int], out: bytearray) -> None:
    if fix_base is not None and length <= fix_max:
        out.append(fix_base | length)
    elif length <= 0xFF and codes[0] != 0:
        out += bytes([codes[0], length])
    elif length <= 0xFFFF:
        out += bytes([codes[1]]) + struct.pack(">H", length)
    else:
        out += bytes([codes[2]]) + struct.pack(">I", length)


def _pack(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xC0)
    elif value is True or value is False:
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, int):
        _pack_int(value, out)
    elif isinstance(value, float):
        out += b"\xcb" + struct.pack(">d", value)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        _pack_length(len(data), 0xA0, 31, (0xD9, 0xDA, 0xDB), out)
        out += data
    elif isinstance(value, (bytes, bytearray)):
        _pack_length(len(value), None, 0, (0xC4, 0xC5, 0xC6), out)
        out += value
    elif isinstance(value, (list, tuple)):
        _pack_length(len(value), 0x90, 15, (0, 0xDC, 0xDD), out)
        for item in value:
            _pack(item, out)
    elif isinstance(value, dict):
        _pack_length(len(value), 0x80, 15, (0, 0xDE, 0xDF), out)
        for key, item in value.items():
            _pack(key, out)
            _pack(item, out)
    else:
        raise TypeError(f"no msgpack encoding for {type(value).__name__}")


@schemathesis.serializer("application/msgpack")
def msgpack_serializer(ctx: Any, value: Any) -> bytes:
    return value if isinstance(value, bytes) else msgpack_encode(value)


# ----------------------------------------------------------------------------------------
# Real data. Random chain numbers, invoice numbers, tap ids and tile paths almost never name
# something that exists, so the routes would only ever answer 404. Half of the well-formed
# values are swapped for ones the trickle of real taps made (chosen by a CRC of the generated
# value, so a case reproduces); malformed values are left alone, as are the other half.

DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


def _digest(generated: Any) -> int:
    return zlib.crc32(repr(generated).encode("utf-8", "surrogatepass"))


def _half(generated: Any) -> bool:
    """True for half of the generated values, the same half every time."""
    return _digest(generated) % 2 == 0


def _pick(generated: Any, choices: list[Any]) -> Any:
    if not choices or not _half(generated):
        return generated
    return choices[(_digest(generated) >> 1) % len(choices)]


def _chain_of(path_parameters: dict[str, Any]) -> str | None:
    chain = path_parameters.get("chain")
    return chain if isinstance(chain, str) and DECIMAL.match(chain) else None


@schemathesis.hook
def map_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    if not path_parameters:
        return path_parameters
    mapped = dict(path_parameters)
    if _chain_of(mapped) is not None:
        mapped["chain"] = str(_pick(mapped["chain"], KNOWN.get("chains", [])))
    if isinstance(mapped.get("number"), str) and re.fullmatch(r"[0-9]{20}", mapped["number"]):
        mapped["number"] = _pick(mapped["number"], KNOWN.get("invoices", []))
    if isinstance(mapped.get("tapId"), str):
        mapped["tapId"] = _pick(mapped["tapId"], KNOWN.get("tapIds", []))
    if isinstance(mapped.get("account"), str):
        mapped["account"] = _pick(mapped["account"], [KNOWN["account"]] if "account" in KNOWN else [])
    if isinstance(mapped.get("path"), str):
        mapped["path"] = _pick(mapped["path"], KNOWN.get("tiles", []))
    if isinstance(mapped.get("size"), str) and DECIMAL.match(mapped["size"]):
        mapped["size"] = str(_pick(mapped["size"], KNOWN.get("sizes", [])))
    return mapped


# A long poll waits for as long as it is asked (up to INVOICE_WAIT_MS_MAX, 30 s) for a trip
# that never comes: bounded here to 1 s so that a run's time follows its case count; waiting
# itself is tested in services/invoice-audit/test.
WAIT_MS_FUZZ_MAX = 1000


@schemathesis.hook
def map_query(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    if not query:
        return query
    mapped = dict(query)
    wait_ms = mapped.get("waitMs")
    if isinstance(wait_ms, int) and not isinstance(wait_ms, bool) and wait_ms > WAIT_MS_FUZZ_MAX:
        mapped["waitMs"] = wait_ms % (WAIT_MS_FUZZ_MAX + 1)
    for name in ("index", "size", "from", "to", "since"):
        value = mapped.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            mapped[name] = _pick(value, KNOWN.get("sizes", []))
    return mapped


# The device door checks who may send a tap before it looks at much else: every tap must name
# the signing device, its operator and mode, and an eventTime within minutes of the server's
# clock. Random taps never do, so half of the well-formed metro taps (the signing device is a
# gate) are made the gate's own, stamped now: those reach the tap log and the batcher.
EVENT_TIME_OFFSET = datetime.timezone(datetime.timedelta(hours=8))


@schemathesis.hook
def map_body(ctx: Any, body: Any) -> Any:
    if MODE != "device":
        return body
    device = CONTEXT["device"]
    taps = body.get("taps") if isinstance(body, dict) and isinstance(body.get("taps"), list) else [body]
    for tap in taps:
        if not (isinstance(tap, dict) and tap.get("mode") == device["mode"] and isinstance(tap.get("deviceId"), str) and _half(tap["deviceId"])):
            continue
        tap["deviceId"] = device["deviceId"]
        if isinstance(tap.get("operatorId"), str):
            tap["operatorId"] = device["operatorId"]
        if isinstance(tap.get("eventTime"), str):
            tap["eventTime"] = datetime.datetime.now(EVENT_TIME_OFFSET).isoformat(timespec="milliseconds")
    return body
