"""Which language a text is in, so that English-only models are never asked to judge text they
cannot read (lingua, offline, restricted to the languages newsrooms here meet most)."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# ISO 639-1 codes of the languages told apart. A text in another language is reported as the
# closest of these or as undetermined; either way it is not taken for English unless it is.
LANGUAGES = ("en", "es", "fr", "pt", "de", "it")
MIN_LETTERS = 12
"""Texts with fewer letters than this (numbers, names, fragments) are undetermined."""
MIN_RELATIVE_DISTANCE = 0.1
"""lingua's margin between the best and second-best language; closer calls are undetermined."""

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "de": "German",
    "it": "Italian",
}
"""English names of ISO 639-1 codes, as prompts name a language."""

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )


SOURCE_MIN_LETTERS = 40
"""A source needs this many letters for its language to be told: its language decides how BM25
tokenises it, and in a store of several languages how every query is tokenised, so a name or a
bibliography line ("Holstein, James A.", taken for German) must not make a store mixed."""


def detect_language(text: str, *, min_letters: int = MIN_LETTERS) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when it cannot be told (fewer than
    `min_letters` letters, mostly numbers and names, or too close a call)."""
    if sum(ch.isalpha() for ch in text) < min_letters:
        return None
    with _lock:
        detector = _detector()
    language = detector.detect_language_of(text)
    return None if language is None else language.iso_code_639_1.name.lower()


def language_name(code: str | None) -> str | None:
    """The English name of an ISO 639-1 code ("es" → "Spanish"), None when unknown."""
    return LANGUAGE_NAMES.get(code or "")


LANGUAGE_SAMPLE = 2000
"""Characters read to tell the language of a long text (an article, a source)."""


@lru_cache(maxsize=256)
def article_language(text: str) -> str:
    """How a prompt names the language of a long text: "Spanish (es)", or "undetermined"."""
    code = detect_language(text[:LANGUAGE_SAMPLE])
    name = language_name(code)
    return f"{name} ({code})" if name else "undetermined"


def readable_by(text: str, languages: frozenset[str]) -> bool:
    """Whether a model that reads `languages` can read `text` (undetermined text counts as
    readable: it is mostly numbers and names)."""
    language = detect_language(text)
    return language is None or language in languages


def language_tag(value: str) -> str | None:
    """A declared language (`en-US`, `es_MX`, `ES`) as a lower-case ISO 639-1 code (`en`,
    `es`), or None when it does not start with a two-letter code."""
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if len(primary) == 2 and primary.isascii() and primary.isalpha() else None
