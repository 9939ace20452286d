"""Article archives for replay and the fake feed.

An archive is either a folder with a ``manifest.json`` (like ``seeds/``: ``{"articles": [{"id",
"file", "title", "outlet", "published_at", "url"?}]}``, each ``file`` holding the captured page
text, or HTML when it ends in ``.html``) or a JSON Lines file with one article per line:
``{"id", "url"?, "title"?, "text"? or "html"?, "outlet"?, "published_at"?}``.

Articles come back in publication order, which is what a replay must reproduce. The order is
a stable sort on ``(published_at or the date of the nearest earlier dated article, input
position)``: ties keep input order and an undated article stays right after the article it
followed in the input.

One bad line must not cost the good ones: :func:`read_archive` keeps every readable article
and turns each unreadable line (or manifest entry) into an :class:`ArchiveError` with its
line number and a reason code (``invalid_json``, ``not_utf8``, ``bad_id``, ...); only an
archive that cannot be read at all raises. :func:`load_archive` is the strict form, for
callers that serve an archive whole (the fake feed, the demo).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import ArchiveError

__all__ = [
    "Archive", "ArchiveArticle", "ArchiveError", "load_archive", "parse_datetime", "read_archive",
    "sort_articles",
]

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
    # Its line in a JSON Lines file (its position in a manifest), to point at in reports.
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Archive:
    """An archive's readable articles in publication order, and its unreadable lines."""

    articles: list[ArchiveArticle]
    errors: list[ArchiveError]


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


def read_archive(path: str | Path) -> Archive:
    """Read a manifest folder (or its ``manifest.json``) or a JSON Lines file, keeping every
    readable article; raises :class:`ArchiveError` only when there is no archive to read."""
    p = Path(path)
    if p.is_dir():
        records = _manifest_records(p / "manifest.json")
    elif p.name == "manifest.json":
        records = _manifest_records(p)
    elif p.is_file():
        records = _jsonl_records(p)
    else:
        raise ArchiveError("bad_archive", f"no such archive: {p}")
    articles: list[ArchiveArticle] = []
    errors: list[ArchiveError] = []
    seen: set[str] = set()
    for record in records:
        if isinstance(record, ArchiveArticle) and record.id in seen:
            record = ArchiveError("duplicate_id", f"{p}: line {record.line}: duplicate id "
                                  f"{record.id!r}; the first one is kept", line=record.line)
        if isinstance(record, ArchiveError):
            errors.append(record)
        else:
            seen.add(record.id)
            articles.append(record)
    return Archive(sort_articles(articles), errors)


def load_archive(path: str | Path) -> list[ArchiveArticle]:
    """The articles of a well-formed archive, sorted; its first bad line raises."""
    archive = read_archive(path)
    if archive.errors:
        raise archive.errors[0]
    return archive.articles


def _manifest_records(manifest: Path) -> Iterator[ArchiveArticle | ArchiveError]:
    folder = manifest.parent.resolve()
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArchiveError("bad_archive", f"{manifest}: not found") from exc
    except (OSError, ValueError, RecursionError) as exc:
        raise ArchiveError("bad_archive", f"{manifest}: unreadable manifest: {exc}") from exc
    entries = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ArchiveError("bad_archive", f"{manifest}: expected an 'articles' list")
    for n, entry in enumerate(entries, 1):
        try:
            yield _manifest_entry(entry, folder, f"{manifest}: article {n}", n)
        except ArchiveError as error:
            yield error


def _manifest_entry(entry: Any, folder: Path, where: str, n: int) -> ArchiveArticle:
    if not isinstance(entry, Mapping):
        raise ArchiveError("not_an_object", f"{where}: not an object", line=n)
    text = html = None
    file_name = entry.get("file")
    if file_name is not None:
        if not isinstance(file_name, str) or not file_name:
            raise ArchiveError("bad_field", f"{where}: 'file' must be a string", line=n)
        file_path = (folder / file_name).resolve()
        if not file_path.is_relative_to(folder):
            raise ArchiveError("bad_field", f"{where}: file {file_name!r} is outside "
                               "the archive folder", line=n)
        try:
            content = file_path.read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise ArchiveError("unreadable_file", f"{where}: cannot read {file_name}: {exc}",
                               line=n) from exc
        if file_path.suffix.lower() in (".html", ".htm"):
            html = content
        else:
            text = content
    return _build(dict(entry), where, n, text=text, html=html)


def _jsonl_records(path: Path) -> Iterator[ArchiveArticle | ArchiveError]:
    """One article or error per non-blank line. Lines are decoded one by one, so invalid
    UTF-8 costs its line alone and is reported by line number."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ArchiveError("bad_archive", f"{path}: cannot open: {exc}") from exc
    with handle:
        for n, raw in enumerate(handle, 1):
            where = f"{path}: line {n}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield ArchiveError("not_utf8", f"{where}: not UTF-8 (byte {raw[exc.start]:#04x} "
                                   f"at column {exc.start + 1})", line=n)
                continue
            if n == 1:
                line = line.removeprefix("\ufeff")  # a byte order mark some editors write
            if not line.strip():
                continue
            try:
                yield _build(_json_object(line, where, n), where, n)
            except ArchiveError as error:
                yield error


def _json_object(line: str, where: str, n: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArchiveError("invalid_json", f"{where}: invalid JSON: {exc.msg}", line=n) from exc
    except (ValueError, RecursionError) as exc:  # a number too long to convert, deep nesting
        raise ArchiveError("invalid_json", f"{where}: invalid JSON: {type(exc).__name__}",
                           line=n) from exc
    if not isinstance(record, dict):
        raise ArchiveError("not_an_object", f"{where}: expected a JSON object", line=n)
    return record


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
        raise ArchiveError("bad_id", f"{where}: missing or invalid 'id'", line=line)
    fields: dict[str, str | None] = {}
    for key in ("url", "title", "text", "html", "outlet"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise ArchiveError("bad_field", f"{where}: {key!r} must be a string", line=line)
        fields[key] = value
    text = text if text is not None else fields["text"]
    html = html if html is not None else fields["html"]
    if not any(v and v.strip() for v in (text, html, fields["title"], fields["url"])):
        raise ArchiveError(
            "no_content", f"{where}: article {str(raw_id)!r} has no text, html, title or url",
            line=line,
        )
    try:
        published_at = parse_datetime(record.get("published_at"))
    except (ValueError, OverflowError) as exc:
        raise ArchiveError("bad_date", f"{where}: bad published_at: {exc}", line=line) from exc
    return ArchiveArticle(
        id=str(raw_id),
        url=fields["url"],
        title=fields["title"],
        text=text if text and text.strip() else None,  # a blank text is no text: a headline
        html=html,
        outlet=fields["outlet"],
        published_at=published_at,
        line=line,
    )
