"""Extraction: article → anchored, self-contained, check-worthy claims, and who made them.

Two extractors share one outcome type (`ExtractionOutcome`):

* `prompted.ClaimExtractor` — the LLM reads windows of sentences and proposes claims with
  quotes, which are anchored to the article (the default with OpenAI or a server), optionally
  after a check-worthiness pre-filter of the windows;
* `offline.OfflineExtractor` — for the small local model: every sentence is scored by the
  shipped check-worthiness head (`checkworthiness`, `sentences`), speakers come from
  deterministic attribution (`attribution`), and the LLM only rewrites one check-worthy
  sentence at a time into claims that are checked against it (`rewrite`).
"""

from factcheck.extract.offline import OfflineExtractor, OfflineSettings
from factcheck.extract.prompted import (
    STEP,
    ClaimExtractor,
    ExtractionOutcome,
    ExtractionSettings,
    RejectedClaim,
    WindowFailure,
    make_windows,
)

Extractor = ClaimExtractor | OfflineExtractor
"""Either extractor: both have `extract(article) -> ExtractionOutcome` and `prompt_hash`."""

__all__ = [
    "STEP",
    "ClaimExtractor",
    "ExtractionOutcome",
    "ExtractionSettings",
    "Extractor",
    "OfflineExtractor",
    "OfflineSettings",
    "RejectedClaim",
    "WindowFailure",
    "make_windows",
]
