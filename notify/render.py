"""An alert as a human message: a plain-text and a Markdown rendering.

Pure functions, message in, ``(title, body)`` out. Each message reads on its own: what
happened, the claim, the new report and the reports it contradicts with outlets, times,
stances and evidence, and the link to the story page.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime
from urllib.parse import urlsplit

from notify.payload import AlertView, ArticleView, Digest, Message, NoticeView

# An http(s) URL with nothing a browser would strip or re-read: no space, no control.
HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
EVIDENCE_CHARS = 300
TITLE_CHARS = 120
KIND_LABEL = {
    "contradiction": "Contradiction",
    "new_source": "New source",
    "new_story": "New story",
    "revision": "Revision",
    "feed_broken": "Feed broken",
    "delivery_failing": "Deliveries failing",
}


def render_text(message: Message) -> tuple[str, str]:
    if isinstance(message, Digest):
        bodies = [f"{_label(a)}\n{_alert_text(a)}" for a in message.alerts]
        return _digest_title(message), "\n\n----\n\n".join(bodies)
    if isinstance(message, NoticeView):
        return _title(message), "\n".join([message.summary, *_details(message)])
    return _title(message), _alert_text(message)


def render_markdown(message: Message) -> tuple[str, str]:
    if isinstance(message, Digest):
        bodies = [f"### {_md(_label(a))}\n\n{_alert_markdown(a)}" for a in message.alerts]
        return _digest_title(message), "\n\n---\n\n".join(bodies)
    if isinstance(message, NoticeView):
        details = [f"- {_md(line)}" for line in _details(message)]
        return _title(message), "\n".join([_md(message.summary), "", *details]).rstrip()
    return _title(message), _alert_markdown(message)


def _alert_text(alert: AlertView) -> str:
    lines = [alert.summary, ""]
    if alert.claim_text:
        lines += [f"Claim: {alert.claim_text}", ""]
    lines += ["New report:", *_article_text(alert.article)]
    if alert.contradicts:
        lines += ["", "Contradicts:"]
        for article in alert.contradicts:
            lines += [*_article_text(article), ""]
        lines.pop()
    if alert.new_sources:
        lines += ["", f"New sources: {', '.join(alert.new_sources)}"]
    lines += ["", f"Story: {alert.story_url}"]
    return "\n".join(lines)


def _article_text(article: ArticleView) -> list[str]:
    lines = [f"  {_byline(article)}"]
    if article.title:
        lines.append(f"  “{article.title}”")
    lines += [f"  > {_quote(sentence)}" for sentence in article.evidence]
    if article.url:
        lines.append(f"  {article.url}")
    return lines


def link_target(url: str | None) -> str | None:
    """The URL if it may be rendered as a link (http or https, with a host), else None.

    Article URLs come from feeds and replay files: a ``javascript:`` or ``data:`` URL
    rendered as a link would run in the reader's page or chat client when clicked.
    """
    if not url or not HTTP_URL.fullmatch(url):
        return None
    try:
        return url if urlsplit(url).hostname else None
    except ValueError:
        return None


def _alert_markdown(alert: AlertView) -> str:
    parts = [f"**{_md(alert.summary)}**"]
    if alert.claim_text:
        parts.append(f"**Claim:** {_md(alert.claim_text)}")
    parts.append(f"**New report:** {_article_markdown(alert.article)}")
    if alert.contradicts:
        items = "\n".join(f"- {_article_markdown(a, indent='  ')}" for a in alert.contradicts)
        parts.append(f"**Contradicts:**\n\n{items}")
    if alert.new_sources:
        parts.append(f"**New sources:** {_md(', '.join(alert.new_sources))}")
    parts.append(f"[Open the story]({alert.story_url})")
    return "\n\n".join(parts)


def _article_markdown(article: ArticleView, indent: str = "") -> str:
    head = _md(_byline(article))
    if article.title:
        title = _md(f"“{article.title}”")
        link = link_target(article.url)
        head += f": [{title}]({link})" if link else f": {title}"
    quotes = [f"{indent}> {_md(_quote(sentence))}" for sentence in article.evidence]
    return "\n\n".join([head, *quotes])


def _byline(article: ArticleView) -> str:
    """'Outlet, 2022-10-11 14:03 UTC, supports (0.91)': who, when, which side."""
    parts = [article.outlet or f"article {article.ref}"]
    if article.published_at:
        parts.append(_when(article.published_at))
    if article.stance:
        score = f" ({article.score:.2f})" if article.score is not None else ""
        parts.append(f"{article.stance}{score}")
    return ", ".join(parts)


def _title(message: AlertView | NoticeView) -> str:
    summary = textwrap.shorten(message.summary, TITLE_CHARS, placeholder="…")
    return f"claimwatch {_label(message).lower()}: {summary}"


def _digest_title(digest: Digest) -> str:
    count = len(digest.alerts)
    return f"claimwatch: {count} alert{'s' if count != 1 else ''}"


def _label(message: AlertView | NoticeView) -> str:
    return KIND_LABEL.get(message.kind, message.kind)


def _details(notice: NoticeView) -> list[str]:
    return [f"{key}: {value}" for key, value in notice.details.items() if value is not None]


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def _quote(sentence: str) -> str:
    return textwrap.shorten(sentence, EVIDENCE_CHARS, placeholder=" …")


def _md(text: str) -> str:
    """Escape what Markdown would read as formatting or links."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)
