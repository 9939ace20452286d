"""Deliveries cannot reach inside: the address guard refuses subscriptions and deliveries
to loopback, link-local and private addresses unless CLAIMWATCH_ALLOWED_NETWORKS allows
them, and the loopback receivers here count the requests that got through (none).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from loopback import Claimwatch
from test_notify_webhook import Receiver, Reply
from test_web_support import TOKEN, client_for

from cli.main import main
from ingest.guard import AddressGuard
from notify.apprise_channel import send_apprise
from notify.guard import guarded_sockets
from notify.payload import NoticeView
from notify.subscribing import SubscriptionError, new_subscriber
from storage.db import session_scope
from storage.subscriptions import Delivery, DeliveryAttempt, Notice, Subscriber

REFUSED = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:22/",
    "https://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://localhost:8080/hook",
    "json://127.0.0.1:8080/hook",
    "xml://169.254.169.254/",
    "form://[::1]/hook",
    "ntfy://10.0.0.1/topic",
    "mailtos://user:pw@mail.example.org:587?smtp=10.0.0.5&to=desk@example.org",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_subscription_to_an_inside_address_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(SubscriptionError, match="deliveries cannot go there: refused address"):
        new_subscriber(url, guard=AddressGuard())


def test_the_allow_list_and_services_without_a_host_are_accepted() -> None:
    loopback = AddressGuard("127.0.0.1/32")
    assert new_subscriber("http://127.0.0.1:9/hook", guard=loopback).channel == "webhook"
    assert new_subscriber("json://127.0.0.1:9/hook", guard=loopback).channel == "apprise"
    # Tokens, not a host; ${VAR} stands for tokens read when sending.
    assert new_subscriber("slack://${A}/${B}/${C}/#desk", guard=AddressGuard()).channel == (
        "apprise"
    )
    # A name that does not resolve from here is checked at every delivery instead.
    assert new_subscriber("https://hooks.invalid/x", guard=AddressGuard()).channel == "webhook"


@pytest.fixture
def no_allow_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from config.settings import get_settings

    monkeypatch.delenv("CLAIMWATCH_ALLOWED_NETWORKS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("no_allow_list")
def test_the_api_the_pages_and_the_cli_refuse_inside_addresses(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with client_for(f"sqlite:///{tmp_path / 'web.sqlite'}") as operator:
        for url in ("http://169.254.169.254/", "http://127.0.0.1:6379/", "http://[::1]:22/"):
            answer = operator.post("/api/subscriptions", json={"channel_url": url}, headers=auth)
            assert answer.status_code == 400, answer.text
            assert "refused address" in answer.json()["detail"]
        assert operator.get("/api/subscriptions", headers=auth).json()["total"] == 0

    assert main(["subscribe", "json://169.254.169.254/latest"]) == 2
    assert "169.254.169.254 is link-local" in capsys.readouterr().err


def store_without_checks(urls: list[str]) -> list[int]:
    """Subscriptions written straight to the database, as if an allow-list had let them
    through when they were made, each with one operational notice to deliver."""
    from tasks.context import engine

    with session_scope(engine()) as session:
        notice = Notice(key="feed_broken:1:x", kind="feed_broken", summary="Feed 1 is broken")
        session.add(notice)
        session.flush()
        ids = []
        for url in urls:
            channel = "webhook" if url.startswith("http") else "apprise"
            subscriber = Subscriber(channel_url=url, channel=channel, kinds=["feed_broken"])
            session.add(subscriber)
            session.flush()
            delivery = Delivery(subscriber_id=subscriber.id, notice_id=notice.id)  # type: ignore[arg-type]
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    return ids  # type: ignore[return-value]


def deliver_all(ids: list[int]) -> None:
    from tasks.deliver import deliver

    for delivery_id in ids:
        deliver.apply((delivery_id,))


def test_no_delivery_reaches_a_loopback_listener_without_the_allow_list(
    claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMWATCH_DELIVERY_BACKOFF_SECONDS", "0")  # retries due at once
    with Receiver() as receiver:
        urls = [
            receiver.url("/hook"),
            f"http://localhost:{receiver.port}/hook",
            f"http://[::ffff:127.0.0.1]:{receiver.port}/hook",
            f"json://127.0.0.1:{receiver.port}/apprise",
            f"json://localhost:{receiver.port}/apprise",
            f"form://127.0.0.1:{receiver.port}/apprise",
        ]
        ids = store_without_checks(urls)
        monkeypatch.delenv("CLAIMWATCH_ALLOWED_NETWORKS")
        claimwatch.reset()
        deliver_all(ids)
        assert receiver.requests == []
        attempts = claimwatch.rows(DeliveryAttempt)
        assert len(attempts) == len(urls)
        assert all("refused address" in (a.error or "") for a in attempts), [
            a.error for a in attempts
        ]
        assert all(d.status == "pending" for d in claimwatch.rows(Delivery))

        # The same deliveries with the allow-list back: the receiver gets every one.
        monkeypatch.setenv("CLAIMWATCH_ALLOWED_NETWORKS", "127.0.0.1/32")
        claimwatch.reset()
        deliver_all(ids)
        assert len(receiver.requests) == len(urls)
        assert all(d.status == "sent" for d in claimwatch.rows(Delivery))


@pytest.fixture
def inside() -> Iterator[Receiver]:
    """A listener on 127.0.0.2: loopback, and outside the allow-list of these tests."""
    with Receiver(host="127.0.0.2") as receiver:
        yield receiver


def test_a_redirect_inside_is_refused_when_its_connection_opens(inside: Receiver) -> None:
    """Apprise follows redirects: the URL's own host is allowed, the hop it redirects to is
    refused by the connection guard, not by the check of the URL."""
    guard = AddressGuard("127.0.0.1/32")
    notice = NoticeView(1, "feed_broken", "Feed 1 is broken", datetime.now(UTC))
    with Receiver() as allowed:
        allowed.script("/apprise", Reply(307, {"Location": inside.url("/metadata")}))
        result = send_apprise(f"json://127.0.0.1:{allowed.port}/apprise", notice, 5, guard)
        assert len(allowed.at("/apprise")) == 1
    assert not result.ok and "127.0.0.2 is loopback" in (result.error or "")
    assert inside.requests == []


def test_every_connection_in_a_delivery_is_guarded_and_none_outside(inside: Receiver) -> None:
    with guarded_sockets(AddressGuard("127.0.0.1/32")) as refusals:
        with pytest.raises(requests.ConnectionError):
            requests.post(inside.url("/metadata"), timeout=5)
        with pytest.raises(OSError):
            smtplib.SMTP("127.0.0.2", inside.port, timeout=5)
    assert len(refusals) == 2 and all("127.0.0.2 is loopback" in r for r in refusals)
    assert inside.requests == []
    requests.post(inside.url("/outside"), timeout=5)  # not a delivery: left alone
    assert len(inside.at("/outside")) == 1
