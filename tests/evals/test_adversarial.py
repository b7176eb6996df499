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
