"""Signed webhooks against a real HTTP receiver on loopback, verified independently.

The receiver (also used by the delivery tests) records every request and answers from a
per-path script; signatures are checked with the `standardwebhooks` package, not ours.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ingest.guard import AddressGuard
from notify.webhook import new_secret, parse_retry_after, send_webhook, sign

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# The receivers listen on loopback, which deliveries reach only when an operator allows it.
LOOPBACK = AddressGuard("127.0.0.1/32")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    block: bool = False  # hold the answer until the test releases it


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int

    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver on loopback: records each request, answers from a script per path
    (then 200)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[Received] = []
        self.scripts: dict[str, list[Reply]] = {}
        self.released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    script = receiver.scripts.get(self.path, [])
                    reply = script.pop(0) if script else Reply()
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                            reply.status,
                        )
                    )
                if reply.block:
                    receiver.released.wait(60)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        self.scripts[path] = list(replies)

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def verify(secret: str, request: Received) -> dict:
    """Check a request the way a receiver using the reference library would."""
    return Webhook(secret).verify(request.body, request.headers)


def test_signature_verifies_with_the_reference_implementation(receiver: Receiver) -> None:
    payload = {"version": 1, "type": "alert.contradiction", "data": {"summary": "Vice – “x”"}}
    result = send_webhook(receiver.url("/hook"), payload, "msg_1", [SECRET], 5.0, "test", LOOPBACK)
    assert result.ok and result.status_code == 200
    (request,) = receiver.at("/hook")
    assert request.headers["webhook-id"] == "msg_1"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.headers["webhook-signature"].startswith("v1,")
    assert verify(SECRET, request) == payload
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), request)


def test_rotation_signs_with_every_secret(receiver: Receiver) -> None:
    old, new = SECRET, new_secret()
    send_webhook(receiver.url("/hook"), {"a": 1}, "msg_2", [old, new], 5.0, "test", LOOPBACK)
    (request,) = receiver.at("/hook")
    assert len(request.headers["webhook-signature"].split()) == 2
    assert verify(old, request) == verify(new, request) == {"a": 1}


def test_sign_matches_the_specification_example() -> None:
    # The example of the Standard Webhooks reference implementations.
    body = b'{"test": 2432232314}'
    assert (
        sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_failures_carry_what_the_retry_policy_needs(receiver: Receiver) -> None:
    receiver.script(
        "/busy",
        Reply(429, {"Retry-After": "7"}),
        Reply(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(500, {"Retry-After": "9"}),
        Reply(410),
    )
    url = receiver.url("/busy")
    limited, unavailable, broken, gone = (
        send_webhook(url, {}, f"msg_{i}", [], 5.0, "test", LOOPBACK) for i in range(4)
    )
    assert (limited.ok, limited.status_code, limited.retry_after) == (False, 429, 7.0)
    assert unavailable.retry_after == 0.0  # a date in the past: no wait
    assert broken.retry_after is None and broken.error == "HTTP 500"
    assert gone.gone and not limited.gone
    assert "webhook-signature" not in receiver.at("/busy")[0].headers  # no secret, no signature


def test_an_unreachable_receiver_is_an_error_not_an_exception() -> None:
    result = send_webhook("http://127.0.0.1:9/hook", {}, "msg_x", [], 2.0, "test", LOOPBACK)
    assert not result.ok and result.status_code is None and "ConnectError" in (result.error or "")


def test_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
