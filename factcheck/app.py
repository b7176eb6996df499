"""Wires the pipeline's parts together from `Settings` (the one place that knows every part)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chromadb.api.types import EmbeddingFunction
from langchain_core.language_models import BaseChatModel

from factcheck.config import Settings
from factcheck.embeddings import embedder_from_settings
from factcheck.extract import ClaimExtractor, ExtractionSettings
from factcheck.llm import StructuredLLM, structured_llm_from_settings
from factcheck.pipeline import Pipeline, RetrievalSettings
from factcheck.prior_checks import open_prior_checks
from factcheck.prompts import PromptLibrary
from factcheck.store import ReferenceStore
from factcheck.verify import ClaimVerifier, Verifier


@dataclass
class App:
    """The configured parts: settings, prompts, LLM, store and the pipeline over them."""

    settings: Settings
    prompts: PromptLibrary
    llm: StructuredLLM
    store: ReferenceStore
    pipeline: Pipeline


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
    return embedder_from_settings("minilm", intra_op_threads=settings.local_n_threads)


def open_store(settings: Settings) -> ReferenceStore:
    """The reference store with the configured embedder."""
    return ReferenceStore.open(settings, make_embedder(settings))


def make_verifier(settings: Settings, llm: StructuredLLM, prompts: PromptLibrary) -> ClaimVerifier:
    """The configured verifier: the LLM, the offline NLI model, or NLI-then-LLM (cascade)."""
    llm_verifier = Verifier(llm, prompts, relevance_threshold=settings.relevance_threshold)
    if settings.verifier == "llm":
        return llm_verifier
    from factcheck.cascade import CascadeVerifier
    from factcheck.nli import NLIModel, NLISettings, NLIVerifier

    nli = NLIVerifier(
        NLIModel(threads=settings.local_n_threads),
        NLISettings(relevance_threshold=settings.relevance_threshold),
    )
    if settings.verifier == "nli":
        return nli
    return CascadeVerifier(nli, llm_verifier, settings.cascade_threshold)


def build_app(
    settings: Settings,
    *,
    chat_model: BaseChatModel | None = None,
    store: ReferenceStore | None = None,
    prompt_overrides: dict[str, Path] | None = None,
    llm: StructuredLLM | None = None,
    concurrency: int | None = None,
) -> App:
    """Build everything the CLI and the evals need; `chat_model`/`store`/`llm` override
    settings, and `concurrency` the number of articles in flight."""
    prompts = PromptLibrary(settings.prompts_dir, prompt_overrides)
    llm = llm or structured_llm_from_settings(settings, chat_model)
    store = store or open_store(settings)
    extractor = ClaimExtractor(
        llm,
        prompts,
        ExtractionSettings(
            window_sentences=settings.extraction_window_sentences,
            context_sentences=settings.extraction_context_sentences,
            max_claims_per_window=settings.max_claims_per_window,
            checkworthiness_threshold=settings.checkworthiness_threshold,
        ),
    )
    verifier = make_verifier(settings, llm, prompts)
    pipeline = Pipeline(
        extractor,
        store,
        verifier,
        retrieval=retrieval_settings(settings),
        concurrency=concurrency or settings.concurrency,
        model=llm.model_name,
        model_params=llm.describe(),
        embedder=store.embedder_name,
        collection=settings.collection,
        # Prior fact checks live beside a ReferenceStore's collection; another retriever
        # (benchmarks' in-memory ones) has none.
        priors=open_prior_checks(store, settings) if isinstance(store, ReferenceStore) else None,
    )
    return App(settings, prompts, llm, store, pipeline)


def retrieval_settings(settings: Settings) -> RetrievalSettings:
    """Retrieval, time and source-policy settings for the pipeline."""
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
    )
