"""The alert rules on plain values: contradictions, storm control, new sources."""

from __future__ import annotations

from analysis.alerts import PastAlert, Report, decide_alerts
from analysis.judgments import Stance

CLAIM = "X met Y before the vote"


def report(article_id: int, stance: Stance, sources: set[str] = frozenset(), score=0.9) -> Report:
    return Report(
        article_id,
        stance,
        score,
        [f"evidence {article_id}"],
        f"Outlet {article_id}",
        frozenset(sources),
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


def test_the_other_side_answering_alerts_once_then_stays_quiet() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"}), report(2, Stance.REFUTES, {"A"})]
    past = [PastAlert("contradiction", 2, Stance.REFUTES)]
    [decision] = decide_alerts(CLAIM, report(3, Stance.SUPPORTS, {"A"}), earlier, past)
    assert decision.kind == "contradiction" and decision.contradicts == [2]
    earlier.append(report(3, Stance.SUPPORTS, {"A"}))
    past.append(PastAlert("contradiction", 3, Stance.SUPPORTS))
    assert decide_alerts(CLAIM, report(4, Stance.SUPPORTS, {"A"}), earlier, past) == []


def test_a_new_primary_source_reopens_an_answered_side() -> None:
    earlier = [
        report(1, Stance.SUPPORTS, {"A"}),
        report(2, Stance.REFUTES, {"A"}),
        report(3, Stance.SUPPORTS, {"A"}),
    ]
    past = [
        PastAlert("contradiction", 2, Stance.REFUTES),
        PastAlert("contradiction", 3, Stance.SUPPORTS),
    ]
    decisions = decide_alerts(CLAIM, report(4, Stance.SUPPORTS, {"A", "New Source"}), earlier, past)
    assert kinds(decisions) == ["contradiction", "new_source"]
    assert decisions[1].new_sources == ["New Source"]
    assert "New Source" in decisions[0].summary


def test_unrelated_reports_raise_nothing() -> None:
    earlier = [report(1, Stance.SUPPORTS, {"A"})]
    assert decide_alerts(CLAIM, report(2, Stance.UNRELATED, {"B"}), earlier, []) == []
