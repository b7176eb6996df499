"""factcheck: extract check-worthy claims from news articles and verify them.

The Python API (loaded on first use, so `import factcheck` stays light)::

    from factcheck import Checker, read_results

    checker = Checker.open()                  # settings from FACTCHECK_* variables / .env
    checker.ingest(["seeds/reference"])       # trusted reference sources
    result = checker.check_claim("Mexico transferred 37 cartel figures to the US.")
    print(result.verdict, result.confidence, [c.quote for c in result.citations])
    records = checker.check_article(text, title="...", publisher="...")
    run = read_results("runs/demo/results.jsonl")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Checker": "factcheck.api",
    "Settings": "factcheck.config",
    "load_settings": "factcheck.config",
    "FactcheckError": "factcheck.errors",
    "Article": "factcheck.models",
    "Claim": "factcheck.models",
    "ClaimResult": "factcheck.models",
    "ErrorRecord": "factcheck.models",
    "Verdict": "factcheck.models",
    "read_results": "factcheck.io.results",
    "find_result": "factcheck.io.results",
}
__all__ = [
    "Article",
    "Checker",
    "Claim",
    "ClaimResult",
    "ErrorRecord",
    "FactcheckError",
    "Settings",
    "Verdict",
    "__version__",
    "find_result",
    "load_settings",
    "read_results",
]

if TYPE_CHECKING:
    from factcheck.api import Checker
    from factcheck.config import Settings, load_settings
    from factcheck.errors import FactcheckError
    from factcheck.io.results import find_result, read_results
    from factcheck.models import Article, Claim, ClaimResult, ErrorRecord, Verdict


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'factcheck' has no attribute {name!r}")
    return getattr(import_module(module), name)
