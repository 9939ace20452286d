"""Archive loading: the seeds manifest folder and JSON Lines files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SEEDS

from ingest.archive import ArchiveArticle, load_archive, read_archive, sort_articles
from ingest.errors import ArchiveError


def test_seeds_manifest() -> None:
    articles = load_archive(SEEDS)
    assert [a.id for a in articles] == ["002", "001", "000", "003", "004"]
    manifest = {a["id"]: a for a in json.loads((SEEDS / "manifest.json").read_text())["articles"]}
    for article in articles:
        entry = manifest[article.id]
        assert article.title == entry["title"]
        assert article.outlet == entry["outlet"]
        assert article.text == (SEEDS / entry["file"]).read_text(encoding="utf-8")
        assert article.html is None and article.url is None
        assert article.published_at is not None and article.published_at.tzinfo is not None
    assert articles[0].published_at == datetime(2022, 10, 11, 14, 0, tzinfo=UTC)
    assert articles[2].outlet == "The Post Millennial"
    assert "Musk" in (articles[2].text or "")
    # The manifest file itself is accepted too.
    assert [a.id for a in load_archive(SEEDS / "manifest.json")] == [a.id for a in articles]


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
                    encoding="utf-8")
    return path


def test_jsonl_order_ties_and_missing_dates(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "z", "text": "undated, first in input"},
        {"id": "a", "text": "A", "published_at": "2024-01-02T00:00:00Z"},
        {"id": "b", "text": "undated, follows a"},
        "",
        {"id": "c", "text": "C", "published_at": "2024-01-01"},
        {"id": "d", "text": "D", "published_at": "2024-01-02T01:00:00+01:00"},  # == a in UTC
        {"id": 7, "html": "<p>seven</p>", "url": "https://x.example/7", "title": "Seven",
         "outlet": "X", "published_at": "2024-01-03T00:00:00"},
    ])
    articles = load_archive(path)
    assert [a.id for a in articles] == ["z", "c", "a", "b", "d", "7"]
    seven = articles[-1]
    assert seven == ArchiveArticle(id="7", url="https://x.example/7", title="Seven", text=None,
                                   html="<p>seven</p>", outlet="X",
                                   published_at=datetime(2024, 1, 3, tzinfo=UTC))
    assert articles[1].published_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert articles[0].published_at is None


def test_sort_is_stable_for_equal_dates() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    items = [ArchiveArticle(str(i), None, None, "t", None, None, when) for i in range(5)]
    assert [a.id for a in sort_articles(items)] == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("lines", "line_no", "reason", "fragment"),
    [
        (['{"id": "1", "text": "ok"}', '{"id": "2", "text": '], 2, "invalid_json", "invalid JSON"),
        (['{"text": "no id"}'], 1, "bad_id", "'id'"),
        (['{"id": "1", "text": "ok"}', "", '{"id": "1", "text": "again"}'], 3, "duplicate_id",
         "duplicate id"),
        (['{"id": "1", "outlet": "nothing to read"}'], 1, "no_content",
         "no text, html, title or url"),
        (['{"id": "1", "text": "x", "published_at": "yesterday"}'], 1, "bad_date",
         "published_at"),
        (['{"id": "1", "text": "x", "published_at": 1700000000}'], 1, "bad_date",
         "published_at"),
        (['{"id": "1", "text": ["not", "a", "string"]}'], 1, "bad_field",
         "'text' must be a string"),
        (['["a", "list"]'], 1, "not_an_object", "JSON object"),
        (['{"id": true, "text": "x"}'], 1, "bad_id", "'id'"),
    ],
)
def test_jsonl_errors_name_the_line(
    tmp_path: Path, lines: list[str], line_no: int, reason: str, fragment: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", list(lines))
    with pytest.raises(ArchiveError) as info:
        load_archive(path)
    assert info.value.reason == reason
    assert info.value.line == line_no
    assert f"line {line_no}" in str(info.value) and fragment in str(info.value)


def test_read_archive_keeps_the_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"id": "a", "text": "A", "published_at": "2024-01-02"}\r\n'
        b'{"id": "b", "text": "caf\xe9"}\n'  # Latin-1, not UTF-8
        b'{"id": "c", "text": "C", "published_at": "2024-01-01"}\n'
        + b"[" * 100_000 + b"\n"
        + b'{"id": "a", "text": "again"}\n'
    )
    archive = read_archive(path)
    assert [(a.id, a.line) for a in archive.articles] == [("c", 3), ("a", 1)]
    assert [(e.line, e.reason) for e in archive.errors] == [
        (2, "not_utf8"), (4, "invalid_json"), (5, "duplicate_id")
    ]
    assert "line 2: not UTF-8 (byte 0xe9 at column 25)" in str(archive.errors[0])


def test_manifest_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not found"):
        load_archive(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"articles": [
        {"id": "1", "file": "../outside.txt", "title": "t"}]}))
    with pytest.raises(ArchiveError, match="outside the archive folder"):
        load_archive(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"articles": [
        {"id": "1", "file": "missing.txt"}]}))
    with pytest.raises(ArchiveError, match=r"cannot read missing\.txt") as info:
        load_archive(tmp_path)
    assert info.value.line == 1
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ArchiveError, match="unreadable manifest"):
        load_archive(tmp_path)
    with pytest.raises(ArchiveError, match="no such archive"):
        load_archive(tmp_path / "nope.jsonl")


def test_manifest_with_html_file(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text("<html><body><p>Hi</p></body></html>", encoding="utf-8")
    (tmp_path / "t.txt").write_text("plain", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"articles": [
        {"id": "h", "file": "p.html", "published_at": "2024-02-01T00:00:00Z"},
        {"id": "t", "file": "t.txt", "url": "https://t.example/", "published_at": "2024-01-01"},
    ]}))
    t, h = load_archive(tmp_path)
    assert (t.id, t.text, t.html, t.url) == ("t", "plain", None, "https://t.example/")
    assert (h.id, h.text, h.html) == ("h", None, "<html><body><p>Hi</p></body></html>")
