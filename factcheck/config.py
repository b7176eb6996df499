"""Settings from the environment (`FACTCHECK_*`) and `.env`, with fix-it errors for bad values."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from factcheck.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def default_prompts_dir() -> Path:
    """The repository's `prompts/` in a source checkout, else the copy bundled in the wheel."""
    repo_prompts = REPO_DIR / "prompts"
    return repo_prompts if repo_prompts.is_dir() else PACKAGE_DIR / "_bundled" / "prompts"


Backend = Literal["auto", "openai", "local", "fake"]
VerifierKind = Literal["llm", "nli", "cascade"]
StructuredMethod = Literal["auto", "json_schema", "function_calling", "json_mode"]


# Measured on the packaged 0.5B model: 8-sentence windows beat 3- or 4-sentence ones (fewer
# repeats of the ~450-token system prompt, no less faithful); a hard cap of 4 claims per window
# stops padding repeats; one re-ask at most, since each costs a full generation.
SMALL_MODEL_PROFILE: dict[str, object] = {
    "max_claims_per_window": 4,
    "max_reasks": 1,
    "top_k": 4,
    "max_output_tokens": 1024,
    "verifier": "nli",  # the 0.5B model's verdicts are near chance; the offline NLI model is not
    # the 0.5B model finds few claims in windows and names clauses as speakers: sentences are
    # chosen by the check-worthiness head, speakers by attribution, the model only rewrites
    "extractor": "sentences",
    # its rewrites rarely pass the checks (2 of 14 on the seed article) and add nothing on
    # held-back Factcheck-GPT documents (claim recall 0.267 vs 0.277 without, precision 0.692 vs
    # 0.727, 34 calls): sentences are split and their pronouns resolved without it
    "claim_rewrite": "never",
}


RELEVANCE_THRESHOLDS: dict[str, float] = {"minilm": 0.25, "minilm-claims": 0.13, "openai": 0.25}
"""Default dense-similarity floor of evidence shown to the verifier, per embedder (their cosine
scales differ). Measured on Check-COVID dev, claim vs its gold rationale and vs another claim's:
stock MiniLM at 0.25 drops 4.3% of gold and passes 57% of unrelated rationales; the
claims-trained MiniLM at 0.13 drops 4.8% of gold and passes 43.5% of unrelated ones."""


class Settings(BaseSettings):
    """Every knob of the pipeline. See `.env.example` for the documented list."""

    model_config = SettingsConfigDict(
        env_prefix="FACTCHECK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
        populate_by_name=True,
    )

    # --- LLM backend -------------------------------------------------------------------------
    llm_backend: Backend = "auto"
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("FACTCHECK_OPENAI_API_KEY", "OPENAI_API_KEY"),
    )
    base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("FACTCHECK_BASE_URL", "OPENAI_BASE_URL")
    )
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_output_tokens: int = Field(default=1024, ge=16)
    structured_output_method: StructuredMethod = "auto"
    max_reasks: int = Field(default=2, ge=0, le=10)
    request_timeout: float = Field(default=120.0, gt=0)
    sdk_max_retries: int = Field(default=3, ge=0, le=10)
    llm_cache: Path | None = None

    # --- local (in-process llama.cpp) backend ------------------------------------------------
    local_model_path: Path | None = None
    local_n_ctx: int = Field(default=4096, ge=512)
    local_n_threads: int | None = Field(default=None, ge=1)
    local_seed: int = 0
    fake_latency: float = Field(default=0.0, ge=0.0)

    # --- reference store ---------------------------------------------------------------------
    chroma_path: Path = Path(".factcheck/chroma")
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    collection: str = "references"
    embedder: Literal["minilm", "minilm-claims", "openai"] = "minilm-claims"
    openai_embedding_model: str = "text-embedding-3-small"
    chunk_size: int = Field(default=800, ge=100)
    chunk_overlap: int = Field(default=120, ge=0)
    chunk_title: bool = True

    # --- retrieval ---------------------------------------------------------------------------
    top_k: int = Field(default=6, ge=1, le=50)
    candidates: int = Field(default=30, ge=1, le=500)
    rrf_k: int = Field(default=60, ge=1)
    fusion: Literal["rrf", "score"] = "score"
    dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    relevance_threshold: float | None = Field(default=None, ge=-1.0, le=1.0)
    rerank: bool = False
    rerank_depth: int = Field(default=5, ge=1, le=200)
    rerank_weight: float = Field(default=0.25, ge=0.0, le=1.0)

    # --- verification ------------------------------------------------------------------------
    verifier: VerifierKind = "llm"
    cascade_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    nli_commit_threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    nli_conflict_threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    output_language: str = Field(default="claim", pattern=r"^(claim|[a-z]{2})$")

    # --- extraction --------------------------------------------------------------------------
    extraction_window_sentences: int = Field(default=8, ge=1)
    extraction_context_sentences: int = Field(default=2, ge=0)
    max_claims_per_window: int = Field(default=8, ge=1, le=50)
    checkworthiness_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    extractor: Literal["prompted", "sentences"] = "prompted"
    sentence_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    claim_rewrite: Literal["needed", "always", "never"] = "needed"
    extraction_prefilter: bool = False

    # --- orchestration & outputs -------------------------------------------------------------
    concurrency: int = Field(default=4, ge=1, le=256)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    price_table: Path | None = None
    prompts_dir: Path = Field(default_factory=default_prompts_dir)
    output_dir: Path = Path("runs")
    max_input_bytes: int = Field(default=5_000_000, ge=1_000)

    # --- fetching URLs (factcheck ingest/run URL or FILE.urls) ------------------------------
    fetch_connect_timeout: float = Field(default=10.0, gt=0)
    fetch_timeout: float = Field(default=30.0, gt=0)
    fetch_max_bytes: int = Field(default=20_000_000, ge=1_000)
    fetch_max_redirects: int = Field(default=5, ge=0, le=30)

    # --- publishing (ClaimReview export) -----------------------------------------------------
    org_name: str | None = None
    org_url: str | None = None
    review_url_template: str | None = None
    rating_scale: Path | None = None

    # --- time and source policy --------------------------------------------------------------
    as_of: date | None = None
    evidence_before_claim_date: bool = True
    max_evidence_age_days: int = Field(default=365, ge=0)
    allow_publishers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    deny_publishers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    tier_weights: Annotated[dict[int, float], NoDecode] = Field(default_factory=dict)
    exclude_own_sources: bool = True
    prior_match_threshold: float = Field(default=0.75, ge=-1.0, le=1.0)

    @field_validator("allow_publishers", "deny_publishers", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("tier_weights", mode="before")
    @classmethod
    def _tier_weights(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        weights: dict[int, float] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            tier, sep, weight = item.partition(":")
            try:
                weights[int(tier)] = float(weight) if sep else float("nan")
            except ValueError:
                raise ValueError(f"{item!r} is not TIER:WEIGHT, e.g. 1:1.0,2:0.8,3:0.5") from None
        return weights

    @field_validator("tier_weights", mode="after")
    @classmethod
    def _check_tier_weights(cls, value: dict[int, float]) -> dict[int, float]:
        for tier, weight in value.items():
            if tier not in (1, 2, 3) or not weight >= 0:
                raise ValueError(f"tier {tier}: tiers are 1-3 and weights numbers >= 0")
        return value

    @field_validator("chroma_path", mode="after")
    @classmethod
    def _absolute_store_path(cls, value: Path) -> Path:
        # Resolved once, here: a relative path names a different store in every folder the
        # command runs from, so every message and record shows the absolute one.
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("FACTCHECK_CHUNK_OVERLAP must be smaller than FACTCHECK_CHUNK_SIZE")
        return self

    def resolved_backend(self) -> Literal["openai", "local", "fake"]:
        """`auto` means OpenAI(-compatible) when a key or base URL is set, else the local model."""
        if self.llm_backend != "auto":
            return self.llm_backend
        return "openai" if (self.openai_api_key or self.base_url) else "local"

    def resolved_relevance_threshold(self) -> float:
        """The relevance threshold: as set, else the embedder's own (its cosine scale differs:
        `RELEVANCE_THRESHOLDS`)."""
        if self.relevance_threshold is not None:
            return self.relevance_threshold
        return RELEVANCE_THRESHOLDS[self.embedder]

    def for_backend(self) -> Settings:
        """A copy tuned for the resolved backend: the small local model gets short extraction
        windows, fewer claims per window and fewer evidence passages (each only where the user
        did not set the value explicitly)."""
        if self.resolved_backend() != "local":
            return self
        updates = {k: v for k, v in SMALL_MODEL_PROFILE.items() if k not in self.model_fields_set}
        return self.model_copy(update=updates)

    def public_dict(self) -> dict[str, object]:
        """Settings safe to print or record: secrets are reported only as set / not set."""
        data = self.model_dump(mode="json")
        data["openai_api_key"] = "set" if self.openai_api_key else None
        return data


OTHER_VARIABLES = frozenset(
    {
        "FACTCHECK_MODEL_CACHE",  # where the local model's joined GGUF file is kept
        "FACTCHECK_SHARED_DATA",  # the shared dev datasets (evals, training)
        "FACTCHECK_FAULT_SEED",  # the fault-injection tests
        "FACTCHECK_REVIEW_TOKEN",  # the review desk's access token
    }
)
"""`FACTCHECK_*` variables that are read elsewhere, not settings."""


def known_variables() -> set[str]:
    """Every `FACTCHECK_*` name that means something to factcheck."""
    names = {f"FACTCHECK_{name.upper()}" for name in Settings.model_fields}
    return names | set(OTHER_VARIABLES)


def unknown_variables(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """One message per `FACTCHECK_*` name in the environment or `.env` that is not a setting,
    naming the closest known one (a typo such as FACTCHECK_VERIFER is otherwise ignored)."""
    environ = os.environ if environ is None else environ
    seen = {name: "environment" for name in environ if name.upper().startswith("FACTCHECK_")}
    if env_file is not None and env_file.is_file():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            name = line.split("=", 1)[0].strip().removeprefix("export ").strip()
            if name.upper().startswith("FACTCHECK_") and "=" in line:
                seen.setdefault(name, str(env_file))
    known = known_variables()
    messages = []
    for name, where in sorted(seen.items()):
        if name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; see .env.example for the settings"
        messages.append(f"{name} (in the {where}) is not a factcheck setting{hint}")
    return messages


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning validation errors into a `ConfigError` that names each variable.

    A `FACTCHECK_*` variable that is not a setting is an error too (with the closest name)."""
    unknown = unknown_variables()
    if unknown:
        raise ConfigError(
            "Unknown setting:\n  "
            + "\n  ".join(unknown)
            + "\nRename or remove it (see .env.example for every setting)."
        )
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            env = f"FACTCHECK_{field.upper()}"
            shown = "<redacted>" if "key" in field else repr(err.get("input"))
            lines.append(f"{env}: {err['msg']} (got {shown})")
        raise ConfigError(
            "Invalid configuration:\n  "
            + "\n  ".join(lines)
            + "\nFix the environment variable or the .env file (see .env.example)."
        ) from None
