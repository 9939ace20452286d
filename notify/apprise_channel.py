"""Every channel that is not a webhook goes through Apprise (Slack, e-mail, Teams, ...).

A service that renders Markdown (or HTML, which Apprise converts Markdown to) gets the
Markdown rendering; a plain-text one gets the text rendering. Every connection a send
opens goes through the address guard (see notify.guard).

Apprise is imported on first use: it loads its many plugins (~0.2 s), and a process that
never sends or checks a channel (a replay without subscribers) need not pay for it.
"""

from __future__ import annotations

import time

from ingest.errors import FetchError
from ingest.guard import AddressGuard
from notify.guard import check_channel, guarded_sockets
from notify.payload import Message
from notify.render import render_markdown, render_text
from notify.webhook import SendResult


def is_apprise_url(url: str) -> bool:
    import apprise

    return apprise.Apprise.instantiate(url) is not None


def send_apprise(url: str, message: Message, timeout: float, guard: AddressGuard) -> SendResult:
    import apprise

    service = apprise.Apprise.instantiate(url)
    if service is None:
        return SendResult(False, 0, error="not a valid Apprise URL")
    try:
        check_channel(url, guard)  # early and clear; every connection is checked again
    except FetchError as error:
        return SendResult(False, 0, error=str(error)[:300])
    if service.resolve_format(apprise.NotifyFormat.MARKDOWN) == apprise.NotifyFormat.TEXT:
        body_format, (title, body) = apprise.NotifyFormat.TEXT, render_text(message)
    else:
        body_format, (title, body) = apprise.NotifyFormat.MARKDOWN, render_markdown(message)
    channel = apprise.Apprise()
    channel.add(service)
    started = time.monotonic()
    with guarded_sockets(guard) as refusals:
        result = channel.notify(body=body, title=title, body_format=body_format, timeout=timeout)
    duration = int((time.monotonic() - started) * 1000)
    if result:
        return SendResult(True, duration)
    if refusals:
        return SendResult(False, duration, error=refusals[0][:300])
    # Apprise's own log lines name the failure without the URL's tokens.
    messages = [
        entry.message
        for service_result in result
        for attempt in service_result
        for entry in attempt.logs
        if entry.level in ("WARNING", "ERROR")
    ]
    return SendResult(False, duration, error=("; ".join(messages) or "Apprise failed")[:300])
