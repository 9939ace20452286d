"""The Atom feed of alerts (``/alerts.atom``), for subscribers who read alerts in a reader.

Written with ElementTree, which escapes every text and attribute; an entry's content is
HTML (escaped once for HTML, once more by the XML writer) holding the summary and the
evidence sentences, the new report's beside the earlier reports' it contradicts. Only
http(s) URLs become links.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import APIRouter, Request, Response

from notify.render import link_target
from web import queries
from web.deps import DB, Base
from web.schemas import AlertOut

ATOM = "http://www.w3.org/2005/Atom"
KIND_TITLES = {
    "contradiction": "Contradiction",
    "new_source": "New source",
    "new_story": "New story",
    "revision": "Revision",
}

router = APIRouter(tags=["alerts"])


@router.get(
    "/alerts.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}, "description": "Atom 1.0"}},
)
def alerts_atom(
    request: Request,
    db: DB,
    base: Base,
    kind: str | None = None,
    story_id: int | None = None,
) -> Response:
    """The latest 50 alerts as an Atom feed, with their evidence."""
    page = queries.alerts(db, base, kind=kind, story_id=story_id, limit=50)
    return Response(
        alerts_feed(page.items, base, str(request.url)), media_type="application/atom+xml"
    )


def alerts_feed(alerts: Sequence[AlertOut], public_url: str, self_url: str) -> bytes:
    """An Atom document for the alerts, newest first."""
    base = public_url.rstrip("/")
    feed = Element("feed", xmlns=ATOM)
    SubElement(feed, "id").text = f"{base}/alerts.atom"
    SubElement(feed, "title").text = "claimwatch alerts"
    SubElement(feed, "subtitle").text = "Contradictions, new sources and new stories as they happen"
    updated = max((a.created_at for a in alerts), default=datetime(1970, 1, 1, tzinfo=UTC))
    SubElement(feed, "updated").text = updated.isoformat()
    SubElement(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    SubElement(feed, "link", rel="alternate", type="text/html", href=f"{base}/alerts")
    SubElement(SubElement(feed, "author"), "name").text = "claimwatch"
    SubElement(feed, "generator").text = "claimwatch"
    for alert in alerts:
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = f"{alert.url}#alert-{alert.id}"
        SubElement(
            entry, "title"
        ).text = f"{KIND_TITLES.get(alert.kind, alert.kind)}: {alert.story_title}"
        SubElement(entry, "updated").text = alert.created_at.isoformat()
        SubElement(entry, "published").text = alert.created_at.isoformat()
        if link := link_target(alert.url):
            SubElement(entry, "link", rel="alternate", type="text/html", href=link)
        SubElement(entry, "category", term=alert.kind, label=KIND_TITLES.get(alert.kind, ""))
        SubElement(entry, "summary").text = alert.summary
        SubElement(entry, "content", type="html").text = _content(alert)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(feed, encoding="unicode").encode()


def _content(alert: AlertOut) -> str:
    parts = [f"<p>{escape(alert.summary)}</p>"]
    if alert.new_sources:
        parts.append(f"<p>New sources: {escape(', '.join(alert.new_sources))}</p>")
    for heading, evidence in (
        ("This report", [e for e in alert.evidence if e.article_id == alert.article_id]),
        ("Earlier reports", [e for e in alert.evidence if e.article_id != alert.article_id]),
    ):
        if evidence:
            parts.append(f"<h4>{heading}</h4>")
            parts.extend(f"<blockquote>{escape(e.text)}</blockquote>" for e in evidence)
    if link := link_target(alert.url):
        parts.append(f'<p><a href="{escape(link)}">Open the story</a></p>')
    return "".join(parts)
