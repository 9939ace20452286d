"""The alert rules on plain values: contradictions, storm control, new sources."""

from __future__ import annotations

from analysis.alerts import PastAlert, Report, cites_for_claim, decide_alerts
from analysis.judgments import Stance

CLAIM = "X met Y before the vote"


def report(article_id: int, stance: Stance, sources: set[str] = frozenset(), score=0.9,
           headline_only: bool = True) -> Report:
    return Report(
        article_id,
        stance,
        score,
        [f"evidence {article_id}"],
        f"Outlet {article_id}",
        sources=frozenset(sources),
        claim_sources=frozenset(sources),
        headline_only=headline_only,
    )


def kinds(decisions) -> list[str]:
    return [d.kind for d in decisions]


def test_first_report_opens_a_story() -> None:
    assert kinds(decide_alerts(CLAIM, report(1, Stance.SUPPORTS), [], [])) == ["new_story"]


def test_denial_after_reports_is_a_contradiction_with_evidence_from_both_sides() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"}), report(2, Stance.SUPPORTS, {"A"})]
    [decision] = decide_alerts(CLAIM, report(3, Stance.REFUTES, {"A"}), earlier, [])
    assert decision.kind == "contradiction"
    assert decision.contradicts == [2, 1]
    assert {a for a, _ in decision.evidence} == {1, 2, 3}
    assert "refutes" in decision.summary and "Outlet 2" in decision.summary


def test_a_claim_that_is_a_texts_opening_lines_is_contradicted_by_nothing() -> None:
    # A story opened by a text without a headline: its claim is the text's opening lines.
    earlier = [report(1, Stance.SUPPORTS, headline_only=False)]
    new = report(2, Stance.REFUTES, {"B"}, headline_only=False)
    assert kinds(decide_alerts(CLAIM, new, earlier, [])) == ["contradiction", "new_source"]
    assert kinds(decide_alerts(CLAIM, new, earlier, [], stated=False)) == ["new_source"]


def test_agreeing_and_discussing_reports_raise_no_contradiction() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    assert decide_alerts(CLAIM, report(2, Stance.SUPPORTS, {"A"}), earlier, []) == []
    assert decide_alerts(CLAIM, report(3, Stance.DISCUSSES, {"A"}), earlier, []) == []


def test_low_confidence_refutation_stays_quiet() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    assert decide_alerts(CLAIM, report(2, Stance.REFUTES, {"A"}, score=0.3), earlier, []) == []


def test_repeating_an_alerted_side_does_not_alert_again() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"}), report(2, Stance.REFUTES, {"A"})]
    past = [PastAlert("contradiction", 2, Stance.REFUTES)]
    assert decide_alerts(CLAIM, report(3, Stance.REFUTES, {"A"}), earlier, past) == []


def test_a_doubtful_reports_alert_does_not_silence_a_surer_one() -> None:
    """A report barely sure of its side may be a misreading; a later one surer of that side
    is the better evidence, and alerts in its turn. As sure or less: quiet."""
    earlier = [report(1, Stance.SUPPORTS, {"A"}), report(2, Stance.REFUTES, {"A"}, score=0.6)]
    past = [PastAlert("contradiction", 2, Stance.REFUTES)]
    for score in (0.6, 0.5):
        assert decide_alerts(CLAIM, report(3, Stance.REFUTES, {"A"}, score=score), earlier,
                             past) == []
    [decision] = decide_alerts(CLAIM, report(3, Stance.REFUTES, {"A"}, score=0.95), earlier,
                               past)
    assert decision.kind == "contradiction" and decision.contradicts == [1]


def test_the_other_side_answering_alerts_once_then_stays_quiet() -> None:
    earlier = [
        report(1, Stance.SUPPORTS, {"A"}),
        report(2, Stance.REFUTES, {"A"}),
        report(3, Stance.REFUTES, {"A"}),
    ]
    past = [PastAlert("contradiction", 2, Stance.REFUTES)]
    [decision] = decide_alerts(CLAIM, report(4, Stance.SUPPORTS, {"A"}), earlier, past)
    assert decision.kind == "contradiction" and decision.contradicts == [3, 2]
    earlier.append(report(4, Stance.SUPPORTS, {"A"}))
    past.append(PastAlert("contradiction", 4, Stance.SUPPORTS))
    assert decide_alerts(CLAIM, report(5, Stance.SUPPORTS, {"A"}), earlier, past) == []


def test_one_sure_report_against_another_is_a_contradiction_a_doubtful_one_is_not() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    assert kinds(decide_alerts(CLAIM, report(2, Stance.REFUTES, {"A"}), earlier, [])) == [
        "contradiction"
    ]
    doubtful = [report(1, Stance.SUPPORTS, {"A"}, score=0.55)]
    assert decide_alerts(CLAIM, report(2, Stance.REFUTES, {"A"}), doubtful, []) == []
    decisions = decide_alerts(CLAIM, report(2, Stance.REFUTES, {"A", "B"}), earlier, [])
    assert kinds(decisions) == ["contradiction", "new_source"]


def test_reports_on_the_other_side_add_up() -> None:
    """One report 75% likely to support is not enough against a new report 80% likely to
    refute; with three such reports, one of them almost surely supports."""
    new = report(4, Stance.REFUTES, {"A"}, score=0.8)
    one = [report(1, Stance.SUPPORTS, {"A"}, score=0.75)]
    assert decide_alerts(CLAIM, new, one, []) == []
    three = [report(i, Stance.SUPPORTS, {"A"}, score=0.75) for i in (1, 2, 3)]
    [decision] = decide_alerts(CLAIM, new, three, [])
    assert decision.kind == "contradiction" and decision.contradicts == [3, 2, 1]


def test_a_report_judged_from_its_text_needs_a_likely_conflict_not_a_sure_one() -> None:
    """The body model is rarely as sure of a side as the headline-only one: its threshold is
    its own (`MIN_CONFLICT_BODY`), chosen on its own development data."""
    one = [report(1, Stance.SUPPORTS, {"A"}, score=0.75)]
    from_headline = report(4, Stance.REFUTES, {"A"}, score=0.8)
    assert decide_alerts(CLAIM, from_headline, one, []) == []
    from_text = report(4, Stance.REFUTES, {"A"}, score=0.8, headline_only=False)
    [decision] = decide_alerts(CLAIM, from_text, one, [])
    assert decision.kind == "contradiction" and decision.contradicts == [1]
    doubtful = report(4, Stance.REFUTES, {"A"}, score=0.6, headline_only=False)
    assert decide_alerts(CLAIM, doubtful, one, []) == []


def test_against_a_text_earlier_reports_count_from_their_own_threshold() -> None:
    """Against a new report judged from its text, an earlier report leaning to the other
    side counts from `MIN_OPPOSING_SCORE_BODY`, below the headline rule's
    `MIN_OPPOSING_SCORE`: a leaning report adds to one judged on that side."""
    from analysis.alerts import MIN_OPPOSING_SCORE, MIN_OPPOSING_SCORE_BODY

    leaning_p = (MIN_OPPOSING_SCORE + MIN_OPPOSING_SCORE_BODY) / 2
    judged = Report(1, Stance.SUPPORTS, 0.55, ["e1"], sides={Stance.SUPPORTS: 0.55})
    leaning = Report(2, Stance.DISCUSSES, 0.5, ["e2"],
                     sides={Stance.SUPPORTS: leaning_p, Stance.DISCUSSES: 0.5})
    new = report(3, Stance.REFUTES, score=0.8, headline_only=False)
    # 0.8 x 0.55 falls short of MIN_CONFLICT_BODY; with the leaning report it reaches it.
    assert decide_alerts(CLAIM, new, [judged], []) == []
    [decision] = decide_alerts(CLAIM, new, [judged, leaning], [])
    assert decision.kind == "contradiction" and decision.contradicts == [1, 2]
    # At the headline rule's threshold it would not count.
    assert decide_alerts(CLAIM, new, [judged, leaning], [],
                         min_opposing_body=MIN_OPPOSING_SCORE) == []


def test_only_texts_surely_of_the_story_raise_or_answer_a_contradiction() -> None:
    """A text without a headline that barely joined the story (the matcher's probability
    below `MIN_ON_STORY_BODY_ALONE`) is often of another event with the same people: it
    neither raises a contradiction nor is named in one, though it stays in the story.
    Articles with a headline are held to their own thresholds only."""
    from dataclasses import replace

    from analysis.alerts import MIN_ON_STORY_BODY_ALONE

    sure, barely = MIN_ON_STORY_BODY_ALONE + 0.1, MIN_ON_STORY_BODY_ALONE - 0.1
    supporting = replace(report(1, Stance.SUPPORTS, {"A"}, headline_only=False), on_story=sure)
    refuting = replace(report(2, Stance.REFUTES, {"A"}, headline_only=False), on_story=sure)
    [decision] = decide_alerts(CLAIM, refuting, [supporting], [])
    assert decision.kind == "contradiction" and decision.contradicts == [1]
    assert decide_alerts(CLAIM, replace(refuting, on_story=barely), [supporting], []) == []
    assert decide_alerts(CLAIM, refuting, [replace(supporting, on_story=barely)], []) == []
    # A barely joined report on the same side as a sure one does not hide it.
    also = replace(supporting, article_id=3, on_story=barely)
    [decision] = decide_alerts(CLAIM, refuting, [supporting, also], [])
    assert decision.contradicts == [1]
    # A headline, alone or over a text, is judged by its own thresholds however it matched.
    for headed in (replace(refuting, headline_only=True, on_story=barely),
                   replace(refuting, title="X and Y never met", on_story=barely)):
        [decision] = decide_alerts(CLAIM, headed, [supporting], [])
        assert decision.kind == "contradiction"


def test_the_surest_opposing_reports_are_named_first() -> None:
    sides = {Stance.SUPPORTS: 0.1, Stance.REFUTES: 0.6}
    earlier = [
        report(1, Stance.SUPPORTS, {"A"}, score=0.95),
        Report(2, Stance.DISCUSSES, 0.3, ["e"], sides=sides),  # leans to refuting: not opposing
        report(3, Stance.SUPPORTS, {"A"}, score=0.8),
    ]
    [decision] = decide_alerts(CLAIM, report(4, Stance.REFUTES, {"A"}), earlier, [])
    assert decision.contradicts == [1, 3]


def test_an_alert_names_a_report_judged_on_the_other_side() -> None:
    """Reports judged `discusses` that lean to supporting add to the probability of a
    conflict, but alone they raise nothing: the newsroom is shown a report that supports."""
    leaning = {Stance.SUPPORTS: 0.45, Stance.REFUTES: 0.05, Stance.DISCUSSES: 0.5}
    doubtful = [Report(i, Stance.DISCUSSES, 0.5, [f"e{i}"], sides=leaning) for i in (1, 2, 3, 4)]
    new = report(6, Stance.REFUTES, {"A"}, score=0.95)
    assert "contradiction" not in kinds(decide_alerts(CLAIM, new, doubtful, []))
    supporting = report(5, Stance.SUPPORTS, {"A"}, score=0.6)
    [decision] = decide_alerts(CLAIM, new, [*doubtful, supporting], [])
    assert decision.kind == "contradiction" and decision.contradicts == [5, 4, 3]


def test_a_new_primary_source_reopens_an_answered_side() -> None:
    earlier = [
        report(1, Stance.SUPPORTS, {"A"}),
        report(2, Stance.REFUTES, {"A"}),
        report(3, Stance.SUPPORTS, {"A"}),
    ]
    past = [
        PastAlert("contradiction", 2, Stance.REFUTES),
        PastAlert("contradiction", 3, Stance.SUPPORTS),
    ]  # one refuting report: a position only with a new source
    decisions = decide_alerts(CLAIM, report(4, Stance.SUPPORTS, {"A", "New Source"}), earlier, past)
    assert kinds(decisions) == ["contradiction", "new_source"]
    assert decisions[1].new_sources == ["New Source"]
    assert "New Source" in decisions[0].summary


def test_unrelated_reports_raise_nothing() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    assert decide_alerts(CLAIM, report(2, Stance.UNRELATED, {"B"}), earlier, []) == []


def test_sources_cited_beside_the_claim_raise_new_source_alerts_and_others_do_not() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    side_story = Report(
        2,
        Stance.DISCUSSES,
        0.9,
        ["e"],
        sources=frozenset({"A", "FT"}),
        claim_sources=frozenset({"A"}),
    )
    assert decide_alerts(CLAIM, side_story, earlier, []) == []


def test_a_source_counts_for_the_claim_by_its_sentence_or_the_headline() -> None:
    keys = ["elon musk", "vladimir putin", "twitter"]
    assert cites_for_claim("Colin Kahl", "Kahl says Musk spoke to Putin.", None, keys)
    assert not cites_for_claim("Colin Kahl", "Kahl assures us of it.", None, keys)
    title = "Musk spoke to Putin before his 'peace plan' - The New Yorker"
    assert cites_for_claim("The New Yorker", "The New Yorker made the statement.", title, keys)
    assert not cites_for_claim("Reid Hoffman", "Hoffman said it was clear.", title, keys)
    assert cites_for_claim("Anyone", "Anything.", None, [])
