"""The exception hierarchy: one root, a few leaves that carry what a caller needs to act."""

from __future__ import annotations


class FactcheckError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(FactcheckError):
    """A setting is missing or invalid; the message names the setting and the fix."""


class PromptError(FactcheckError):
    """A prompt file is missing, or rendering it had missing or unused variables."""


class InputError(FactcheckError):
    """An input file or record cannot be read; carries the offending path or line."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class IngestError(FactcheckError):
    """Reference sources could not be added to the store."""


class StoreError(FactcheckError):
    """The reference store is unusable as configured (e.g. reopened with another embedder)."""


class LLMError(FactcheckError):
    """The language model could not be reached or refused the request.

    `usage` (a `factcheck.models.Usage`, set by `StructuredLLM.ask`) is what the failed call
    still spent, so run totals stay honest."""

    usage: object | None = None


class OutputValidationError(LLMError):
    """The model's output stayed invalid after every re-ask; carries the attempts made."""

    def __init__(
        self, message: str, *, attempts: int, last_output: str | None, errors: list[str]
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output
        self.errors = errors


class RunStopped(BaseException):
    """Ends a whole run at once: passes through the pipeline's per-item error isolation.

    A `BaseException`, not an `Exception`, for that reason; the subclasses say why."""


class AuthenticationFailed(RunStopped):
    """The LLM endpoint refused the credentials (HTTP 401). A configuration error, not an
    item's failure: every item would fail the same way, so the run stops at once and the
    message names the setting to fix."""


class RunInterrupted(RunStopped):
    """Stops a whole run, resumably (e.g. an OpenAI batch is still running).

    A `BaseException`, not an `Exception`: the pipeline isolates every *error* to its article or
    claim, but this must pass through that isolation and end the run without writing error
    records, so `--resume` redoes the unfinished items."""
