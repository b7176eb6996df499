"""The composition root: the one place that reads `Settings` and builds the parts from it.

Every library part below takes the small typed settings it needs; this module maps the user's
settings onto them (and applies the small-model profile of the local backend), so each setting
has one source of truth: `factcheck.config`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import EmbeddingFunction
from langchain_core.language_models import BaseChatModel

from factcheck.config import Settings
from factcheck.errors import ConfigError
from factcheck.extract import (
    ClaimExtractor,
    ExtractionSettings,
    Extractor,
    OfflineExtractor,
    OfflineSettings,
)
from factcheck.extract.checkworthiness import CheckworthinessScorer
from factcheck.extract.rewrite import ClaimRewriter
from factcheck.io.fetch import FetchSettings
from factcheck.io.inputs import read_sources
from factcheck.llm.batch.queue import BatchingLLM, BatchMode, batching_llm
from factcheck.llm.cache import SQLiteLLMCache
from factcheck.llm.pricing import Price, load_price_table, price_for
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.ratelimit import RateLimiter
from factcheck.llm.structured import RetryCounter, StructuredLLM
from factcheck.pipeline import Pipeline, Retriever
from factcheck.reports.claimreview import Publisher, make_publisher
from factcheck.retrieval.chroma import StoreLocation
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction, embedder_from_settings
from factcheck.retrieval.prior_checks import PriorCheckStore
from factcheck.retrieval.prior_checks import open_prior_checks as open_priors_beside
from factcheck.retrieval.reembed import ReembedReport, reembed_store
from factcheck.retrieval.rerank import Reranker
from factcheck.retrieval.source_policy import RetrievalSettings
from factcheck.retrieval.store import (
    ChunkingSettings,
    IngestReport,
    ReferenceStore,
    SearchSettings,
    StoreSettings,
)
from factcheck.verify.base import ClaimVerifier
from factcheck.verify.checks import CheckedVerifier
from factcheck.verify.llm import LLMVerifier
from factcheck.verify.trends import SeriesReader, TrendChecker


@dataclass
class App:
    """The configured parts: settings, prompts, LLM, store and the pipeline over them."""

    settings: Settings
    prompts: PromptLibrary
    llm: StructuredLLM
    store: Retriever
    pipeline: Pipeline
    reference_store: ReferenceStore | None = None
    """The Chroma store behind `store` (None when a bare retriever was given)."""

    def require_sources(self) -> None:
        """Raise `StoreError` naming the store and the fix when it holds no sources (checking
        claims against it would answer NOT_ENOUGH_EVIDENCE for every claim)."""
        if self.reference_store is not None:
            self.reference_store.ensure_not_empty()


# --- the LLM ---------------------------------------------------------------------------------


def build_chat_model(
    settings: Settings, retry_counter: RetryCounter | None = None
) -> tuple[BaseChatModel, str, str]:
    """Create the configured chat model; returns `(model, display name, structured method)`.

    With a `retry_counter`, an OpenAI(-compatible) model gets HTTP clients that report the
    SDK's retries to it (the SDK still owns and performs every retry).
    """
    backend = settings.resolved_backend()
    if backend == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.openai_api_key and not settings.base_url:
            raise ConfigError(
                "FACTCHECK_LLM_BACKEND=openai needs FACTCHECK_OPENAI_API_KEY (or OPENAI_API_KEY) "
                "for OpenAI, or FACTCHECK_BASE_URL for an OpenAI-compatible server."
            )
        extra: dict[str, Any] = {}
        if settings.base_url is not None:
            # langchain-openai sends the cap as `max_completion_tokens`, which llama.cpp's
            # server (and older vLLM / Ollama) ignore: without `max_tokens` a small model can
            # generate until its context is full.
            extra["extra_body"] = {"max_tokens": settings.max_output_tokens}
        if retry_counter is not None:
            extra["http_async_client"] = retry_counter.http_async_client(settings.request_timeout)
        model = ChatOpenAI(
            model=settings.model,
            api_key=_api_key(settings),
            base_url=settings.base_url,
            temperature=settings.temperature,
            max_tokens=settings.max_output_tokens,
            timeout=settings.request_timeout,
            max_retries=settings.sdk_max_retries,
            stream_usage=True,
            **extra,
        )
        method = settings.structured_output_method
        if method == "auto":
            method = "json_schema" if settings.base_url is None else "function_calling"
        where = settings.base_url or "api.openai.com"
        return model, f"{settings.model} @ {where}", method
    if backend == "local":
        from factcheck.llm.local import LocalModelSettings, build_local_chat_model

        local, name = build_local_chat_model(
            LocalModelSettings(
                model_path=settings.local_model_path,
                n_ctx=settings.local_n_ctx,
                n_threads=settings.local_n_threads,
                temperature=settings.temperature,
                max_tokens=settings.max_output_tokens,
                seed=settings.local_seed,
                max_claims_per_window=settings.max_claims_per_window,
            )
        )
        return local, name, "json_schema"
    from factcheck.llm.fake import FakeChatModel

    return FakeChatModel(latency=settings.fake_latency), "fake", "json_schema"


def build_llm(settings: Settings, chat_model: BaseChatModel | None = None) -> StructuredLLM:
    """The `StructuredLLM` the pipeline uses, from settings (or around a given chat model)."""
    counter: RetryCounter | None = None
    if chat_model is None:
        counter = RetryCounter()
        chat_model, name, method = build_chat_model(settings, counter)
        if settings.llm_cache is not None:
            chat_model.cache = SQLiteLLMCache(settings.llm_cache)
    else:
        name = getattr(chat_model, "model_name", None) or type(chat_model).__name__
        method = (
            "json_schema"
            if settings.structured_output_method == "auto"
            else settings.structured_output_method
        )
    return StructuredLLM(
        chat_model,
        method=method,
        max_reasks=settings.max_reasks,
        model_name=name,
        params={
            "temperature": settings.temperature,
            "max_output_tokens": settings.max_output_tokens,
        },
        max_concurrency=settings.concurrency,
        rate_limiter=RateLimiter(settings.requests_per_minute, settings.tokens_per_minute),
        max_output_tokens=settings.max_output_tokens,
        retry_counter=counter,
        cap_tool_schemas=settings.base_url is not None,
    )


def build_batching_llm(settings: Settings, state_dir: Path, mode: BatchMode) -> BatchingLLM:
    """A `BatchingLLM` over the configured OpenAI(-compatible) backend and its Batch API."""
    import openai

    if settings.resolved_backend() != "openai":
        raise ConfigError(
            "--batch-api needs the OpenAI backend: set FACTCHECK_OPENAI_API_KEY (or "
            "FACTCHECK_BASE_URL for a server with the Files and Batches endpoints)"
        )
    client = openai.AsyncOpenAI(
        api_key=_api_key(settings),
        base_url=settings.base_url,
        timeout=settings.request_timeout,
        max_retries=settings.sdk_max_retries,
    )
    return batching_llm(build_llm(settings), client, state_dir, mode)


def price_of(settings: Settings) -> Price:
    """The price per token of the configured model (free for the local and fake backends)."""
    if settings.resolved_backend() != "openai":
        return Price(0.0, 0.0)
    return price_for(settings.model, load_price_table(settings.price_table))


def _api_key(settings: Settings) -> str:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"


# --- the reference store -------------------------------------------------------------------


def make_embedder(settings: Settings) -> EmbeddingFunction:
    """The configured embedding function (offline MiniLM by default, or OpenAI)."""
    if settings.embedder == "openai":
        return embedder_from_settings(
            "openai",
            model=settings.openai_embedding_model,
            api_key=settings.openai_api_key,
            base_url=settings.base_url,
            timeout=settings.request_timeout,
            max_retries=settings.sdk_max_retries,
        )
    return embedder_from_settings(settings.embedder, intra_op_threads=settings.local_n_threads)


def store_settings(settings: Settings) -> StoreSettings:
    """Where the store lives, how it chunks and how it searches."""
    return StoreSettings(
        location=StoreLocation(
            chroma_path=settings.chroma_path,
            collection=settings.collection,
            chroma_host=settings.chroma_host,
            chroma_port=settings.chroma_port,
        ),
        chunking=ChunkingSettings(
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
            chunk_title=settings.chunk_title,
        ),
        search=SearchSettings(
            top_k=settings.top_k,
            candidates=settings.candidates,
            rrf_k=settings.rrf_k,
            fusion=settings.fusion,
            dense_weight=settings.dense_weight,
        ),
    )


def make_reranker(settings: Settings) -> Reranker | None:
    """The relevance re-ranker (None when FACTCHECK_RERANK is off)."""
    if not settings.rerank:
        return None
    return Reranker(
        depth=settings.rerank_depth,
        weight=settings.rerank_weight,
        threads=settings.local_n_threads,
    )


def open_store(settings: Settings) -> ReferenceStore:
    """The reference store with the configured embedder and re-ranker."""
    return ReferenceStore.open(
        store_settings(settings), make_embedder(settings), reranker=make_reranker(settings)
    )


def reembed_store_of(settings: Settings) -> ReembedReport:
    """Re-embed the configured store's collections with the configured embedder."""
    return reembed_store(store_settings(settings).location, make_embedder(settings))


def ingest_paths(
    store: ReferenceStore,
    paths: Sequence[str | Path],
    *,
    max_bytes: int | None = None,
    fetch: FetchSettings | None = None,
) -> IngestReport:
    """Read the reference files, folders and URLs in `paths` into `store`; unreadable items
    are recorded in the report's errors (the rest are ingested)."""
    kwargs = {"max_bytes": max_bytes} if max_bytes is not None else {}
    return store.ingest(read_sources(list(paths), fetch=fetch, **kwargs))


def fetch_settings(settings: Settings) -> FetchSettings:
    """The limits for fetching URLs (`FACTCHECK_FETCH_*`)."""
    return FetchSettings(
        connect_timeout=settings.fetch_connect_timeout,
        timeout=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
    )


def open_prior_checks(
    store: ReferenceStore, settings: Settings, *, create: bool = False
) -> PriorCheckStore | None:
    """The published fact checks beside `store`'s collection (None when there are none and
    `create` is False)."""
    if create:
        return PriorCheckStore.open(store, settings.prior_match_threshold, create=True)
    return open_priors_beside(store, settings.prior_match_threshold)


# --- extraction ------------------------------------------------------------------------------


def make_scorer(settings: Settings) -> CheckworthinessScorer:
    """The shipped check-worthiness head over the offline MiniLM embedder (always MiniLM: the
    head was trained on its embeddings, whatever embedder the store uses)."""
    embedder = MiniLMEmbeddingFunction(intra_op_threads=settings.local_n_threads)
    scorer = CheckworthinessScorer(embedder)
    if settings.sentence_threshold is not None:
        scorer.threshold = settings.sentence_threshold
    return scorer


def make_extractor(settings: Settings, llm: StructuredLLM, prompts: PromptLibrary) -> Extractor:
    """The configured extractor: prompted windows (optionally pre-filtered by the
    check-worthiness head) or the sentence-level offline extractor."""
    if settings.extractor == "sentences":
        return OfflineExtractor(
            make_scorer(settings),
            ClaimRewriter(llm, prompts) if settings.claim_rewrite != "never" else None,
            OfflineSettings(rewrite=settings.claim_rewrite),
        )
    return ClaimExtractor(
        llm,
        prompts,
        ExtractionSettings(
            window_sentences=settings.extraction_window_sentences,
            context_sentences=settings.extraction_context_sentences,
            max_claims_per_window=settings.max_claims_per_window,
            checkworthiness_threshold=settings.checkworthiness_threshold,
        ),
        prefilter=make_scorer(settings) if settings.extraction_prefilter else None,
    )


# --- verification and the pipeline -----------------------------------------------------------


def make_verifier(
    settings: Settings,
    llm: StructuredLLM,
    prompts: PromptLibrary,
    series: SeriesReader | None = None,
) -> ClaimVerifier:
    """The configured verifier — the LLM, the offline NLI model, or NLI-then-LLM (cascade) —
    behind the checks every verdict passes (numbers and dates, valid citations). With
    `series` (the reference store), change claims get trends computed from table rows."""
    trends = TrendChecker(series) if series is not None else None
    return CheckedVerifier(choose_verifier(settings, llm, prompts), trends)


def choose_verifier(
    settings: Settings, llm: StructuredLLM, prompts: PromptLibrary
) -> ClaimVerifier:
    """The configured verifier itself (see `make_verifier`)."""
    llm_verifier = LLMVerifier(
        llm,
        prompts,
        relevance_threshold=settings.resolved_relevance_threshold(),
        output_language=settings.output_language,
    )
    if settings.verifier == "llm":
        return llm_verifier
    from factcheck.verify.cascade import CascadeVerifier
    from factcheck.verify.nli import NLIModel, NLISettings, NLIVerifier

    nli = NLIVerifier(
        NLIModel(threads=settings.local_n_threads),
        NLISettings(
            relevance_threshold=settings.resolved_relevance_threshold(),
            commit_threshold=settings.nli_commit_threshold,
            conflict_threshold=settings.nli_conflict_threshold,
        ),
    )
    if settings.verifier == "nli":
        return nli
    return CascadeVerifier(nli, llm_verifier, settings.cascade_threshold)


def retrieval_settings(settings: Settings, reranker: Reranker | None = None) -> RetrievalSettings:
    """Retrieval, time and source-policy settings for the pipeline; `reranker` is the one the
    retriever applies (recorded in results)."""
    return RetrievalSettings(
        top_k=settings.top_k,
        candidates=settings.candidates,
        rrf_k=settings.rrf_k,
        evidence_before_claim_date=settings.evidence_before_claim_date,
        as_of=settings.as_of,
        allow_publishers=tuple(settings.allow_publishers),
        deny_publishers=tuple(settings.deny_publishers),
        tier_weights=dict(settings.tier_weights),
        exclude_own_sources=settings.exclude_own_sources,
        max_evidence_age_days=settings.max_evidence_age_days,
        reranker=reranker.name if reranker else None,
        rerank_depth=reranker.depth if reranker else None,
        rerank_weight=reranker.weight if reranker else None,
    )


def build_app(
    settings: Settings,
    *,
    chat_model: BaseChatModel | None = None,
    store: ReferenceStore | None = None,
    retriever: Retriever | None = None,
    prompt_overrides: dict[str, Path] | None = None,
    llm: StructuredLLM | None = None,
    concurrency: int | None = None,
) -> App:
    """Build everything the CLI, the Python API and the evals need.

    The backend's profile is applied first (`Settings.for_backend`: the small local model gets
    short windows and the offline NLI verifier), exactly as the CLI does. `chat_model`, `llm`
    and `store` override what settings would build; `retriever` replaces the reference store
    with any object that has `search_many` (benchmarks' in-memory retrievers; no prior fact
    checks then); `concurrency` sets the number of articles in flight."""
    settings = settings.for_backend()
    prompts = PromptLibrary(settings.prompts_dir, prompt_overrides)
    llm = llm or build_llm(settings, chat_model)
    reference_store = store if retriever is None else None
    if retriever is None:
        reference_store = store or open_store(settings)
        retriever = reference_store
    extractor = make_extractor(settings, llm, prompts)
    pipeline = Pipeline(
        extractor,
        retriever,
        make_verifier(settings, llm, prompts, reference_store),
        retrieval=retrieval_settings(settings, getattr(retriever, "reranker", None)),
        concurrency=concurrency or settings.concurrency,
        model=llm.model_name,
        model_params=llm.describe(),
        embedder=getattr(retriever, "embedder_name", None),
        collection=settings.collection,
        priors=open_prior_checks(reference_store, settings) if reference_store else None,
        tables=reference_store is not None,
    )
    return App(settings, prompts, llm, retriever, pipeline, reference_store)


def build_batch_app(settings: Settings, state_dir: Path, mode: BatchMode) -> App:
    """The app for `run --batch-api`: LLM calls queued into OpenAI batches."""
    settings = settings.for_backend()
    return build_app(
        settings, llm=build_batching_llm(settings, state_dir, mode), concurrency=mode.window
    )


def publisher_of(settings: Settings) -> Publisher:
    """The publisher for ClaimReview export (FACTCHECK_ORG_* settings)."""
    return make_publisher(
        settings.org_name, settings.org_url, settings.review_url_template, settings.rating_scale
    )
