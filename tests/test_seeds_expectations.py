"""The repository's own seeds-story checker: it passes a report that tells DESIGN.md's story
and names what is wrong in reports that break each of the five expectations."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import check_report
from seeds_expectations import assert_seeds_story, seeds_story_failures

Report = dict[str, Any]
SOURCES = {
    "002": ["Vice", "Elon Musk", "Eurasia Group", "Ian Bremmer"],
    "001": ["Ian Bremmer", "Elon Musk", "Vice"],
    "000": ["Elon Musk", "Ian Bremmer"],
    "003": ["Vice", "Business Insider", "Financial Times"],
    "004": ["The New Yorker", "Elon Musk", "Colin Kahl"],
}
OUTLETS = {"002": None, "001": "The US Sun", "000": "The Post Millennial", "003": None,
           "004": "Obozrevatel"}
STANCES = {"002": "supports", "001": "supports", "000": "refutes", "003": "discusses",
           "004": "supports"}


def evidence(*ids: str) -> list[dict[str, str]]:
    return [{"article_id": i, "text": f"A sentence of {i}."} for i in ids]


def good_report() -> Report:
    """A hand-made report of the seeds story as DESIGN.md tells it."""
    ids = list(STANCES)
    return {
        "articles": [
            {"id": i, "story_id": 7, "claim_id": "c1", "stance": STANCES[i], "stance_score": 0.8,
             "outlet": OUTLETS[i], "sources": SOURCES[i]}
            for i in ids
        ],
        "stories": [
            {"id": 7, "claim": "Elon Musk spoke to Putin before posting 'plan to end war'",
             "article_ids": ids, "outlets": ["The US Sun", "The Post Millennial", "Obozrevatel"],
             "sources": sorted({s for names in SOURCES.values() for s in names})}
        ],
        "alerts": [
            {"kind": "new_story", "story_id": 7, "article_id": "002", "contradicts": [],
             "evidence": evidence("002")},
            {"kind": "contradiction", "story_id": 7, "article_id": "000",
             "contradicts": ["001", "002"], "evidence": evidence("000", "001")},
            {"kind": "contradiction", "story_id": 7, "article_id": "004", "contradicts": ["000"],
             "evidence": evidence("004", "000")},
            {"kind": "new_source", "story_id": 7, "article_id": "004", "contradicts": [],
             "new_sources": ["The New Yorker"], "evidence": evidence("004")},
        ],
    }


def article(report: Report, seed: str) -> dict[str, Any]:
    return next(a for a in report["articles"] if a["id"] == seed)


def alert(report: Report, kind: str, seed: str) -> dict[str, Any]:
    return next(a for a in report["alerts"] if a["kind"] == kind and a["article_id"] == seed)


def split_story(r: Report) -> None:
    article(r, "004")["story_id"] = 8
    r["stories"].append({"id": 8, "claim": "Musk and Putin", "article_ids": ["004"],
                         "outlets": [], "sources": []})
    r["stories"][0]["article_ids"].remove("004")


def teaser_story(r: Report) -> None:
    r["stories"].append({"id": 9, "claim": "Cooperation between the Russian Federation and Iran",
                         "article_ids": [], "outlets": [], "sources": []})


def teaser_source(r: Report) -> None:
    r["stories"][0]["sources"].append("Mashovets")


def swapped_stances(r: Report) -> None:
    article(r, "000")["stance"] = "supports"
    article(r, "003")["stance"] = "refutes"


def lost_outlet(r: Report) -> None:
    article(r, "004")["outlet"] = "obozrevatel.com"
    r["stories"][0]["outlets"].remove("Obozrevatel")


def lost_sources(r: Report) -> None:
    for names in (r["stories"][0]["sources"], article(r, "004")["sources"]):
        names.remove("Colin Kahl")


def no_denial_contradiction(r: Report) -> None:
    r["alerts"].remove(alert(r, "contradiction", "000"))


def one_sided_evidence(r: Report) -> None:
    alert(r, "contradiction", "000")["evidence"] = evidence("000")


def contradiction_for_003(r: Report) -> None:
    r["alerts"].append({"kind": "contradiction", "story_id": 7, "article_id": "003",
                        "contradicts": ["000"], "evidence": evidence("003", "000")})


def no_new_yorker(r: Report) -> None:
    r["alerts"].remove(alert(r, "new_source", "004"))


def storm(r: Report) -> None:
    r["alerts"].append({"kind": "contradiction", "story_id": 7, "article_id": "001",
                        "contradicts": ["000"], "evidence": evidence("001", "000")})
    r["alerts"].append(copy.deepcopy(alert(r, "contradiction", "004")))


BREAKAGES: dict[str, tuple[Callable[[Report], None], str]] = {
    "split story": (split_story, "1. the five seeds must join one story"),
    "teaser story": (teaser_story, "1. the seeds alone must form one story"),
    "teaser source": (teaser_source, "1. boilerplate became a source"),
    "swapped stances": (swapped_stances, "2. wrong stances"),
    "lost outlet": (lost_outlet, "3. article 004's outlet"),
    "lost sources": (lost_sources, "3. the story' sources lack Colin Kahl"),
    "no denial contradiction": (no_denial_contradiction, "4. no contradiction alert by 000"),
    "one-sided evidence": (one_sided_evidence, "4. the contradiction for 000 quotes none"),
    "contradiction for 003": (contradiction_for_003, "4. a contradiction alert for 003"),
    "no New Yorker": (no_new_yorker, "4. no new_source alert for The New Yorker"),
    "storm": (storm, "5. contradiction alerts for articles that repeat a position"),
}


def test_the_story_as_designed_passes() -> None:
    report = good_report()
    assert seeds_story_failures(report) == []
    assert seeds_story_failures(report, claim_id="c1") == []
    assert assert_seeds_story(report) == 7


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_report_fails_with_its_reason(name: str) -> None:
    breakage, reason = BREAKAGES[name]
    report = good_report()
    breakage(report)
    failures = seeds_story_failures(report)
    assert any(f.startswith(reason) for f in failures), failures
    with pytest.raises(AssertionError, match="the seeds story fails"):
        assert_seeds_story(report)


def test_the_operator_claim_and_unrelated_articles_are_checked() -> None:
    report = good_report()
    assert seeds_story_failures(report, claim_id="musk-putin-call")[0].startswith(
        "2. every seed must match the operator's claim"
    )
    report["articles"].append({"id": "fnc-1", "story_id": 7, "stance": "discusses",
                               "outlet": None, "sources": []})
    report["stories"][0]["article_ids"].append("fnc-1")
    failures = seeds_story_failures(report, extra_ids=["fnc-1"])
    assert "1. unrelated articles joined the seeds' story: ['fnc-1']" in failures


def test_a_report_without_the_seeds_fails_rather_than_crashing() -> None:
    assert seeds_story_failures({"articles": [], "stories": [], "alerts": []}) == [
        "1. seeds missing from the report's articles: ['002', '001', '000', '003', '004']"
    ]


def test_check_report_fails_a_broken_report_file(tmp_path: Path) -> None:
    report = good_report()
    storm(report)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    with pytest.raises(AssertionError, match="more than one contradiction alert for"):
        check_report(path)
