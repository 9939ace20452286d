"""Tests of the shipped stance engine: the seeds acceptance scenario, unrelated bodies, the
model format (no pickle), the tree export, and `claimwatch eval fnc1`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FNC1, SEEDS

from analysis.judgments import Stance, StanceJudgment
from analysis.stance import StanceEngine
from analysis.stance.engine import MODEL_DIR
from analysis.stance.features import claim_denies, swap_sides
from analysis.stance.fnc import fnc_score, report
from analysis.stance.gbm import TreeEnsemble
from analysis.stance.text import article_sentences

NEEDS_FNC1 = f"needs FNC-1 training data at {FNC1} (train_bodies.csv, train_stances.csv)"

CLAIM_A = "Elon Musk spoke to Putin before posting 'plan to end war' on Twitter"
CLAIM_B = "Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan"
EXPECTED = {
    "002": Stance.SUPPORTS,
    "001": Stance.SUPPORTS,
    "000": Stance.REFUTES,
    "003": Stance.DISCUSSES,
    "004": Stance.SUPPORTS,
}


def _seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="module")
def engine() -> StanceEngine:
    return StanceEngine.load()


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[str, str]]:
    d = _seeds_dir()
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    return {
        a["id"]: (a["title"], (d / a["file"]).read_text(encoding="utf-8"))
        for a in manifest["articles"]
    }


@pytest.mark.parametrize("claim", [CLAIM_A, CLAIM_B])
@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_seed_stances(
    engine: StanceEngine, seeds: dict[str, tuple[str, str]], claim: str, article_id: str
) -> None:
    title, body = seeds[article_id]
    j = engine.judge(claim, title, body)
    assert isinstance(j, StanceJudgment)
    assert j.stance == EXPECTED[article_id], (article_id, j)
    assert j.related > 0.9
    assert 1 <= len(j.evidence) <= 3
    for sentence in j.evidence:
        assert sentence in body or sentence in title
    assert abs(sum(j.probabilities.values()) - 1.0) < 1e-3
    assert j.score == pytest.approx(j.probabilities[j.stance], abs=1e-3)


def test_refutation_evidence_is_the_denial(
    engine: StanceEngine, seeds: dict[str, tuple[str, str]]
) -> None:
    title, body = seeds["000"]
    for claim in (CLAIM_A, CLAIM_B):
        ev = engine.judge(claim, title, body).evidence
        assert any("denies" in s or "only time he spoke" in s for s in ev), ev


def test_boilerplate_is_not_evidence(
    engine: StanceEngine, seeds: dict[str, tuple[str, str]]
) -> None:
    for aid, (title, body) in seeds.items():
        for s in engine.judge(CLAIM_B, title, body).evidence:
            assert "ADVERTISEMENT" not in s and "feminine energy" not in s, aid
    kept = " ".join(article_sentences(seeds["004"][1]))
    assert "feminine energy" not in kept and "Khalino" not in kept
    assert "Support The Post Millennial" not in " ".join(article_sentences(seeds["000"][1]))


def _other_bodies(n: int) -> list[str]:
    if not (FNC1 / "train_bodies.csv").exists():
        pytest.skip(NEEDS_FNC1)
    out = []
    with open(FNC1 / "train_bodies.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            text = r["articleBody"]
            low = text.lower()
            if "musk" in low or "putin" in low or "ukrain" in low or len(text) < 400:
                continue
            out.append(text)
            if len(out) == n:
                break
    return out


def test_other_subjects_are_unrelated(engine: StanceEngine) -> None:
    bodies = _other_bodies(30)
    assert len(bodies) >= 20
    judgments = engine.judge_many([(CLAIM_A, b) for b in bodies])
    for j in judgments:
        assert j.stance == Stance.UNRELATED, j
        assert j.related < engine.rel_threshold
        assert j.evidence == []
    assert float(np.median([j.related for j in judgments])) < 0.05


def test_judge_many_matches_judge(
    engine: StanceEngine, seeds: dict[str, tuple[str, str]]
) -> None:
    items = [(CLAIM_A, t, b) for t, b in seeds.values()]
    batch = engine.judge_many(items)
    assert [j.stance for j in batch] == [engine.judge(*it).stance for it in items]
    assert engine.judge_many([]) == []
    two = engine.judge_many([(CLAIM_A, seeds["002"][1])])[0]
    assert two.stance in set(Stance)


def test_empty_and_odd_inputs(engine: StanceEngine) -> None:
    for claim, title, body in [("", "", ""), (CLAIM_A, "", ""), ("?", "x", "ADVERTISEMENT")]:
        j = engine.judge(claim, title, body)
        assert 0.0 <= j.related <= 1.0 and 0.0 <= j.score <= 1.0


def test_model_is_small_and_pickle_free() -> None:
    files = list(MODEL_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 5_000_000
    assert {f.suffix for f in files} <= {".json", ".npz"}
    with np.load(MODEL_DIR / "trees.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_tree_export_matches_sklearn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    y3 = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    for y in (y3, (y3 > 0).astype(int)):
        m = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
        ours = TreeEnsemble.from_sklearn(m).proba(X)
        ref = m.predict_proba(X)
        assert np.allclose(ours, ref, atol=1e-6)


def test_holdout_split_is_claim_disjoint() -> None:
    if not (FNC1 / "train_stances.csv").exists():
        pytest.skip(NEEDS_FNC1)
    from analysis.stance.fnc import claim_disjoint_split, read_fnc1_dir

    engine_meta = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    pairs = read_fnc1_dir(FNC1)
    split = engine_meta["split"]
    tr, ho = claim_disjoint_split(pairs, split["holdout_frac"], split["seed"])
    assert len(tr) == split["train_rows"] and len(ho) == split["holdout_rows"]
    assert not {pairs[i].headline for i in tr} & {pairs[i].headline for i in ho}
    ho_related_bodies = {pairs[i].body_id for i in ho if pairs[i].stance != "unrelated"}
    assert not {pairs[i].body_id for i in tr} & ho_related_bodies


def test_fnc_metrics() -> None:
    gold = ["agree", "unrelated", "discuss", "disagree"]
    assert fnc_score(gold, gold) == 100.0
    assert fnc_score(gold, ["discuss", "unrelated", "agree", "unrelated"]) == pytest.approx(
        100 * (0.25 + 0.25 + 0.25) / 3.25
    )
    rep = report(gold, gold)
    assert rep["f1_macro"] == 1.0


def test_eval_cli_on_a_subset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (FNC1 / "train_stances.csv").exists():
        pytest.skip(NEEDS_FNC1)
    # The main CLI's parser (as `claimwatch eval fnc1`), without `main()`'s logging set-up,
    # which would bind structlog to this test's captured stdout.
    from cli.main import build_parser

    with open(FNC1 / "train_stances.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[:301]
    stances = tmp_path / "stances.csv"
    with open(stances, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    pred = tmp_path / "pred.csv"
    args = build_parser().parse_args(["eval", "fnc1", "--bodies", str(FNC1 / "train_bodies.csv"),
                                      "--stances", str(stances), "--json", "--predictions",
                                      str(pred)])
    rc = args.handler(args)
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"fnc_score", "f1_macro", "per_class", "confusion"}
    assert set(out["per_class"]) == {"agree", "disagree", "discuss", "unrelated"}
    with open(pred, encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["Headline", "Body ID", "Stance"]
    assert [r[:2] for r in got[1:]] == [r[:2] for r in rows[1:]]


def test_stance_is_learned_toward_the_claims_affirmative_reading(engine: StanceEngine) -> None:
    # The shipped model learned supports and refutes swapped under claims that deny, and
    # swaps its predictions back for them: a debunking body refutes the rumour and supports
    # its denial.
    assert engine.toward_affirmative
    fx = engine.fx
    body = fx.doc("", "The photo of the shark in the flooded street was doctored. It is a hoax.")
    claims = [fx.claim("Shark swims down flooded street"),
              fx.claim("Shark did not swim down flooded street")]
    X = engine.matrix(claims, [body, body])
    assert claim_denies(X).tolist() == [False, True]
    values = np.array([[0.6, 0.1, 0.3], [0.6, 0.1, 0.3]])
    assert swap_sides(values, claim_denies(X)).tolist() == [[0.6, 0.1, 0.3], [0.1, 0.6, 0.3]]
    _, p3 = engine.predict_arrays(X)
    raw = engine.stance_model.proba(X, engine.stance_temperature)
    assert np.allclose(p3, swap_sides(raw, np.array([False, True])))
    debunking = ("Rumours spread online that a shark swam down a flooded street in Houston. "
                 "The photo of the shark in the flooded street was doctored. It is a hoax, "
                 "experts said.")
    rumour = engine.judge("Shark swims down flooded street in Houston", "", debunking)
    denial = engine.judge("Shark did not swim down flooded street in Houston", "", debunking)
    assert (rumour.stance, denial.stance) == (Stance.REFUTES, Stance.SUPPORTS)
