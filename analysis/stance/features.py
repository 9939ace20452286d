"""Hand-built pair features: relatedness (TF-IDF, BM25, overlaps) and stance cues.

The FNC-1 lesson is that cues matter near the sentences that talk about the claim, so every
stance cue is measured three times: in the claim-matching sentences, in the lead and in the
whole body.  Bodies and claims are preprocessed once and cached, because a newsroom judges
one article against many claims (and FNC-1 pairs one body with many headlines).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from analysis.stance.text import (
    CUE_WORDS,
    HEDGE_CUES,
    NEGATIONS,
    REFUTE_BIGRAMS,
    REFUTE_CUES,
    SUPPORT_CUES,
    article_sentences,
    content_stems,
    is_question,
    stem,
    tokens,
)

# Bounded caches (40 to 70 kB per body): training judges each FNC-1 body against many
# headlines; a worker judges one article against many claims, and needs a few bodies only.
DOC_CACHE = 2048
CLAIM_CACHE = 8192
LEAD_SENTENCES = 3
TOP_SENTENCES = 3
_CUE_INDEX = {w: i for i, w in enumerate(CUE_WORDS)}
_N_CUE = len(CUE_WORDS)
_REGION_NAMES = ("top", "lead", "body", "wtd")
_CUE_KINDS = ("refute", "refute2", "support", "hedge", "neg", "question", "quote")


@dataclass
class Sentence:
    """One sentence with everything the features need, computed once per body."""

    text: str
    stems: frozenset[str]
    cues: np.ndarray  # counts per _CUE_KINDS
    words: np.ndarray  # 0/1 per CUE_WORDS
    toks: list[str]


@dataclass
class Doc:
    """A preprocessed article: sentences (title first when given), stem counts, bigrams."""

    sents: list[Sentence]
    tf: Counter[str]
    length: int
    bigrams: frozenset[tuple[str, str]]
    norm: float
    has_title: bool


@dataclass
class Claim:
    """A preprocessed claim (FNC-1 headline)."""

    text: str
    stems: list[str]
    uniq: frozenset[str]
    weights: dict[str, float]
    total_w: float
    bigrams: frozenset[tuple[str, str]]
    norm: float
    cues: np.ndarray
    words: np.ndarray


def _cue_counts(toks: list[str], text: str) -> tuple[np.ndarray, np.ndarray]:
    cues = np.zeros(len(_CUE_KINDS), dtype=np.float64)
    words = np.zeros(_N_CUE, dtype=np.float64)
    prev = ""
    for t in toks:
        if t in REFUTE_CUES:
            cues[0] += 1
        if (prev, t) in REFUTE_BIGRAMS:
            cues[1] += 1
        if t in SUPPORT_CUES and prev not in NEGATIONS:
            cues[2] += 1
        if t in HEDGE_CUES:
            cues[3] += 1
        if t in NEGATIONS or t.endswith("n't"):
            cues[4] += 1
        i = _CUE_INDEX.get(t)
        if i is not None:
            words[i] = 1.0
        prev = t
    if "?" in text:
        cues[5] = 1.0
        words[_CUE_INDEX["?"]] = 1.0
    cues[6] = float(text.count('"') + text.count("\u201c") + text.count("\u00ab") > 0)
    return cues, words


def _dedupe(texts: list[str]) -> list[str]:
    """Drop repeated sentences (photo captions and pull quotes often appear twice)."""
    seen: set[str] = set()
    out = []
    for t in texts:
        k = " ".join(tokens(t))
        if k and k in seen:
            continue
        seen.add(k)
        out.append(t)
    return out


def _same_text(title_stems: set[str], sentence: str) -> bool:
    st = set(content_stems(tokens(sentence)))
    if not st or not title_stems:
        return False
    return len(st & title_stems) / len(st | title_stems) >= 0.8


class FeatureExtractor:
    """Turns (claim, doc) into a fixed-length float vector, given IDF weights from training."""

    def __init__(
        self, idf: dict[str, float], default_idf: float, avg_len: float, doc_cache: int = DOC_CACHE
    ) -> None:
        self.idf = idf
        self.default_idf = default_idf
        self.avg_len = avg_len
        self.doc_cache = doc_cache
        self._doc_cache: dict[tuple[str, str], Doc] = {}
        self._claim_cache: dict[str, Claim] = {}

    def w(self, s: str) -> float:
        return self.idf.get(s, self.default_idf)

    def doc(self, title: str, body: str) -> Doc:
        d = self._doc_cache.get((title, body))
        if d is None:
            d = self._make_doc(title, body)
            self.keep_doc(title, body, d)
        return d

    def keep_doc(self, title: str, body: str, doc: Doc) -> None:
        """Remember a document's features, also ones read ahead in another process."""
        if len(self._doc_cache) >= self.doc_cache:
            self._doc_cache.clear()
        self._doc_cache[(title, body)] = doc

    def claim(self, text: str) -> Claim:
        c = self._claim_cache.get(text)
        if c is None:
            if len(self._claim_cache) >= CLAIM_CACHE:
                self._claim_cache.clear()
            c = self._make_claim(text)
            self._claim_cache[text] = c
        return c

    def _make_doc(self, title: str, body: str) -> Doc:
        title = title.strip()
        texts = _dedupe(article_sentences(body, title))
        if title:
            # The title is the first sentence; drop body sentences that restate it (the
            # shared cleaner drops only exact repeats of the headline line).
            ts = set(content_stems(tokens(title)))
            texts = [title, *(t for t in texts if not _same_text(ts, t))]
        if not texts:
            texts = [""]
        sents: list[Sentence] = []
        tf: Counter[str] = Counter()
        bigrams: set[tuple[str, str]] = set()
        for t in texts:
            toks = tokens(t)
            st = content_stems(toks)
            tf.update(st)
            bigrams.update(itertools.pairwise(st))
            cues, words = _cue_counts(toks, t)
            sents.append(Sentence(t, frozenset(st), cues, words, toks))
        norm = math.sqrt(sum((c * self.w(s)) ** 2 for s, c in tf.items())) or 1.0
        return Doc(sents, tf, sum(tf.values()), frozenset(bigrams), norm, bool(title))

    def _make_claim(self, text: str) -> Claim:
        toks = tokens(text)
        st = content_stems(toks)
        uniq = frozenset(st)
        weights = {s: self.w(s) for s in uniq}
        tfc = Counter(st)
        norm = math.sqrt(sum((c * weights[s]) ** 2 for s, c in tfc.items())) or 1.0
        cues, words = _cue_counts(toks, text)
        cues[5] = float(is_question(text))
        return Claim(
            text, st, uniq, weights, math.fsum(weights.values()) or 1.0,
            frozenset(itertools.pairwise(st)), norm, cues, words,
        )

    def sentence_scores(self, c: Claim, d: Doc) -> np.ndarray:
        """IDF-weighted share of the claim's words found in each sentence.

        Sums over sets use math.fsum: exactly rounded, so the result does not depend on the
        (hash-seeded) set order and training is reproducible bit for bit.
        """
        tw = c.total_w
        wts = c.weights
        return np.array(
            [math.fsum(wts[s] for s in c.uniq & se.stems) / tw for se in d.sents], dtype=np.float64
        )

    @staticmethod
    def feature_names() -> list[str]:
        names = [
            "cos_body", "wfrac_body", "frac_body", "wfrac_lead", "cos_lead", "sent_max",
            "sent_2nd", "sent_top3", "bigram_frac", "bm25", "claim_len", "log_body_len",
            "rare_frac", "best_pos", "share_sent_03", "share_sent_05", "n_sent_log",
            "neg_near_claim", "best_neg_mismatch", "title_present",
        ]
        for r in _REGION_NAMES:
            names += [f"{r}_{k}" for k in _CUE_KINDS]
        names += [f"claim_{k}" for k in _CUE_KINDS]
        names += [f"cw_claim_{w}" for w in CUE_WORDS]
        names += [f"cw_top_{w}" for w in CUE_WORDS]
        names += [f"cw_body_{w}" for w in CUE_WORDS]
        return names

    def features(self, c: Claim, d: Doc) -> np.ndarray:
        sc = self.sentence_scores(c, d)
        n = len(d.sents)
        order = np.argsort(-sc, kind="stable")
        top = order[:TOP_SENTENCES]
        srt = sc[order]
        w = self.w
        # Relatedness.
        tf = d.tf
        dot = sum(tf.get(s, 0) * w(s) * c.weights[s] for s in c.stems)
        cos_body = dot / (d.norm * c.norm)
        found = [s for s in c.uniq if s in tf]
        wfrac = math.fsum(c.weights[s] for s in found) / c.total_w
        frac = len(found) / max(len(c.uniq), 1)
        lead_stems: set[str] = set()
        lead_tf: Counter[str] = Counter()
        for se in d.sents[:LEAD_SENTENCES]:
            lead_stems |= se.stems
            lead_tf.update(se.stems)
        wfrac_lead = math.fsum(c.weights[s] for s in c.uniq & lead_stems) / c.total_w
        lnorm = math.sqrt(math.fsum((v * w(s)) ** 2 for s, v in lead_tf.items())) or 1.0
        cos_lead = sum(lead_tf.get(s, 0) * w(s) * c.weights[s] for s in c.stems) / (
            lnorm * c.norm
        )
        bigram_frac = len(c.bigrams & d.bigrams) / max(len(c.bigrams), 1)
        k1, b = 1.2, 0.75
        denom_len = k1 * (1 - b + b * d.length / self.avg_len)
        bm25 = math.fsum(
            c.weights[s] * tf[s] * (k1 + 1) / (tf[s] + denom_len) for s in found
        ) / c.total_w
        rare = [s for s in c.uniq if c.weights[s] > 6.0]
        rare_frac = (sum(1 for s in rare if s in tf) / len(rare)) if rare else -1.0
        best_pos = float(order[0]) / max(n - 1, 1)
        # Negated claim words: a negation within three tokens before a claim word.
        neg_near = 0.0
        for i in top:
            toks = d.sents[i].toks
            for j, t in enumerate(toks):
                if t in NEGATIONS or t.endswith("n't"):
                    window = toks[j + 1 : j + 4]
                    if any(stem(x) in c.uniq for x in window):
                        neg_near += 1.0
        best_neg = float(d.sents[order[0]].cues[4] > 0) - float(c.cues[4] > 0)
        rel = [
            cos_body, wfrac, frac, wfrac_lead, cos_lead, srt[0],
            srt[1] if n > 1 else 0.0, float(srt[:3].mean()), bigram_frac, bm25,
            float(len(c.uniq)), math.log1p(d.length), rare_frac, best_pos,
            float((sc >= 0.3).mean()), float((sc >= 0.5).mean()), math.log1p(n),
            neg_near, best_neg, float(d.has_title),
        ]
        # Stance cues per region, as rates per sentence.
        cues = np.stack([se.cues for se in d.sents])
        words = np.stack([se.words for se in d.sents])
        top_c = cues[top].mean(axis=0)
        lead_c = cues[:LEAD_SENTENCES].mean(axis=0)
        body_c = cues.mean(axis=0)
        wsum = sc.sum() or 1.0
        wtd_c = (sc[:, None] * cues).sum(axis=0) / wsum
        top_w = words[top].max(axis=0)
        body_w = words.mean(axis=0)
        return np.concatenate(
            [np.array(rel), top_c, lead_c, body_c, wtd_c, c.cues, c.words, top_w, body_w]
        )

    def bow_regions(self, c: Claim, d: Doc) -> tuple[frozenset[str], set[str], set[str]]:
        """Stem sets of the claim, of the claim-matching sentences plus lead, and of the body.

        Input of the stacked bag-of-words model, which learns stance wording beyond the
        hand lexicons; the vocabulary is restricted at training to words used across many
        stories so that it learns wording, not topics.
        """
        sc = self.sentence_scores(c, d)
        top = np.argsort(-sc, kind="stable")[:TOP_SENTENCES]
        near: set[str] = set()
        for i in top:
            near |= d.sents[i].stems
        for se in d.sents[:LEAD_SENTENCES]:
            near |= se.stems
        return c.uniq, near, set(d.tf)


_DENIAL_COLUMNS = [
    FeatureExtractor.feature_names().index(f"claim_{kind}") for kind in ("refute", "refute2", "neg")
]


def claim_denies(X: np.ndarray) -> np.ndarray:
    """Rows (of a feature matrix) whose claim itself denies: a refutation cue or a negation,
    as in "Pope Francis did NOT say pets go to heaven"."""
    return X[:, _DENIAL_COLUMNS].sum(axis=1) > 0


def swap_sides(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`values` (supports, refutes, discusses columns) with supports and refutes swapped on
    `rows`.

    The stance stage learns stance toward the affirmative reading of the claim: a body that
    debunks a rumour refutes "X happened" and supports "X did NOT happen", and FNC-1 labels
    one body both ways under its story's two kinds of headline. Learned toward the rumour,
    the body's label is the same under every headline, so the rare refutations are learned
    from twice the evidence; denying claims' supports and refutes are swapped for learning
    and swapped back after.
    """
    out = values.copy()
    out[rows, 0], out[rows, 1] = values[rows, 1], values[rows, 0]
    return out
