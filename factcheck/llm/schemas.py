"""The JSON shapes the LLM is asked to produce, and their length-capped form for small models.

These schemas stay inside the subset every structured-output server accepts (all fields
required, nullable instead of optional, no length or range constraints): range checks happen
in our validators so that a violation triggers a re-ask. Small local models get a copy of the
schema with `maxLength`/`maxItems` caps (see `capped_json_schema`) so they cannot loop.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from factcheck.models import ClaimType, Verdict

DEFAULT_MAX_STRING = 400
DEFAULT_MAX_ITEMS = 8


class CappedModel(BaseModel):
    """A reply model that declares per-field length caps for constrained decoding."""

    caps: ClassVar[dict[str, int]] = {}


class ExtractedClaim(CappedModel):
    """One claim as the extraction prompt asks for it."""

    caps: ClassVar[dict[str, int]] = {"quote": 300, "claim": 300, "speaker": 80}

    quote: str = Field(
        description="The exact words of the passage the claim comes from, "
        "copied character for character."
    )
    claim: str = Field(
        description="The claim rewritten to stand alone: names instead of "
        "pronouns, dates and places made explicit."
    )
    speaker: str | None = Field(
        description="Who asserts the claim (a person or organisation), "
        "or null when the article asserts it itself."
    )
    claim_type: ClaimType
    checkworthiness: float = Field(
        description="0 to 1: how much a fact-checker should check "
        "this (factual, verifiable, of public interest)."
    )

    @field_validator("checkworthiness")
    @classmethod
    def _unit_interval(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("checkworthiness must be between 0 and 1")
        return value


class ExtractionReply(CappedModel):
    """The extraction prompt's reply."""

    claims: list[ExtractedClaim]


class RewriteReply(CappedModel):
    """The rewrite prompt's reply: one sentence as self-contained claims."""

    caps: ClassVar[dict[str, int]] = {"claims": 3}

    claims: list[str] = Field(
        description="Self-contained claims stated by the sentence: names instead of pronouns, "
        "no new facts, numbers or dates."
    )


class CitedQuote(CappedModel):
    """A quote from one numbered evidence passage."""

    caps: ClassVar[dict[str, int]] = {"quote": 300}

    evidence: int = Field(description="Number of the evidence passage quoted.")
    quote: str = Field(description="Exact words copied from that passage.")


class VerificationReply(CappedModel):
    """The verification prompt's reply: reasoning first, then the label."""

    caps: ClassVar[dict[str, int]] = {"rationale": 700, "citations": 4}

    rationale: str = Field(description="Two to four sentences of reasoning from the evidence.")
    verdict: Verdict
    confidence: float = Field(description="0 to 1: probability that the verdict is right.")
    citations: list[CitedQuote]

    @field_validator("confidence")
    @classmethod
    def _unit_interval(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("confidence must be between 0 and 1")
        return value


def capped_json_schema(
    model: type[BaseModel],
    *,
    max_string: int = DEFAULT_MAX_STRING,
    max_items: int = DEFAULT_MAX_ITEMS,
    overrides: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The model's JSON schema with every string and array length-capped.

    Caps come from each model's `caps` (field name → limit), then `overrides` keyed
    `"Model.field"`, else the defaults. `$ref`s are inlined so simple grammar builders work.
    """
    schema = copy.deepcopy(model.model_json_schema())
    defs = schema.pop("$defs", {})
    classes = {cls.__name__: cls for cls in _nested_models(model)}

    def visit(node: Any, owner: str | None, name: str | None) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                ref = node["$ref"].rsplit("/", 1)[-1]
                return visit(copy.deepcopy(defs[ref]), ref, None)
            if node.get("type") == "object" and "properties" in node:
                node["properties"] = {k: visit(v, owner, k) for k, v in node["properties"].items()}
                node["additionalProperties"] = False
                return node
            limit = _cap_for(classes.get(owner or ""), owner, name, overrides)
            if node.get("type") == "string" and "enum" not in node:
                node["maxLength"] = limit or max_string
            if node.get("type") == "array":
                node["maxItems"] = limit or max_items
                node["items"] = visit(node.get("items", {}), owner, None)
            for key in ("anyOf", "oneOf", "allOf"):
                if key in node:
                    node[key] = [visit(v, owner, name) for v in node[key]]
        return node

    return visit(schema, model.__name__, None)


def _cap_for(
    cls: type[BaseModel] | None,
    owner: str | None,
    name: str | None,
    overrides: dict[str, int] | None,
) -> int | None:
    if name is None:
        return None
    if overrides and f"{owner}.{name}" in overrides:
        return overrides[f"{owner}.{name}"]
    caps = getattr(cls, "caps", {}) if cls else {}
    return caps.get(name)


def _nested_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The model and every pydantic model reachable from its field annotations."""
    seen: dict[str, type[BaseModel]] = {}
    stack = [model]
    while stack:
        cls = stack.pop()
        if cls.__name__ in seen:
            continue
        seen[cls.__name__] = cls
        for info in cls.model_fields.values():
            for arg in _flatten(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
    return list(seen.values())


def _flatten(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return [annotation]
    return [a for arg in args for a in _flatten(arg)]
