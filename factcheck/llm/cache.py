"""An on-disk LLM response cache: a LangChain `BaseCache` backed by sqlite.

Pass it as `cache=` to a chat model (or set `FACTCHECK_LLM_CACHE`): a call whose model,
parameters, rendered messages and response schema were seen before is answered from disk and
never reaches the model. Re-running an unchanged eval suite therefore makes no model calls, and
editing one prompt re-runs only the calls rendered from it.

The key is sha256 over LangChain's two cache inputs plus the response schema:

* ``llm_string`` — LangChain builds it from the model's parameters and the call's bound
  keyword arguments. For `ChatOpenAI` these include the full JSON schema (`response_format`
  with ``json_schema``, `tools` with ``function_calling``), but with ``json_mode`` and for
  chat models that bind a pydantic class (the fake and the local model) only the class's
  *name* appears — so an edited schema with the same class name would collide;
* ``prompt`` — the serialised messages (message ids removed);
* the JSON schema of the expected reply, set by `StructuredLLM` through `response_schema()`
  for the duration of the call (a context variable), which closes that gap for every method.

A cache hit returns the stored message with the *original* `usage_metadata` (LangChain only
adds ``total_cost: 0``), so token counts alone cannot tell hits from calls: hits are counted
explicitly, per cache (`stats`) and per unit of work (`count_hits()`), and the message is
marked (`CACHE_HIT_KEY` in its `response_metadata`) so its usage is recorded as cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.messages import message_to_dict, messages_from_dict
from langchain_core.outputs import ChatGeneration, Generation
from pydantic import BaseModel

SCHEMA_VERSION = 1
CACHE_HIT_KEY = "factcheck_cache_hit"
"""Set (True) in the `response_metadata` of a message answered from this cache, so usage
accounting can tell a hit, which costs nothing, from a call (`llm.usage_of`)."""


@dataclass
class CacheTally:
    """Cache hits and misses, and the tokens the hits would have cost."""

    hits: int = 0
    misses: int = 0
    hit_prompt_tokens: int = 0
    hit_completion_tokens: int = 0

    def add(self, other: CacheTally) -> None:
        """Accumulate another tally into this one."""
        self.hits += other.hits
        self.misses += other.misses
        self.hit_prompt_tokens += other.hit_prompt_tokens
        self.hit_completion_tokens += other.hit_completion_tokens


_TALLY: ContextVar[CacheTally | None] = ContextVar("factcheck_cache_tally", default=None)
_SCHEMA: ContextVar[str] = ContextVar("factcheck_response_schema", default="")


@contextmanager
def count_hits(tally: CacheTally) -> Iterator[CacheTally]:
    """Count the cache lookups made inside this block (and tasks it starts) into `tally`."""
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)


def schema_fingerprint(schema: type[BaseModel] | None) -> str:
    """sha256 of a pydantic model's JSON schema (its class name and every field)."""
    if schema is None:
        return ""
    return _schema_fingerprint(schema)


@functools.lru_cache(maxsize=128)
def _schema_fingerprint(schema: type[BaseModel]) -> str:
    # Once per class: building the JSON schema costs ~0.5 ms, and this runs on every LLM call.
    text = json.dumps(schema.model_json_schema(), sort_keys=True, ensure_ascii=False)
    name = f"{schema.__module__}.{schema.__qualname__}"
    return hashlib.sha256(f"{name}\x00{text}".encode()).hexdigest()


@contextmanager
def response_schema(schema: type[BaseModel] | None) -> Iterator[None]:
    """Make `schema` part of the cache key of the calls made inside this block."""
    token = _SCHEMA.set(schema_fingerprint(schema))
    try:
        yield
    finally:
        _SCHEMA.reset(token)


def _key(prompt: str, llm_string: str) -> str:
    joined = f"v{SCHEMA_VERSION}\x1f{llm_string}\x1f{_SCHEMA.get()}\x1f{prompt}"
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _dump(generations: Sequence[Generation]) -> str:
    rows = []
    for gen in generations:
        if isinstance(gen, ChatGeneration):
            rows.append({"message": message_to_dict(gen.message), "info": gen.generation_info})
        else:
            rows.append({"text": gen.text, "info": gen.generation_info})
    return json.dumps(rows, ensure_ascii=False)


def _load(text: str) -> list[Generation]:
    out: list[Generation] = []
    for row in json.loads(text):
        if "message" in row:
            (message,) = messages_from_dict([row["message"]])
            out.append(ChatGeneration(message=message, generation_info=row.get("info")))
        else:
            out.append(Generation(text=row["text"], generation_info=row.get("info")))
    return out


def _usage(generations: Sequence[Generation]) -> tuple[int, int]:
    prompt = completion = 0
    for gen in generations:
        meta = getattr(getattr(gen, "message", None), "usage_metadata", None) or {}
        prompt += int(meta.get("input_tokens", 0) or 0)
        completion += int(meta.get("output_tokens", 0) or 0)
    return prompt, completion


class SQLiteLLMCache(BaseCache):
    """LLM replies in one sqlite file; safe to share between threads of one process.

    Several processes may use the same file (sqlite locks it); the last writer of a key wins,
    which is harmless because equal keys mean equal requests.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS llm_cache (key TEXT PRIMARY KEY, llm TEXT NOT NULL, "
                "response TEXT NOT NULL, created REAL NOT NULL)"
            )
        self.stats = CacheTally()

    def __repr__(self) -> str:
        return f"SQLiteLLMCache({str(self.path)!r})"

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """The stored generations for this request, or None; counts the hit or miss."""
        key = _key(prompt, llm_string)
        with self._lock:
            row = self._db.execute(
                "SELECT response FROM llm_cache WHERE key = ?", (key,)
            ).fetchone()
        tally = _TALLY.get()
        if row is None:
            self.stats.misses += 1
            if tally is not None:
                tally.misses += 1
            return None
        generations = _load(row[0])
        for gen in generations:
            if isinstance(gen, ChatGeneration):
                gen.message.response_metadata[CACHE_HIT_KEY] = True
        prompt_tokens, completion_tokens = _usage(generations)
        for target in (self.stats, tally):
            if target is not None:
                target.hits += 1
                target.hit_prompt_tokens += prompt_tokens
                target.hit_completion_tokens += completion_tokens
        return generations

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store the generations of a completed call."""
        key = _key(prompt, llm_string)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO llm_cache (key, llm, response, created) VALUES (?,?,?,?)",
                (key, llm_string[:2000], _dump(return_val), time.time()),
            )

    # Async variants run inline: sqlite lookups take microseconds, and staying on the
    # event loop's thread keeps the context variables (tally, schema) in scope.
    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async `lookup` (inline)."""
        return self.lookup(prompt, llm_string)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Async `update` (inline)."""
        self.update(prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        """Delete every stored reply."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM llm_cache")

    async def aclear(self, **kwargs: Any) -> None:
        """Async `clear` (inline)."""
        self.clear()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()
