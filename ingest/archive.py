"""Article archives for replay and the fake feed.

An archive is either a folder with a ``manifest.json`` (like ``seeds/``: ``{"articles": [{"id",
"file", "title", "outlet", "published_at", "url"?}]}``, each ``file`` holding the captured page
text, or HTML when it ends in ``.html``) or a JSON Lines file with one article per line:
``{"id", "url"?, "title"?, "text"? or "html"?, "outlet"?, "published_at"?}``.

Articles come back in publication order, which is what a replay must reproduce. The order is
a stable sort on ``(published_at or the date of the nearest earlier dated article, input
position)``: ties keep input order and an undated article stays right after the article it
followed in the input. Malformed input raises :class:`ArchiveError` naming the line (JSONL)
or the manifest entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import ArchiveError

__all__ = ["ArchiveArticle", "ArchiveError", "load_archive", "parse_datetime", "sort_articles"]

_MIN_DATE = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ArchiveArticle:
    """One archived article; ``text`` and/or ``html`` carry its content, or, for a
    headline-only feed item, its ``title``; an item with only a ``url`` is fetched."""

    id: str
    url: str | None
    title: str | None
    text: str | None
    html: str | None
    outlet: str | None
    published_at: datetime | None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 date or date-time (``Z`` allowed) as an aware UTC datetime; naive means UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"published_at must be a string, got {type(value).__name__}")
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def sort_articles(articles: Iterable[ArchiveArticle]) -> list[ArchiveArticle]:
    """Publication order; ties and undated articles keep their input position."""
    keyed: list[tuple[datetime, int, ArchiveArticle]] = []
    previous = _MIN_DATE
    for index, article in enumerate(articles):
        if article.published_at is not None:
            previous = article.published_at
        keyed.append((article.published_at or previous, index, article))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [article for _, _, article in keyed]


def load_archive(path: str | Path) -> list[ArchiveArticle]:
    """Load a manifest folder (or its ``manifest.json``) or a JSON Lines file, sorted."""
    p = Path(path)
    if p.is_dir():
        return sort_articles(_load_manifest(p / "manifest.json"))
    if p.name == "manifest.json":
        return sort_articles(_load_manifest(p))
    if p.is_file():
        return sort_articles(_load_jsonl(p))
    raise ArchiveError("bad_archive", f"no such archive: {p}")


def _load_manifest(manifest: Path) -> list[ArchiveArticle]:
    folder = manifest.parent.resolve()
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArchiveError("bad_archive", f"{manifest}: not found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError("bad_archive", f"{manifest}: unreadable manifest: {exc}") from exc
    entries = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ArchiveError("bad_archive", f"{manifest}: expected an 'articles' list")
    articles: list[ArchiveArticle] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        where = f"{manifest}: article {n}"
        if not isinstance(entry, Mapping):
            raise ArchiveError("bad_archive", f"{where}: not an object", line=n)
        text = html = None
        file_name = entry.get("file")
        if file_name is not None:
            if not isinstance(file_name, str) or not file_name:
                raise ArchiveError("bad_archive", f"{where}: 'file' must be a string", line=n)
            file_path = (folder / file_name).resolve()
            if not file_path.is_relative_to(folder):
                raise ArchiveError("bad_archive", f"{where}: file {file_name!r} is outside "
                                   "the archive folder", line=n)
            try:
                content = file_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ArchiveError("bad_archive", f"{where}: cannot read {file_name}: {exc}",
                                   line=n) from exc
            if file_path.suffix.lower() in (".html", ".htm"):
                html = content
            else:
                text = content
        article = _build(dict(entry), where, n, text=text, html=html)
        if article.id in seen:
            raise ArchiveError("bad_archive", f"{where}: duplicate id {article.id!r}", line=n)
        seen.add(article.id)
        articles.append(article)
    return articles


def _load_jsonl(path: Path) -> list[ArchiveArticle]:
    articles: list[ArchiveArticle] = []
    seen: set[str] = set()
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ArchiveError("bad_archive", f"{path}: cannot open: {exc}") from exc
    with handle:
        try:
            for n, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{path}: line {n}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ArchiveError("bad_archive", f"{where}: invalid JSON: {exc.msg}",
                                       line=n) from exc
                if not isinstance(record, dict):
                    raise ArchiveError("bad_archive", f"{where}: expected a JSON object", line=n)
                article = _build(record, where, n)
                if article.id in seen:
                    raise ArchiveError("bad_archive", f"{where}: duplicate id {article.id!r}",
                                       line=n)
                seen.add(article.id)
                articles.append(article)
        except UnicodeDecodeError as exc:
            raise ArchiveError("bad_archive", f"{path}: not UTF-8: {exc}") from exc
    return articles


def _build(
    record: dict[str, Any],
    where: str,
    line: int,
    *,
    text: str | None = None,
    html: str | None = None,
) -> ArchiveArticle:
    """Validate one record; ``text``/``html`` come from a manifest's file when given."""
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or str(raw_id) == "":
        raise ArchiveError("bad_archive", f"{where}: missing or invalid 'id'", line=line)
    fields: dict[str, str | None] = {}
    for key in ("url", "title", "text", "html", "outlet"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise ArchiveError("bad_archive", f"{where}: {key!r} must be a string", line=line)
        fields[key] = value
    text = text if text is not None else fields["text"]
    html = html if html is not None else fields["html"]
    if not any(v and v.strip() for v in (text, html, fields["title"], fields["url"])):
        raise ArchiveError(
            "bad_archive", f"{where}: article {raw_id} has no text, html, title or url", line=line
        )
    try:
        published_at = parse_datetime(record.get("published_at"))
    except ValueError as exc:
        raise ArchiveError("bad_archive", f"{where}: bad published_at: {exc}", line=line) from exc
    return ArchiveArticle(
        id=str(raw_id),
        url=fields["url"],
        title=fields["title"],
        text=text,
        html=html,
        outlet=fields["outlet"],
        published_at=published_at,
    )
