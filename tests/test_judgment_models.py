"""The judgment models a newsroom can reproduce and score: `eval pairs`, `train headline`,
`train matcher`, and what the headline model reads in a headline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED

from analysis.judgments import Stance
from analysis.stance import StanceEngine

EMERGENT = SHARED / "emergent" / "emergent_dev.jsonl"
CLAIM = "A zoo in Denmark released a lion into the city"


def claimwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=600,
    )


@pytest.mark.integration  # the CLI as a process
def test_eval_pairs_scores_labelled_pairs(tmp_path: Path) -> None:
    rows = [
        {"claim": CLAIM, "title": "Zoo releases lion into city streets", "stance": "supports"},
        {"claim": CLAIM, "title": "Lion release story is a hoax, zoo says", "stance": "refutes"},
        {"claim": CLAIM, "title": "Did a zoo really release a lion?", "stance": "discusses"},
        {"claim": CLAIM, "text": "Stock markets closed higher on Friday after a quiet week of "
         "trading in Asia and Europe.", "stance": "unrelated"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = claimwatch("eval", "pairs", str(path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"accuracy", "f1_macro", "per_class", "confusion"}
    assert sum(sum(row.values()) for row in result["confusion"].values()) == 4
    assert 0.0 <= result["f1_macro"] <= 1.0 and result["accuracy"] >= 0.5
    assert set(result["per_class"]["supports"]) == {"precision", "recall", "f1"}
    readable = claimwatch("eval", "pairs", str(path))
    assert "macro-F1" in readable.stdout and "confusion" in readable.stdout


@pytest.mark.integration
def test_eval_pairs_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"claim": CLAIM, "title": "t", "stance": "supports"}) + "\n"
                    + json.dumps({"claim": CLAIM, "title": "t", "stance": "agrees"}) + "\n")
    done = claimwatch("eval", "pairs", str(path))
    assert done.returncode == 2 and "line 2" in done.stderr


def test_headline_model_reads_hedges_denials_and_assertions() -> None:
    engine = StanceEngine.load()
    assert engine.headline_model is not None
    judged = engine.judge_many([
        (CLAIM, "Zoo releases lion into city, police confirm", ""),
        (CLAIM, "Lion release was a hoax: no lion ever left the zoo", ""),
        (CLAIM, "Did a Danish zoo release a lion into the city?", ""),
    ])
    assert [j.stance for j in judged] == [Stance.SUPPORTS, Stance.REFUTES, Stance.DISCUSSES]


def test_an_articles_headline_about_the_claim_carries_its_stance() -> None:
    """The same text under three headlines about the claim takes each headline's side; under
    a headline about something else it keeps the text's own reading."""
    engine = StanceEngine.load()
    body = ("A lion was seen in the streets of Aarhus on Tuesday, according to posts on "
            "social media. The city's zoo said it was checking its enclosures. Police asked "
            "residents to stay indoors while officers searched the area.")
    titles = ["Zoo releases lion into city, police confirm",
              "Lion release was a hoax: no lion ever left the zoo",
              "Did a Danish zoo release a lion into the city?"]
    judged = engine.judge_many([(CLAIM, title, body) for title in titles])
    assert [j.stance for j in judged] == [Stance.SUPPORTS, Stance.REFUTES, Stance.DISCUSSES]
    # A question asks, whether or not the claim it asks about is worded as a denial.
    denial = "The zoo in Denmark did not release a lion into the city"
    assert engine.judge(denial, titles[2], body).stance is Stance.DISCUSSES
    aside = engine.judge(CLAIM, "Aarhus weather: sunny spells ahead", body)
    assert aside.probabilities == engine.judge_many([(CLAIM, "", "Aarhus weather: sunny "
                                                     "spells ahead\n" + body)])[0].probabilities


@pytest.mark.skipif(not EMERGENT.exists(), reason=f"needs Emergent development data at {EMERGENT}")
@pytest.mark.parametrize(
    ("command", "shipped"),
    [
        (["train", "headline"], ROOT / "analysis/stance/model/headline.json"),
        (["train", "matcher"], ROOT / "analysis/matching_model.json"),
    ],
)
@pytest.mark.integration
def test_training_reproduces_the_shipped_model(
    tmp_path: Path, command: list[str], shipped: Path
) -> None:
    if not (SHARED / "fnc1").exists():
        fnc1 = SHARED / "fnc1"
        pytest.skip(f"needs FNC-1 training data at {fnc1} (train_bodies.csv, train_stances.csv)")
    out = tmp_path / shipped.name
    done = claimwatch(*command, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == json.loads(shipped.read_text())


@pytest.mark.skipif(not (SHARED / "fnc1").exists(),
                    reason=f"needs FNC-1 training data at {SHARED / 'fnc1'}")
def test_development_streams_know_which_unrelated_reports_are_one_story() -> None:
    from analysis.matching_data import few_claims_stream, fnc_claim_stream

    titled = fnc_claim_stream(SHARED / "fnc1", side="fit", titled=1.0, near_misses=0.5)
    unrelated = [i for i in titled.items if titled.gold_claim[i["id"]] is None]
    stories = [titled.gold_story[i["id"]] for i in unrelated]
    # Unrelated bodies come from fewer stories than there are bodies, and each names its
    # story, so two reports of one event joining each other is right, not a false match.
    assert all(s.startswith("story-") for s in stories)
    assert len(set(stories)) < len(stories)
    # A titled stream's unrelated articles carry headlines too, as fetched articles do.
    assert sum(1 for i in unrelated if i.get("title")) > 0.9 * len(unrelated)
    # A body stream's items stay bodies alone.
    plain = fnc_claim_stream(SHARED / "fnc1", side="fit", near_misses=0.5)
    assert not any(i.get("title") for i in plain.items)
    few = few_claims_stream(SHARED / "fnc1", side="fit", seed=10)
    assert len(few.claims) == 2 and all(i.get("title") for i in few.items)


@pytest.mark.skipif(not (SHARED / "fnc1").exists(),
                    reason=f"needs FNC-1 training data at {SHARED / 'fnc1'}")
def test_agreeing_titles_are_headlines_the_body_agrees_with() -> None:
    from analysis.matching_data import Stream, fnc_claim_stream
    from analysis.stance.fnc import read_fnc1_dir

    label = {(p.headline, p.body): p.stance for p in read_fnc1_dir(SHARED / "fnc1")}
    default = fnc_claim_stream(SHARED / "fnc1", side="fit", titled=1.0)
    agreeing = fnc_claim_stream(SHARED / "fnc1", side="fit", titled=1.0,
                                title_labels=("agree",))
    def labels(stream: Stream) -> set[str]:
        return {label[(i["title"], i["text"])] for i in stream.items if i.get("title")}

    assert labels(agreeing) == {"agree"}
    assert labels(default) == {"agree", "discuss"}


def test_bench_scorer_judges_alerts_in_undefined_stories_by_their_labels() -> None:
    """An alert among reports of an event the stream leaves undefined is right when FNC-1
    labels them on opposite sides under the headline its story was opened with, and wrong
    when that headline was never paired with them; recall still counts defined claims."""
    sys.path.insert(0, str(ROOT / "bench" / "judgment"))
    from score import tally

    from analysis.matching_data import headline_key

    gold_claim: dict[str, str | None] = {"a": "c1", "b": "c1", "u1": None, "u2": None}
    gold_stance = {"a": "supports", "b": "refutes"}
    gold_story = {"a": "c1", "b": "c1", "u1": "story-7", "u2": "story-7"}
    labels = {"Zoo Lion Released Into City": {"u1": "supports", "u2": "refutes"}}
    stance_toward = {
        item: {headline_key(h): lab[item] for h, lab in labels.items()}
        for item in ("u1", "u2")
    }
    articles = [{"id": i, "claim_id": "c1" if i in "ab" else "s2", "published_at": f"0{n}"}
                for n, i in enumerate(("a", "b", "u1", "u2"))]

    def report(story_claim: str) -> dict:
        return {
            "articles": articles,
            "stories": [{"id": 1, "claim": "c1 text", "claim_id": "c1"},
                        {"id": 2, "claim": story_claim, "claim_id": "s2"}],
            "alerts": [
                {"kind": "contradiction", "story_id": 1, "article_id": "b", "contradicts": ["a"]},
                {"kind": "contradiction", "story_id": 2, "article_id": "u2",
                 "contradicts": ["u1"]},
            ],
        }

    judged = tally(report("Zoo lion released into city!"), gold_claim, gold_stance,
                   gold_story, stance_toward)
    assert (judged.alerts_right, judged.alerts_wrong) == (2, 0)
    assert (judged.alerted, judged.conflicted) == (1, 1)
    unlabelled = tally(report("Zoo lion released into city!"), gold_claim, gold_stance,
                       gold_story)
    assert (unlabelled.alerts_right, unlabelled.alerts_wrong) == (1, 1)
    other_headline = tally(report("A lion walks the streets"), gold_claim, gold_stance,
                           gold_story, stance_toward)
    assert (other_headline.alerts_right, other_headline.alerts_wrong) == (1, 1)
