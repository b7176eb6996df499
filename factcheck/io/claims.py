"""Claims given as text: one claim on the command line, or a file of claims (plain lines,
JSONL with a `claim` or `text` field, or the claims `factcheck extract` writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from factcheck.errors import InputError
from factcheck.models import Claim, ClaimType


def read_claims(value: str) -> Iterator[Claim]:
    """The claims in `value`: a file of claims when it names one, else the text itself."""
    path = Path(value)
    if not path.is_file():
        yield plain_claim(value)
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"line {number}: invalid JSON ({exc.msg})", source=value) from None
            if "article_id" in data and "quote" in data:
                yield Claim.model_validate(data)
                continue
            text = data.get("claim") or data.get("text")
            if not text:
                raise InputError(f"line {number}: no 'claim' or 'text' field", source=value)
            yield plain_claim(text)
        else:
            yield plain_claim(line.strip())


def plain_claim(text: str, article_id: str = "cli") -> Claim:
    """A claim checked as given: its own quote, no article around it."""
    return Claim.make(
        article_id=article_id,
        text=text,
        quote=text,
        start=0,
        end=len(text),
        claim_type=ClaimType.OTHER,
        checkworthiness=1.0,
    )
