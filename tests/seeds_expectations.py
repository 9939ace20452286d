"""The seeds story of DESIGN.md ("The seeds story: the acceptance scenario"), checked on a
`claimwatch replay --report` (or `claimwatch report`) file by the repository itself.

`seeds_story_failures(report)` returns the expectations the report misses, in words; an
empty list means the story holds. It is written from DESIGN.md's five expectations, not
from ../shared/tools/check_seeds_report.py, which the tests run as a second opinion when
../shared is present (conftest.check_report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

# The seeds in published_at order.
SEED_IDS = ["002", "001", "000", "003", "004"]
# 2. Stances toward the story's claim (Musk spoke with Putin before the peace plan).
STANCES = {
    "002": "supports",
    "001": "supports",
    "000": "refutes",
    "003": "discusses",
    "004": "supports",
}
# 3. The outlets the seeds name (002 and 003 do not name theirs).
OUTLETS = {"001": "The US Sun", "000": "The Post Millennial", "004": "Obozrevatel"}
# 3. Cited primary sources, each as alternatives of which the story's sources name one
#    (lower case, matched as a part of a source's name).
CITED_SOURCES = {
    "Vice": ("vice",),
    "Ian Bremmer / Eurasia Group": ("bremmer", "eurasia group"),
    "Musk's own posts": ("musk",),
    "Business Insider": ("business insider",),
    "Financial Times": ("financial times",),
    "The New Yorker": ("new yorker",),
    "Colin Kahl": ("kahl",),
}
# 1. Words of the advertising, subscription boxes and 004's "Other News" teasers (Iran,
#    "feminine energy", the Khalino airfield attack) that must not become a story, a claim
#    or a source of their own.
JUNK = ("iran", "feminine", "khalino", "airfield", "mashovets", "shahed", "telegram", "subscri")
# 4. Contradictions: the denial meets the earlier reports (no later than 000), and 004's
#    new primary source contradicts the denial. Nothing else (5: no storms).
NO_LATER_THAN_DENIAL = ("002", "001", "000")


def seeds_story_failures(
    report: dict[str, Any], claim_id: str | None = None, extra_ids: Iterable[str] = ()
) -> list[str]:
    """The seeds-story expectations that REPORT fails, one sentence each.

    claim_id: the operator's claim defined before the replay, which every seed must match.
    extra_ids: ids of unrelated articles replayed with the seeds, which must stay out.
    """
    failures: list[str] = []
    articles = {a.get("id"): a for a in report.get("articles", [])}
    stories = {s.get("id"): s for s in report.get("stories", [])}
    alerts = report.get("alerts", [])

    # 1. One story.
    missing = [i for i in SEED_IDS if i not in articles]
    if missing:
        return [f"1. seeds missing from the report's articles: {missing}"]
    story_ids = {articles[i].get("story_id") for i in SEED_IDS}
    if len(story_ids) != 1 or None in story_ids:
        by_story = {i: articles[i].get("story_id") for i in SEED_IDS}
        return [f"1. the five seeds must join one story; their stories: {by_story}"]
    story_id = story_ids.pop()
    story = stories.get(story_id)
    if story is None:
        return [f"1. the seeds' story {story_id} is not among the report's stories"]
    extra = set(extra_ids)
    members = set(story.get("article_ids", []))
    if members != set(SEED_IDS):
        failures.append(
            f"1. the seeds' story holds {sorted(members)}, not exactly the five seeds"
        )
    if not extra and len(stories) != 1:
        failures.append(f"1. the seeds alone must form one story, not {len(stories)}")
    if junk := [w for w in JUNK if w in str(story.get("claim") or "").lower()]:
        failures.append(f"1. the story's claim comes from boilerplate: {junk}")
    if stray := sorted(i for i in extra if articles.get(i, {}).get("story_id") == story_id):
        failures.append(f"1. unrelated articles joined the seeds' story: {stray}")

    # 2. Stances toward the story's claim.
    stances = {i: articles[i].get("stance") for i in SEED_IDS}
    if stances != STANCES:
        wrong = {i: f"{stances[i]} (expected {STANCES[i]})" for i in SEED_IDS
                 if stances[i] != STANCES[i]}
        failures.append(f"2. wrong stances: {wrong}")
    if claim_id is not None:
        claims = {i: articles[i].get("claim_id") for i in SEED_IDS}
        if set(claims.values()) != {claim_id}:
            failures.append(f"2. every seed must match the operator's claim {claim_id}: {claims}")
    else:
        claim_text = str(story.get("claim") or "").lower()
        if not ("musk" in claim_text and "putin" in claim_text):
            failures.append(f"2. the story's claim is not Musk speaking with Putin: {claim_text!r}")

    # 3. Outlets and cited sources, per article and per story.
    story_outlets = set(story.get("outlets") or [])
    for seed, outlet in OUTLETS.items():
        if articles[seed].get("outlet") != outlet:
            failures.append(
                f"3. article {seed}'s outlet is {articles[seed].get('outlet')!r}, not {outlet!r}"
            )
        if outlet not in story_outlets:
            failures.append(f"3. the story's outlets lack {outlet!r}: {sorted(story_outlets)}")
    story_sources = [str(s).lower() for s in story.get("sources") or []]
    article_sources = [
        str(s).lower() for i in SEED_IDS for s in articles[i].get("sources") or []
    ]
    for name, alternatives in CITED_SOURCES.items():
        for where, names in (("story", story_sources), ("articles", article_sources)):
            if not any(alt in source for alt in alternatives for source in names):
                failures.append(f"3. the {where}' sources lack {name}")
    for source in set(story_sources) | set(article_sources):
        if junk := [w for w in JUNK if w in source]:
            failures.append(f"1. boilerplate became a source: {source!r}")

    # 4. Alerts.
    ours = [a for a in alerts if a.get("story_id") == story_id]
    contradictions = [a for a in ours if a.get("kind") == "contradiction"]
    by_article = Counter(a.get("article_id") for a in contradictions)
    early = [a for a in contradictions if a.get("article_id") in NO_LATER_THAN_DENIAL]
    if not early:
        failures.append("4. no contradiction alert by 000, when the denial meets earlier reports")
    elif not any(
        {STANCES[a["article_id"]], *(STANCES.get(c) for c in a.get("contradicts", []))}
        >= {"supports", "refutes"}
        for a in early
    ):
        failures.append("4. the contradiction by 000 does not set the denial against the reports")
    if by_article.get("003"):
        failures.append("4. a contradiction alert for 003, which only discusses both accounts")
    latest = [a for a in contradictions if a.get("article_id") == "004"]
    if not latest:
        failures.append("4. no contradiction alert for 004 (The New Yorker against the denial)")
    elif not any("000" in a.get("contradicts", []) for a in latest):
        failures.append(f"4. 004's contradiction does not contradict 000: {latest[0]}")
    for alert in contradictions:
        quoted = {
            e.get("article_id") for e in alert.get("evidence", []) if str(e.get("text", "")).strip()
        }
        if alert.get("article_id") not in quoted:
            failures.append(
                f"4. the contradiction for {alert.get('article_id')} quotes nothing of it"
            )
        if not quoted & set(alert.get("contradicts", [])):
            failures.append(
                f"4. the contradiction for {alert.get('article_id')} quotes none of the articles"
                f" it contradicts ({alert.get('contradicts')})"
            )
    if not any(
        a.get("kind") == "new_source"
        and a.get("article_id") == "004"
        and _names_new_yorker(a)
        for a in ours
    ):
        failures.append("4. no new_source alert for The New Yorker at 004")

    # 5. No alert storms: an article that repeats an established position does not alert.
    allowed = {"000", "004"}  # 001 repeats 002's report; 002 has nothing before it
    if storm := sorted(i for i in by_article if i not in allowed):
        failures.append(f"5. contradiction alerts for articles that repeat a position: {storm}")
    if twice := sorted(i for i, n in by_article.items() if n > 1):
        failures.append(f"5. more than one contradiction alert for {twice}")
    kinds = Counter((a.get("kind"), a.get("article_id")) for a in ours)
    if repeated := sorted(str(k) for k, n in kinds.items() if n > 1):
        failures.append(f"5. the same alert raised more than once: {repeated}")
    if outsiders := sorted({str(a.get("article_id")) for a in ours} - set(SEED_IDS)):
        failures.append(f"5. alerts in the seeds' story for other articles: {outsiders}")
    return failures


def _names_new_yorker(alert: dict[str, Any]) -> bool:
    named = [*(alert.get("new_sources") or []), alert.get("summary") or ""]
    return any("new yorker" in str(n).lower() for n in named)


def assert_seeds_story(
    report: dict[str, Any], claim_id: str | None = None, extra_ids: Iterable[str] = ()
) -> Any:
    """Assert the five expectations; return the seeds' story id."""
    failures = seeds_story_failures(report, claim_id, extra_ids)
    assert not failures, "the seeds story fails:\n" + "\n".join(failures)
    return {a["id"]: a for a in report["articles"]}[SEED_IDS[0]]["story_id"]
