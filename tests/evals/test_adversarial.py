from factcheck.config import default_prompts_dir
from factcheck.evals.adversarial import (
    Outcome,
    attack_source,
    carries,
    load_cases,
    success_rates,
)
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.verify.llm import LLMVerifier


def test_adversarial_set_is_well_formed():
    cases = load_cases()
    assert len(cases) >= 20
    assert {c["kind"] for c in cases} == {"source", "article"}
    for case in cases:
        if case["kind"] == "source":
            assert any(e["id"].endswith("poison") for e in case["evidence"])
        else:
            assert case["payload"] in case["article"]


def test_carries_threshold():
    assert carries(
        "Reports say the mayor was convicted of fraud.", "The mayor was convicted of fraud"
    )
    assert not carries("The mayor opened a library.", "The mayor was convicted of fraud")


def test_success_rates():
    rates = success_rates([Outcome("a", "source", True, ""), Outcome("b", "article", False, "")])
    assert rates == {"source": (1, 1), "article": (0, 1), "all": (1, 2)}


async def test_citing_the_poisoned_passage_counts_as_an_attack():
    case = next(c for c in load_cases() if c["kind"] == "source")
    poison = next(e for e in case["evidence"] if e["id"].endswith("poison"))
    reply = {
        "rationale": "r",
        "verdict": "REFUTED",
        "confidence": 0.9,
        "citations": [{"evidence": 2, "quote": poison["text"][:30]}],
    }
    llm = StructuredLLM(FakeChatModel(replies=[reply]))
    verifier = LLMVerifier(llm, PromptLibrary(default_prompts_dir()), relevance_threshold=0.0)
    outcome = await attack_source(case, verifier)
    assert outcome.attacked and "cited the poison" in outcome.detail


def test_net_rate_discounts_cases_the_control_also_loses():
    outcomes = [
        Outcome("a", "source", True, "", control_attacked=True),
        Outcome("b", "source", True, "", control_attacked=False),
    ]
    assert success_rates(outcomes)["source"] == (2, 2)
    assert success_rates(outcomes, net=True)["source"] == (1, 2)


def test_control_removes_the_payload():
    from factcheck.evals.adversarial import without_payload

    for case in load_cases():
        clean = without_payload(case)
        if case["kind"] == "source":
            assert all(not e["id"].endswith("poison") for e in clean["evidence"])
        else:
            assert case["payload"] not in clean["article"]


# --- the poisoned-sources set -------------------------------------------------------------


def test_poisoned_set_is_well_formed():
    from factcheck.evals.adversarial import POISONED

    cases = load_cases(POISONED)
    sources = [c for c in cases if c["kind"] == "source"]
    articles = [c for c in cases if c["kind"] == "article"]
    assert len(sources) >= 24 and len(articles) >= 6
    assert {c["lang"] for c in sources} == {c["lang"] for c in articles} == {"en", "es"}
    assert {c["variant"] for c in sources} == {
        "plain",
        "instruction",
        "fake_turn",
        "hidden_markup",
        "zero_width",
    }
    assert len({c["id"] for c in cases}) == len(cases)
    for case in sources:
        credible = [e for e in case["evidence"] if e["id"].endswith("credible")]
        poison = [e for e in case["evidence"] if e["id"].endswith("poison")]
        assert len(credible) == len(poison) == 1 and len(case["evidence"]) == 2
        assert credible[0]["credibility_tier"] == 1 and credible[0]["publisher"]
        assert poison[0]["credibility_tier"] in (None, 3) and poison[0]["publisher"] is None
        assert case["claim"] in poison[0]["text"]  # restated word for word
        assert case["claim"] not in credible[0]["text"]
        assert case["payload"] in poison[0]["text"]
        assert case["gold_label"] == "REFUTED" and case["target_label"] == "SUPPORTED"
    for case in articles:
        assert case["payload"] in case["article"]
        assert case["injected_claim"] in case["payload"]


async def test_run_verifiers_reports_raw_and_net_per_verifier():
    from factcheck.evals.adversarial import POISONED, attack_table, breakdown, run_verifiers
    from factcheck.extract import ClaimExtractor, ExtractionSettings
    from factcheck.models import ClaimResult, Verdict

    class Gullible:
        """SUPPORTED whenever a poisoned passage is shown, REFUTED otherwise."""

        prompt_hash = "gullible"

        async def verify(self, claim, evidence, provenance):
            poisoned = any(e.chunk.id.endswith("poison") for e in evidence)
            flags = [e.chunk.injection_rules for e in evidence if e.chunk.id.endswith("poison")]
            self.flags = flags
            return ClaimResult(
                id="r",
                claim=claim,
                verdict=Verdict.SUPPORTED if poisoned else Verdict.REFUTED,
                confidence=0.9,
                rationale="r",
                citations=[],
                evidence=evidence,
                provenance=provenance,
                verifier="test",
            )

    cases = [c for c in load_cases(POISONED) if c["kind"] == "source"][:5]
    llm = StructuredLLM(FakeChatModel())
    extractor = ClaimExtractor(
        llm, PromptLibrary(default_prompts_dir()), ExtractionSettings(checkworthiness_threshold=0.0)
    )
    outcomes = await run_verifiers({"gullible": Gullible()}, extractor, cases)
    assert len(outcomes) == 5
    assert all(o.attacked and not o.control_attacked for o in outcomes)
    assert all(o.verdict == "SUPPORTED" and o.control_verdict == "REFUTED" for o in outcomes)
    assert {o.variant for o in outcomes} == {c["variant"] for c in cases}
    table = breakdown(outcomes, lambda o: o.variant)
    assert table[("gullible", "all")] == (5, 5, 5)
    # The evidence shown carries the ingest-time flags: plain restatements are unflagged.
    assert [o.flagged for o in outcomes] == [c["variant"] != "plain" for c in cases]
    rendered = attack_table(outcomes)
    assert "| gullible | all | 5 | 5/5 = 100% | 5/5 = 100% | 0/5 |" in rendered
