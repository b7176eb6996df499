"""The lexical (BM25) side of hybrid retrieval: a per-language tokeniser and an on-disk `bm25s`
index.

Each chunk is tokenised in its own language (the `language` chunk metadata, ISO 639-1; English
when unknown): that language's stop words are dropped and the words reduced by its Snowball
stemmer (PyStemmer), so "homicidios" matches "homicidio" and "falling" matches "falls". A
store may mix languages: the query is tokenised once per language present in the index and the
token sets are unioned. A query word stemmed the way one language does matches chunks of that
language; its other-language forms are mostly absent from the index (stop words of a language
never reach the index, since they are dropped when its chunks are tokenised), so the union costs
little precision. Numbers, names and dates match across languages. Matching an English claim
with a Spanish source by meaning is the dense side's job, with a multilingual embedder.

Chroma's own sparse/BM25 indexes exist only on Chroma Cloud, so BM25 runs in-process. The
index is built from the collection's chunks and saved under a directory named after the
collection fingerprint (plus the tokeniser version), so a process can tell from the name alone
whether a saved index matches the collection. Directories are written under a temporary name
and renamed into place, so concurrent builders never see a half-written index.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import (
    STOPWORDS_EN,
    STOPWORDS_FRENCH,
    STOPWORDS_GERMAN,
    STOPWORDS_ITALIAN,
    STOPWORDS_PORTUGUESE,
    STOPWORDS_SPANISH,
)

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG when imported, which floods users' logs with index notes.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_TMP_MAX_AGE = 3600.0

TOKENIZER_VERSION = "2"
"""Bump when `tokenize` changes: saved indexes with another version are rebuilt."""

_EXTRA_STOPWORDS = (
    "about",
    "after",
    "also",
    "been",
    "before",
    "can",
    "could",
    "did",
    "do",
    "does",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "i",
    "its",
    "more",
    "most",
    "she",
    "so",
    "than",
    "were",
    "what",
    "when",
    "which",
    "who",
    "why",
    "would",
    "you",
    "your",
    "our",
    "we",
    "us",
    "s",
)
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(_EXTRA_STOPWORDS)
"""Lucene's English stopword list plus a few frequent function words. Negations ("no",
"not") are in Lucene's list; BM25 is a recall step, the verifier reads the full chunk."""

DEFAULT_LANGUAGE = "en"
"""Language of chunks and queries whose language is unknown."""

_LANGUAGES: dict[str, tuple[str, frozenset[str]]] = {
    "en": ("english", STOPWORDS),
    "es": ("spanish", frozenset(STOPWORDS_SPANISH)),
    "fr": ("french", frozenset(STOPWORDS_FRENCH)),
    "pt": ("portuguese", frozenset(STOPWORDS_PORTUGUESE)),
    "de": ("german", frozenset(STOPWORDS_GERMAN)),
    "it": ("italian", frozenset(STOPWORDS_ITALIAN)),
}
"""ISO 639-1 code → (Snowball stemmer, stop words) for the languages `factcheck.language` tells
apart; any other code is tokenised as English."""

_stemmers = threading.local()  # PyStemmer objects must not be shared between threads


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    cache: dict[str, Stemmer.Stemmer] = _stemmers.__dict__.setdefault("cache", {})
    if algorithm not in cache:
        cache[algorithm] = Stemmer.Stemmer(algorithm)
    return cache[algorithm]


def tokenizer_language(language: str | None) -> str:
    """The language a text is tokenised as: its code when supported, else English."""
    return language if language in _LANGUAGES else DEFAULT_LANGUAGE


_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def tokenize(text: str, language: str | None = DEFAULT_LANGUAGE) -> list[str]:
    """Lowercased word and number tokens in `language` (ISO 639-1; English when unknown):
    its stop words and one-letter words dropped, words reduced by its Snowball stemmer.

    Numbers are kept whole: "7.3%" → "7.3", "1,200" and "1200" → "1200", "2020s" → "2020s".
    """
    algorithm, stopwords = _LANGUAGES[tokenizer_language(language)]
    tokens: list[str] = []
    words: list[tuple[int, str]] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group()
        if token[0].isdigit():
            if _THOUSANDS.fullmatch(token):
                token = token.replace(",", "")
            tokens.append(token)
        elif len(token) > 1 and token not in stopwords:
            words.append((len(tokens), token))
            tokens.append(token)
    if words:
        stems = _stemmer(algorithm).stemWords([w for _, w in words])
        for (position, _), stem in zip(words, stems, strict=True):
            tokens[position] = stem
    return tokens


def query_tokens(query: str, languages: Sequence[str]) -> list[str]:
    """The query's tokens under each of `languages` (those of the indexed chunks), unioned in
    order of first appearance."""
    seen: dict[str, None] = {}
    for language in languages or (DEFAULT_LANGUAGE,):
        seen.update(dict.fromkeys(tokenize(query, language)))
    return list(seen)


@dataclass
class LexicalIndex:
    """BM25 over a collection's chunks, with each chunk's publication date for filtering and
    the languages its chunks were tokenised in (queries are tokenised in each)."""

    fingerprint: str
    ids: list[str]
    published: np.ndarray  # int yyyymmdd per chunk, 0 when undated
    bm25: bm25s.BM25 | None  # None for an empty collection
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    _positions: dict[str, int] | None = field(default=None, repr=False)
    _id_ranks: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        fingerprint: str,
        rows: Iterable[tuple[str, str, int] | tuple[str, str, int, str | None]],
    ) -> LexicalIndex:
        """Index `(chunk id, text, published yyyymmdd or 0[, language])` rows; a chunk without
        a (supported) language is tokenised as English."""
        ids: list[str] = []
        dates: list[int] = []
        corpus: list[list[str]] = []
        languages: set[str] = set()
        for chunk_id, text, published, *rest in rows:
            language = tokenizer_language(rest[0] if rest else None)
            languages.add(language)
            ids.append(chunk_id)
            dates.append(published)
            corpus.append(tokenize(text, language))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        found = tuple(sorted(languages)) or (DEFAULT_LANGUAGE,)
        return cls(fingerprint, ids, np.asarray(dates, dtype=np.int64), bm25, found)

    def scores(
        self, query: str, *, published_on_or_before: int | None = None, include_undated: bool = True
    ) -> np.ndarray:
        """BM25 score of every chunk for `query`; chunks excluded by the date filter score 0."""
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        token_ids = self.bm25.get_tokens_ids(query_tokens(query, self.languages))
        if not token_ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores = np.asarray(self.bm25.get_scores_from_ids(token_ids), dtype=np.float32)
        if published_on_or_before is not None:
            dated = self.published > 0
            allowed = dated & (self.published <= published_on_or_before)
            if include_undated:
                allowed |= ~dated
            scores = np.where(allowed, scores, 0.0).astype(np.float32)
        return scores

    def restrict(self, scores: np.ndarray, allowed_ids: Iterable[str]) -> np.ndarray:
        """`scores` with every chunk not in `allowed_ids` set to 0."""
        if self._positions is None:
            self._positions = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        keep = [self._positions[i] for i in allowed_ids if i in self._positions]
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[keep] = True
        return np.where(mask, scores, 0.0).astype(np.float32)

    def top(self, scores: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The `n` best `(chunk id, score)` pairs with a positive score, best first; equal
        scores (repeated text) are ordered by chunk id, so two stores of the same chunks rank
        alike whatever order the chunks were added in."""
        positive = np.flatnonzero(scores > 0)
        if len(positive) > n:
            nth_best = -np.partition(-scores[positive], n - 1)[n - 1]
            positive = positive[scores[positive] >= nth_best]  # every tie at the cut stays
        if self._id_ranks is None:
            self._id_ranks = np.argsort(np.argsort(np.asarray(self.ids, dtype=object)))
        order = positive[np.lexsort((self._id_ranks[positive], -scores[positive]))][:n]
        return [(self.ids[i], float(scores[i])) for i in order]

    # ---------------------------------------------------------------------------------------
    # persistence

    @staticmethod
    def dirname(fingerprint: str) -> str:
        """Directory name of the saved index for a fingerprint."""
        return f"{fingerprint}.t{TOKENIZER_VERSION}"

    def save(self, root: Path) -> Path:
        """Write the index to `root/<fingerprint>.t<version>` atomically; prune older ones."""
        root.mkdir(parents=True, exist_ok=True)
        final = root / self.dirname(self.fingerprint)
        tmp = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            if self.bm25 is not None:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            np.save(tmp / "published.npy", self.published)
            manifest = {
                "fingerprint": self.fingerprint,
                "tokenizer": TOKENIZER_VERSION,
                "chunks": len(self.ids),
                "languages": list(self.languages),
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
            tmp.rename(final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (final / "manifest.json").is_file():
                raise
            # another process saved the same index first: theirs is as good as ours
        _prune(root, keep=final.name)
        return final

    @classmethod
    def load(cls, root: Path, fingerprint: str) -> LexicalIndex | None:
        """The saved index for `fingerprint`, or None if absent or unreadable."""
        path = root / cls.dirname(fingerprint)
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("fingerprint") != fingerprint:
                return None
            ids = json.loads((path / "ids.json").read_text(encoding="utf-8"))
            published = np.load(path / "published.npy")
            bm25 = None
            if ids:
                bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            logger.info("lexical index at %s not usable (%s); rebuilding", path, exc)
            return None
        if len(ids) != len(published):
            return None
        languages = tuple(manifest.get("languages") or (DEFAULT_LANGUAGE,))
        return cls(fingerprint, ids, published, bm25, languages)


def _prune(root: Path, keep: str) -> None:
    """Remove saved indexes other than `keep`, and temporary directories left by crashed
    builders (best effort: another process may race us; in-use temporaries are young)."""
    now = time.time()
    for entry in root.iterdir():
        if entry.name == keep or not entry.is_dir():
            continue
        try:
            if entry.name.startswith(".tmp-") and now - entry.stat().st_mtime < _TMP_MAX_AGE:
                continue
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)
