"""``claimwatch replay`` on a JSON Lines file where bad lines sit among good ones.

Each kind of bad line used to reject the whole file (or crash the replay half-way); now
each is reported by line number with a reason, every good line is replayed, and the exit
status (3) says that some lines were not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loopback import PARAGRAPHS, Claimwatch

STORIES = [
    "\n".join(PARAGRAPHS),
    "A heatwave pushed temperatures above forty degrees in Seville for the third day running, "
    "the national weather agency reported on Sunday. Hospitals in Andalusia opened extra "
    "cooling rooms, and the regional health service urged older residents to stay indoors.",
    "The national football federation appointed a new head coach on Thursday after a "
    "disappointing group stage exit. The coach, who led the under-21 side, signed a contract "
    "running until the end of the next world cup qualification campaign, the federation said.",
    "Train drivers ended their week-long strike on Friday after the rail operator agreed to a "
    "pay rise of six percent over two years, the drivers' union said. Regular service is to "
    "resume on Saturday morning on all regional lines, the operator said.",
]
GOOD = {
    "good-1": {"title": "Portvale council approves the harbour bridge", "text": STORIES[0],
               "published_at": "2024-03-01T10:00:00Z"},
    # Characters a database refuses are replaced, not a reason to drop the article.
    "good-nul": {"title": "Seville heatwave\u0000 goes on",
                 "text": STORIES[1].replace("Hospitals", "Hospitals\u0000")},
    "good-surrogate": {"title": "Federation \ud800 names a new coach",
                       "text": STORIES[2] + " \udc00"},
    "good-html": {"html": "<html><body><article><h1>Rail strike ends</h1><p>"
                  + STORIES[3] + "</p></article></body></html>", "published_at": "2024-03-02"},
}
# (line as bytes, reason): sixteen kinds of bad line.
BAD: list[tuple[bytes, str]] = [
    (b'{"id": "t1", "text": "truncated', "invalid_json"),
    (b"not json at all", "invalid_json"),
    (b"[" * 50_000, "invalid_json"),  # nested too deeply for the parser
    (b'{"id": "n", "text": "x", "n": ' + b"9" * 5000 + b"}", "invalid_json"),  # digit limit
    (b'["a", "list"]', "not_an_object"),
    (b'"a string"', "not_an_object"),
    (b'{"text": "no id"}', "bad_id"),
    (b'{"id": true, "text": "x"}', "bad_id"),
    (b'{"id": {"a": 1}, "text": "x"}', "bad_id"),
    (b'{"id": "", "text": "x"}', "bad_id"),
    (b'{"id": "f", "text": ["not", "a", "string"]}', "bad_field"),
    (b'{"id": "e", "outlet": "nothing to read", "text": "  "}', "no_content"),
    (b'{"id": "d1", "text": "x", "published_at": "yesterday"}', "bad_date"),
    (b'{"id": "d2", "text": "x", "published_at": "9999-12-31T23:00:00-05:00"}', "bad_date"),
    (b'{"id": "u", "text": "caf\xe9 latin-1"}', "not_utf8"),
    (b'{"id": "good-1", "text": "the same id again"}', "duplicate_id"),
]


def write_mixed(path: Path) -> dict[int, str]:
    """Good and bad lines interleaved; returns the expected reason per bad line number."""
    good = [json.dumps({"id": k, **v}).encode() for k, v in GOOD.items()]
    lines: list[bytes] = []
    expected: dict[int, str] = {}
    for i, (line, reason) in enumerate(BAD):
        if i % 4 == 0 and good:
            lines.append(good.pop(0))
        lines.append(line)
        expected[len(lines)] = reason
    lines += good
    path.write_bytes(b"\n".join(lines) + b"\n")
    return expected


def test_every_good_line_is_replayed_and_every_bad_one_reported(
    tmp_path: Path, claimwatch_on_both: Claimwatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    source, report_path = tmp_path / "mixed.jsonl", tmp_path / "report.json"
    expected = write_mixed(source)
    assert len(set(expected.values())) == 8 and len(expected) == 16

    assert main(["replay", str(source), "--report", str(report_path)]) == 3
    report = json.loads(report_path.read_text())
    assert {e["line"]: e["reason"] for e in report["errors"]} == expected
    assert all(f"line {e['line']}" in e["message"] for e in report["errors"])
    articles = {a["id"]: a for a in report["articles"]}
    assert set(articles) == set(GOOD)
    assert {a["status"] for a in articles.values()} == {"decided"}, articles
    assert articles["good-nul"]["title"] == "Seville heatwave goes on"
    assert articles["good-surrogate"]["title"] == "Federation \ufffd names a new coach"
    assert {"articles", "stories", "alerts", "errors"} == set(report)
    assert "line 2: invalid JSON" in capsys.readouterr().err

    # Replayed again: the good lines are known, nothing new, the same lines reported.
    assert main(["replay", str(source), "--report", str(report_path)]) == 3
    again = json.loads(report_path.read_text())
    assert [a["id"] for a in again["articles"]] == [a["id"] for a in report["articles"]]
    assert again["errors"] == report["errors"]


def test_an_id_the_database_refuses_is_reported_by_line(
    tmp_path: Path, claimwatch_on_both: Claimwatch
) -> None:
    from cli.main import main
    from config.settings import get_settings
    from storage.db import get_engine

    source, report_path = tmp_path / "long.jsonl", tmp_path / "report.json"
    source.write_text("\n".join(json.dumps(r) for r in [
        {"id": "x" * 3000, "text": "An id longer than its column."},
        {"id": "ok", "title": "Harbour bridge approved", "text": "\n".join(PARAGRAPHS)},
    ]) + "\n")
    postgres = get_engine(get_settings().database_url).dialect.name == "postgresql"
    assert main(["replay", str(source), "--report", str(report_path)]) == (3 if postgres else 0)
    report = json.loads(report_path.read_text())
    assert "ok" in {a["id"] for a in report["articles"]}
    if postgres:  # SQLite does not enforce lengths
        [error] = report["errors"]
        assert (error["line"], error["reason"]) == (1, "storage_error")
        assert "too long" in error["message"]
