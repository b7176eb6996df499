"""The offline NLI verifier: the shipped model, the aggregation rule, citations, the cascade."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from factcheck.app import make_verifier
from factcheck.config import Settings, default_prompts_dir
from factcheck.files import sha256_file
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Claim, ClaimType, Evidence, Provenance, Verdict
from factcheck.retrieval.onnx import (
    packaged_file,
)
from factcheck.testing.doubles import chunk
from factcheck.text import split_sentences
from factcheck.verify.cascade import CascadeVerifier
from factcheck.verify.llm import LLMVerifier
from factcheck.verify.nli import (
    Calibration,
    NLIModel,
    NLISettings,
    NLIVerifier,
)

PROVENANCE = Provenance(model="fake")


def claim(text: str) -> Claim:
    return Claim.make(
        article_id="a",
        text=text,
        quote=text,
        start=0,
        end=len(text),
        claim_type=ClaimType.EVENT,
        checkworthiness=0.9,
    )


def evidence(*texts: str, tiers: Sequence[int | None] = ()) -> list[Evidence]:
    tiers = list(tiers) or [None] * len(texts)
    return [
        Evidence(
            number=i,
            chunk=chunk(t, title=f"Ref {i}").model_copy(update={"credibility_tier": tier}),
            score=0.1,
            dense_similarity=0.8,
        )
        for i, (t, tier) in enumerate(zip(texts, tiers, strict=True), start=1)
    ]


class KeywordModel(NLIModel):
    """Probabilities by keyword: "confirms" supports, "denies" refutes, anything else neutral."""

    TABLE: ClassVar[dict[str, tuple[float, float, float]]] = {
        "confirms": (0.95, 0.03, 0.02),
        "denies": (0.02, 0.92, 0.06),
    }
    WEAK: ClassVar[dict[str, tuple[float, float, float]]] = {"hints": (0.55, 0.05, 0.40)}

    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__(Path("keyword-model"), Calibration(temperature, "keyword"))
        self.sha256 = "keyword"
        self.seen: list[str] = []

    def load(self) -> None:
        """Nothing to load."""

    def logits(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        """Log-probabilities: at temperature 1 the softmax gives the table's rows back."""
        self.seen += list(evidence)
        rows = []
        for text in evidence:
            hit = [p for k, p in {**self.TABLE, **self.WEAK}.items() if k in text]
            rows.append(hit[0] if hit else (0.04, 0.04, 0.92))
        return np.log(np.asarray(rows, dtype=np.float32))


def keyword_verifier(temperature: float = 1.0, **settings: float) -> NLIVerifier:
    """The aggregation rule over a keyword model; no abstention unless asked for (it has its
    own tests in test_trust.py)."""
    settings = {"commit_threshold": 0.0, **settings}
    return NLIVerifier(KeywordModel(temperature), NLISettings(**settings))  # type: ignore[arg-type]


# --- the shipped model --------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> NLIVerifier:
    model = NLIModel(threads=2)
    model.load()
    return NLIVerifier(model, NLISettings(commit_threshold=0.0))


def test_shipped_model_matches_its_calibration(shipped: NLIVerifier):
    path = packaged_file("assets/nli/nli-minilm-int8.onnx")
    assert path.stat().st_size <= 25 * 1024 * 1024
    calibration = Calibration.load()
    assert calibration.model_sha256 == sha256_file(path) == shipped.model.sha256
    assert 0.2 < shipped.model.temperature < 10
    probs = shipped.model.probabilities(["a claim"], ["some evidence"])
    assert probs.shape == (1, 3) and abs(float(probs.sum()) - 1.0) < 1e-5


async def test_shipped_model_on_a_clearly_supported_and_a_clearly_refuted_claim(
    shipped: NLIVerifier,
):
    # The shipped model is small and weak (see factcheck/assets/nli/MODEL_CARD.md): these are
    # textbook pairs, not a measure of its quality.
    sea = (
        "Tide gauges cover the period. "
        "Global sea level rose by about 20 centimetres during the 20th century."
    )
    drug = (
        "Remdesivir shortened the time to recovery of hospitalised COVID-19 patients in the trial."
    )
    supported = await shipped.verify(
        claim("Sea level rose during the 20th century."), evidence(sea), PROVENANCE
    )
    refuted = await shipped.verify(
        claim("Remdesivir does not shorten recovery time in COVID-19 patients."),
        evidence(drug),
        PROVENANCE,
    )
    assert supported.verdict == Verdict.SUPPORTED, supported.rationale
    assert refuted.verdict == Verdict.REFUTED, refuted.rationale
    assert supported.citations[0].quote == (
        "Global sea level rose by about 20 centimetres during the 20th century."
    )
    assert refuted.citations[0].quote == drug
    for result in (supported, refuted):
        assert result.verifier == "nli" and 0.5 <= result.confidence <= 1.0
        assert result.provenance.prompt_hashes["verify"].startswith("nli:")


def test_a_pair_scores_the_same_whatever_is_scored_beside_it(shipped: NLIVerifier):
    claims = ["Water boils at 100 degrees Celsius at sea level."] * 3
    texts = [
        "At sea level water boils at 100 °C.",
        "Ice melts at 0 °C. " * 20,
        "Water boils at 70 degrees Celsius at sea level, according to the survey.",
    ]
    together = shipped.model.probabilities(claims, texts)
    one_by_one = np.vstack(
        [shipped.model.probabilities([c], [t]) for c, t in zip(claims, texts, strict=True)]
    )
    # Dynamic int8 quantisation picks one activation scale per tensor: in a shared batch a
    # pair's score would move with its batch mates, so the model runs one pair at a time.
    np.testing.assert_array_equal(together, one_by_one)


# --- aggregation ----------------------------------------------------------------------------


async def test_strong_support_and_refutation_from_credible_sources_conflict():
    v = keyword_verifier()
    ev = evidence("Agency A confirms the figure. Weather was fine.", "Agency B denies it.")
    result = await v.verify(claim("The figure is 37."), ev, PROVENANCE)
    assert result.verdict == Verdict.CONFLICTING
    assert [c.quote for c in result.citations] == [
        "Agency A confirms the figure.",
        "Agency B denies it.",
    ]
    assert result.rationale.startswith("Passage 1 (Ref 1) supports the claim (p=0.95)")
    assert "Passage 2 (Ref 2) refutes the claim" in result.rationale
    assert result.confidence == pytest.approx(0.92)


async def test_a_low_credibility_source_does_not_make_a_conflict():
    v = keyword_verifier()
    ev = evidence("Agency A confirms the figure.", "A blog denies it.", tiers=[1, 3])
    result = await v.verify(claim("The figure is 37."), ev, PROVENANCE)
    assert result.verdict == Verdict.SUPPORTED
    assert [c.quote for c in result.citations] == ["Agency A confirms the figure."]


async def test_nothing_above_the_threshold_is_not_enough_evidence():
    v = keyword_verifier(decide_threshold=0.6)
    ev = evidence("The report hints at growth. Nothing else is said.", "Unrelated text.")
    result = await v.verify(claim("The economy grew."), ev, PROVENANCE)
    assert result.verdict == Verdict.NOT_ENOUGH_EVIDENCE
    assert result.citations == []
    assert result.confidence == pytest.approx(0.45)
    # The same weak sentence decides once the threshold is lower.
    lower = await keyword_verifier(decide_threshold=0.5).verify(
        claim("The economy grew."), ev, PROVENANCE
    )
    assert lower.verdict == Verdict.SUPPORTED


async def test_citations_are_verbatim_sentences_of_the_evidence():
    v = keyword_verifier()
    text = "Officials said on Monday.  The ministry  confirms 37 transfers (Jan. 20).\nMore later."
    ev = evidence(text, "Another source confirms it, too.")
    result = await v.verify(claim("Mexico transferred 37 people."), ev, PROVENANCE)
    assert result.verdict == Verdict.SUPPORTED and len(result.citations) == 2
    by_id = {e.chunk.id: e.chunk.text for e in ev}
    for citation in result.citations:
        source = by_id[citation.chunk_id]
        assert citation.quote in {s.of(source) for s in split_sentences(source)}
    assert result.citations[0].quote == "The ministry  confirms 37 transfers (Jan. 20)."


async def test_irrelevant_evidence_is_not_scored():
    model = KeywordModel()
    v = NLIVerifier(model, NLISettings(relevance_threshold=0.9, commit_threshold=0.0))  # type: ignore[arg-type]
    result = await v.verify(claim("x"), evidence("It confirms x."), PROVENANCE)
    assert result.verdict == Verdict.NOT_ENOUGH_EVIDENCE and result.verifier == "threshold"
    assert model.seen == []


# --- cascade --------------------------------------------------------------------------------


def llm_reply(verdict: str) -> dict[str, object]:
    return {
        "rationale": "Passage 1 says so.",
        "verdict": verdict,
        "confidence": 0.7,
        "citations": [],
    }


def cascade(replies: list[dict[str, object]], threshold: float = 0.9):
    chat = FakeChatModel(replies=replies)
    llm = LLMVerifier(StructuredLLM(chat), PromptLibrary(default_prompts_dir()))
    return CascadeVerifier(keyword_verifier(), llm, threshold), chat


async def test_cascade_settles_confident_claims_without_the_llm():
    v, chat = cascade([])
    result = await v.verify(claim("The figure is 37."), evidence("A confirms it."), PROVENANCE)
    assert result.verdict == Verdict.SUPPORTED and result.verifier == "nli"
    assert chat.calls == 0
    assert result.notes and "settled without the LLM" in result.notes[0]


async def test_cascade_sends_unsure_claims_to_the_llm_and_flags_disagreement():
    v, chat = cascade([llm_reply("REFUTED")])
    result = await v.verify(claim("The economy grew."), evidence("It hints so."), PROVENANCE)
    assert chat.calls == 1
    assert result.verdict == Verdict.REFUTED and result.verifier == "llm"
    assert any("nli said SUPPORTED (confidence 0.55)" in n for n in result.notes)
    assert any(n.startswith("disagreement: nli SUPPORTED") for n in result.notes)
    assert result.provenance.prompt_hashes["verify_nli"] == "nli:keyword"


async def test_cascade_agreement_is_not_flagged():
    v, _ = cascade([llm_reply("SUPPORTED")])
    result = await v.verify(claim("The economy grew."), evidence("It hints so."), PROVENANCE)
    assert result.verifier == "llm"
    assert not any(n.startswith("disagreement") for n in result.notes)


# --- settings -------------------------------------------------------------------------------


def test_verifier_setting_defaults_by_backend(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert Settings(_env_file=None, llm_backend="local").for_backend().verifier == "nli"
    assert Settings(_env_file=None, llm_backend="openai").for_backend().verifier == "llm"
    chosen = Settings(_env_file=None, llm_backend="local", verifier="cascade").for_backend()
    assert chosen.verifier == "cascade"
    monkeypatch.setenv("FACTCHECK_VERIFIER", "cascade")
    monkeypatch.setenv("FACTCHECK_CASCADE_THRESHOLD", "0.8")
    settings = Settings(_env_file=None, llm_backend="local").for_backend()
    assert settings.verifier == "cascade" and settings.cascade_threshold == 0.8


@pytest.mark.parametrize(
    ("kind", "expected"), [("llm", LLMVerifier), ("nli", NLIVerifier), ("cascade", CascadeVerifier)]
)
def test_app_builds_the_chosen_verifier(kind, expected):
    settings = Settings(_env_file=None, llm_backend="fake", verifier=kind)
    llm = StructuredLLM(FakeChatModel())
    verifier = make_verifier(settings, llm, PromptLibrary(default_prompts_dir()))
    assert isinstance(verifier.inner, expected)


def test_the_temperature_changes_confidence_never_the_verdict():
    shown = evidence("The ministry hints that it happened.")
    sharp = keyword_verifier().decide("It happened.", shown)[0]
    flat = keyword_verifier(temperature=2.0).decide("It happened.", shown)[0]
    assert sharp.verdict == flat.verdict == Verdict.SUPPORTED  # 0.55 ≥ 0.5 at temperature 1
    assert sharp.confidence == pytest.approx(0.55, abs=1e-3)
    assert flat.confidence < sharp.confidence  # calibrated: flatter, still SUPPORTED
