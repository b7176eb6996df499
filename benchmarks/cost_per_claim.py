"""Benchmark LLM cost per claim: calls and tokens per stage, and dollars at OpenAI prices.

Runs the real pipeline (prompts, windows, retrieval, `ChatOpenAI` client) against the stub
OpenAI-compatible server (`factcheck.testing.stub_server`, in-process on 127.0.0.1):

* the seed article (`seeds/articles`) against the seed reference notes (`seeds/reference`),
  whole pipeline: extraction per article window, then verification per claim;
* Check-COVID dev claims end to end against the Check-COVID corpus (the evals' cached corpus
  store), verification only (the claims are given);
* the seed article again with `FACTCHECK_LLM_CACHE` set, twice: the second run must reach the
  server zero times and cost $0.

Token counts: there is no OpenAI key and tiktoken cannot download its encodings here, so the
figures are the stub server's `usage`, which estimates one token per 4 characters of each
message (+4 per message) plus the tool/response-format schema (`stub_server.estimate_tokens`).
As a cross-check the same prompts are counted with a real byte-level BPE tokenizer, Qwen2.5's
(151k vocabulary, the packaged local model's GGUF, vocabulary only), when it is available.
Completions are the stub's rule-based replies (`heuristic_responder`): prompt tokens are the
real prompts, completion tokens only indicate; a bound with every reply at the
`FACTCHECK_MAX_OUTPUT_TOKENS` cap is printed too.

    python benchmarks/cost_per_claim.py            # all 207 Check-COVID dev claims
    python benchmarks/cost_per_claim.py --claims 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, met, print_footer, print_header
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from factcheck.app import build_app, make_embedder, store_settings
from factcheck.config import Settings
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import load_extraction, load_retrieval
from factcheck.extract import make_windows
from factcheck.io.claims import plain_claim
from factcheck.io.inputs import read_articles, read_sources
from factcheck.llm.pricing import Price, cost_usd, load_price_table, price_for
from factcheck.models import Article, ClaimResult, Usage
from factcheck.pipeline import Pipeline
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.stub_server import StubConfig, heuristic_responder, running_stub

PRICED = ("gpt-4o-mini", "gpt-4o")
QWEN_GGUF = (
    Path.home() / ".cache" / "factcheck" / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
)


@dataclass
class Recorder:
    """Wraps the stub's responder: records each request's messages and reply text."""

    requests: list[tuple[list[str], str]] = field(default_factory=list)

    def __call__(self, messages: list[BaseMessage], schema: type[BaseModel] | None) -> Any:
        reply = heuristic_responder(messages, schema)
        self.requests.append(([str(m.content) for m in messages], reply.model_dump_json()))
        return reply


def qwen_counter() -> Callable[[str], int] | None:
    """Token count with Qwen2.5's BPE vocabulary, or None when the GGUF is not there."""
    if not QWEN_GGUF.is_file():
        return None
    try:
        from llama_cpp import Llama
    except ImportError:
        return None
    vocab = Llama(model_path=str(QWEN_GGUF), vocab_only=True, verbose=False)
    return lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def annotated_yield(cap: int) -> float:
    """Check-worthy gold claims per extraction window over Factcheck-GPT documents (at most
    `cap` per window, the extractor's limit)."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    windows = claims = 0
    for case in load_extraction("factcheck-gpt", "all"):
        cut = make_windows(
            case.text, settings.extraction_window_sentences, settings.extraction_context_sentences
        )
        gold = sum(bool(g.checkworthy) for g in case.gold_claims)
        windows += len(cut)
        claims += min(gold, cap * len(cut))
    return claims / max(1, windows)


def settings_for(url: str, tmp: Path, **updates: Any) -> Settings:
    """OpenAI backend at the stub, gpt-4o-mini, store under `tmp`; nothing read from .env."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        llm_backend="openai",
        base_url=f"{url}/v1",
        model="gpt-4o-mini",
        chroma_path=tmp / "chroma",
        **updates,
    )


def dollars(usage: Usage, table: dict[str, Price]) -> dict[str, float]:
    """Cost of `usage` at each priced model."""
    return {m: cost_usd(usage, price_for(m, table)) or 0.0 for m in PRICED}


def fmt_usage(label: str, usage: Usage, per: int, unit: str, table: dict[str, Price]) -> str:
    """One table row: calls, tokens and dollars per `unit`."""
    cost = dollars(usage, table)
    n = max(per, 1)
    return (
        f"{label:<34}{usage.calls / n:7.2f} {usage.prompt_tokens / n:9.0f} "
        f"{usage.completion_tokens / n:8.0f}   ${cost['gpt-4o-mini'] / n:.6f}   "
        f"${cost['gpt-4o'] / n:.5f}   per {unit} (n={per})"
    )


TABLE_HEAD = f"{'':<34}{'calls':>7} {'prompt':>9} {'complet.':>8}   {'gpt-4o-mini':<11}   gpt-4o"


async def run_articles(pipeline: Pipeline, items: list[Article]) -> tuple[Usage, list[ClaimResult]]:
    """Run the pipeline; (usage of the whole run, claim results)."""
    usage, results = Usage(), []
    async for block in pipeline.run(items):
        usage.add(block.usage)
        results.extend(r for r in block.records if isinstance(r, ClaimResult))
    return usage, results


def seed_article(url: str, tmp: Path, table: dict[str, Price], cache: Path | None = None) -> dict:
    """The whole pipeline on the seed article: usage per stage."""
    settings = settings_for(url, tmp, llm_cache=cache)
    store = ReferenceStore.open(store_settings(settings), make_embedder(settings))
    if store.count() == 0:
        store.ingest(read_sources(REPO_ROOT / "seeds" / "reference"))
    app = build_app(settings, store=store)
    articles = [
        a for a in read_articles(REPO_ROOT / "seeds" / "articles") if isinstance(a, Article)
    ]
    total, results = asyncio.run(run_articles(app.pipeline, articles))
    verify = Usage()
    for r in results:
        verify.add(r.provenance.usage)
    extract = total.model_copy()
    for name in ("calls", "prompt_tokens", "completion_tokens", "reasks"):
        setattr(extract, name, getattr(total, name) - getattr(verify, name))
    windows = sum(
        len(
            make_windows(
                a.text, settings.extraction_window_sentences, settings.extraction_context_sentences
            )
        )
        for a in articles
    )
    return {
        "articles": len(articles),
        "chars": sum(len(a.text) for a in articles),
        "windows": windows,
        "claims": len(results),
        "verified_by_llm": sum(r.verifier == "llm" for r in results),
        "extract": extract,
        "verify": verify,
        "total": total,
        "cost": dollars(total, table),
        "max_output_tokens": settings.max_output_tokens,
        "max_claims_per_window": settings.max_claims_per_window,
    }


def checkcovid(url: str, tmp: Path, n: int) -> dict:
    """Check-COVID dev claims through `Pipeline.check_claims` over the corpus store."""
    settings = settings_for(url, tmp)
    corpora = CorpusStores(
        settings, make_embedder(settings), REPO_ROOT / "evals" / "runs" / ".cache"
    )
    store = corpora.store("check-covid")
    app = build_app(settings, store=store)
    cases = load_retrieval("check-covid", "dev")[:n]
    records = asyncio.run(
        app.pipeline.check_claims([plain_claim(c.claim, article_id=c.id) for c in cases])
    )
    results = [r for r in records if isinstance(r, ClaimResult)]
    usage = Usage()
    for r in results:
        usage.add(r.provenance.usage)
    return {
        "claims": len(cases),
        "results": len(results),
        "verified_by_llm": sum(r.verifier == "llm" for r in results),
        "usage": usage,
        "evidence_chars": sum(len(e.chunk.text) for r in results for e in r.evidence)
        / max(1, len(results)),
        "store_built_now": corpora.built["check-covid"]["ingested_now"],
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=207, help="Check-COVID dev claims")
    args = parser.parse_args()
    for name in ("bm25s", "httpx", "chromadb"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print_header("cost per claim: LLM calls, tokens and dollars")
    table = load_price_table(None)
    for m in PRICED:
        p = price_for(m, table)
        assert p is not None
        print(f"price {m}: ${p.prompt}/M prompt, ${p.completion}/M completion tokens")
    recorder = Recorder()
    tmp = Path(tempfile.mkdtemp(prefix="fc-costbench-"))
    try:
        with running_stub(StubConfig(responder=recorder, model="gpt-4o-mini")) as url:
            seed = seed_article(url, tmp / "seed", table)
            seed_requests = list(recorder.requests)
            cc = checkcovid(url, tmp / "cc", args.claims)
            cache_file = tmp / "llm-cache.sqlite"
            before = len(recorder.requests)
            first = seed_article(url, tmp / "seed-cached", table, cache=cache_file)
            after_first = len(recorder.requests)
            second = seed_article(url, tmp / "seed-cached", table, cache=cache_file)
            after_second = len(recorder.requests)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n## Seed article, whole pipeline ({seed['articles']} article, {seed['chars']} "
        f"characters, {seed['windows']} extraction windows, {seed['claims']} claims, "
        f"{seed['verified_by_llm']} verified by the LLM)"
    )
    print(TABLE_HEAD)
    print(fmt_usage("extraction", seed["extract"], seed["windows"], "window", table))
    print(fmt_usage("verification", seed["verify"], seed["claims"], "claim", table))
    print(fmt_usage("whole run", seed["total"], seed["claims"], "claim", table))
    print(fmt_usage("whole run", seed["total"], seed["articles"], "article", table))

    print(
        f"\n## Check-COVID dev, {cc['claims']} claims end to end (given claims: retrieve + "
        f"verify; {cc['verified_by_llm']} verified by the LLM, evidence shown "
        f"{cc['evidence_chars']:.0f} characters per claim)"
    )
    print(TABLE_HEAD)
    print(fmt_usage("verification", cc["usage"], cc["results"], "claim", table))

    cap = seed["max_output_tokens"]
    bound = Usage(
        calls=1,
        prompt_tokens=cc["usage"].prompt_tokens // max(1, cc["usage"].calls),
        completion_tokens=cap,
    )
    print(
        f"bound with every verification reply at the {cap}-token output cap: "
        f"${dollars(bound, table)['gpt-4o-mini']:.6f} per call at gpt-4o-mini"
    )

    counter = qwen_counter()
    if counter is not None:
        stub_prompt = qwen_prompt = stub_completion = qwen_completion = 0
        from factcheck.testing.stub_server import estimate_tokens

        for messages, reply in seed_requests:
            stub_prompt += sum(estimate_tokens(m) + 4 for m in messages)
            qwen_prompt += sum(counter(m) + 4 for m in messages)
            stub_completion += estimate_tokens(reply)
            qwen_completion += counter(reply)
        print(
            f"\ntoken cross-check on the seed run's {len(seed_requests)} requests (messages "
            f"only, schema excluded): stub estimate {stub_prompt} prompt / {stub_completion} "
            f"completion; Qwen2.5 BPE {qwen_prompt} / {qwen_completion} "
            f"(estimate / BPE = {stub_prompt / qwen_prompt:.2f} / "
            f"{stub_completion / qwen_completion:.2f})"
        )

    print("\n## Cached re-run of the seed article (FACTCHECK_LLM_CACHE)")
    for label, run, requests in (
        ("first run (empty cache)", first, after_first - before),
        ("second run (same cache)", second, after_second - after_first),
    ):
        u = run["total"]
        print(
            f"{label}: {requests} requests reached the server; pipeline usage {u.calls} calls "
            f"({u.cache_hits} from the cache), {u.billable_tokens} billable tokens of "
            f"{u.prompt_tokens + u.completion_tokens}, reported cost "
            f"${run['cost']['gpt-4o-mini']:.6f} at gpt-4o-mini"
        )
    per_claim = seed["cost"]["gpt-4o-mini"] / max(1, seed["claims"])
    # How many claims a window yields decides how far extraction is amortised. The stub's
    # rule-based extractor only keeps sentences with digits; annotators of Factcheck-GPT
    # documents found this many check-worthy claims per extraction window:
    mini = price_for("gpt-4o-mini", table)
    window_cost = cost_usd(seed["extract"], mini) or 0.0
    window_cost /= max(1, seed["windows"])
    verify_cost = (cost_usd(cc["usage"], mini) or 0.0) / max(1, cc["results"])
    gold_yield = annotated_yield(seed["max_claims_per_window"])
    print(
        f"\nper claim at gpt-4o-mini = verification ${verify_cost:.6f} (Check-COVID mean) + "
        f"extraction ${window_cost:.6f} per window / claims per window:"
    )
    for label, claims_per_window in (
        ("the stub's rule-based yield on the seed article", seed["claims"] / seed["windows"]),
        ("Factcheck-GPT annotated yield (check-worthy gold claims, capped)", gold_yield),
    ):
        total = verify_cost + window_cost / claims_per_window
        print(f"  {claims_per_window:5.2f} claims/window ({label}): ${total:.6f}")
    if verify_cost < 0.0005:
        print(
            f"  break-even: {window_cost / (0.0005 - verify_cost):.2f} claims per window "
            "keep a claim under $0.0005"
        )
    verify_calls = cc["usage"].calls / max(1, cc["results"])
    extract_calls = seed["extract"].calls / max(1, seed["windows"])
    print(
        f"\ntarget <= 1 verification call per claim: {met(verify_calls <= 1)} ({verify_calls:.2f})"
    )
    print(
        f"target extraction amortised per article window: {met(extract_calls <= 1)} "
        f"({extract_calls:.2f} calls per window, {seed['windows']} windows for "
        f"{seed['claims']} claims)"
    )
    estimate = verify_cost + window_cost / gold_yield
    print(
        f"target <= $0.0005 per claim at gpt-4o-mini: {met(estimate <= 0.0005)} at the annotated "
        f"yield (${estimate:.6f}); {met(per_claim <= 0.0005)} at the stub's yield on the seed "
        f"article (${per_claim:.6f})"
    )
    cached_ok = after_second == after_first and second["cost"]["gpt-4o-mini"] == 0
    print(f"target cached re-run costs $0: {met(cached_ok)}")
    print_footer()


if __name__ == "__main__":
    main()
