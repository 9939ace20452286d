"""Readable terminal output of a report: one line per article, alerts with evidence."""

from __future__ import annotations

import textwrap
from typing import Any

STANCE_MARK = {"supports": "+", "refutes": "x", "discusses": "~", "unrelated": " "}


def article_line(article: dict[str, Any]) -> str:
    if article["status"] in ("failed", "duplicate"):
        return f"  {article['id']:>6}  {article['status']}: {article.get('error') or ''}"
    mark = STANCE_MARK.get(article["stance"] or "", "?")
    score = f"{article['stance_score']:.2f}" if article["stance_score"] is not None else "    "
    outlet = article["outlet"] or "(outlet unknown)"
    return (
        f"  {article['id']:>6}  story {article['story_id']}  [{mark}] {article['stance']:<9} "
        f"{score}  {outlet}: {article['title'] or ''}"
    )


def alert_block(alert: dict[str, Any]) -> str:
    lines = [f"  ALERT {alert['kind']} on story {alert['story_id']}: {alert['summary']}"]
    for item in alert["evidence"]:
        quote = textwrap.shorten(item["text"], 220, placeholder=" …")
        lines.append(f"      [{item['article_id']}] “{quote}”")
    return "\n".join(lines)


def story_block(story: dict[str, Any], alerts: list[dict[str, Any]]) -> str:
    kinds: dict[str, int] = {}
    for alert in alerts:
        if alert["story_id"] == story["id"]:
            kinds[alert["kind"]] = kinds.get(alert["kind"], 0) + 1
    return "\n".join(
        [
            f"Story {story['id']}: {story['claim']}",
            f"  reports: {', '.join(story['article_ids'])}",
            f"  outlets: {', '.join(story['outlets']) or '-'}",
            f"  sources: {', '.join(story['sources']) or '-'}",
            f"  alerts:  {', '.join(f'{n} {k}' for k, n in kinds.items()) or '-'}",
        ]
    )


def report_summary(report: dict[str, Any], *, min_story_size: int = 1) -> str:
    parts = ["Articles:"]
    parts += [article_line(a) for a in report["articles"]]
    parts.append("")
    parts.append("Alerts:")
    parts += [alert_block(a) for a in report["alerts"] if a["kind"] != "new_story"] or ["  none"]
    parts.append("")
    for story in report["stories"]:
        if len(story["article_ids"]) >= min_story_size:
            parts.append(story_block(story, report["alerts"]))
    return "\n".join(parts)
