"""Dollar cost of LLM usage from a per-model price table (USD per million tokens), overridable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from factcheck.errors import ConfigError
from factcheck.models import Usage


@dataclass(frozen=True)
class Price:
    """USD per million prompt (input) and completion (output) tokens."""

    prompt: float
    completion: float


# OpenAI list prices, standard tier, as published in Nov 2026 (USD / 1M tokens). The Batch API
# costs half of these. Override or extend with FACTCHECK_PRICE_TABLE (a JSON file).
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
}
FREE_BACKENDS = ("local", "fake")


def load_price_table(path: Path | None) -> dict[str, Price]:
    """The default table updated with `{"model": {"prompt": x, "completion": y}}` from `path`."""
    table = dict(DEFAULT_PRICES)
    if path is None:
        return table
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for model, price in data.items():
            table[model] = Price(float(price["prompt"]), float(price["completion"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"FACTCHECK_PRICE_TABLE={path}: cannot read it ({exc}); expected JSON like "
            '{"my-model": {"prompt": 0.15, "completion": 0.6}} in USD per million tokens'
        ) from None
    return table


def price_for(model: str, table: dict[str, Price]) -> Price | None:
    """The price of `model`, matching dated snapshots ("gpt-4o-mini-2024-07-18") by prefix."""
    if model in table:
        return table[model]
    matches = [name for name in table if model.startswith(name + "-")]
    return table[max(matches, key=len)] if matches else None


def cost_usd(usage: Usage, price: Price | None) -> float | None:
    """Cost of `usage` at `price`; None when the price is unknown. Replies answered from the
    LLM cache cost nothing; replies from the Batch API cost half."""
    if price is None:
        return None
    prompt = usage.billable_prompt_tokens - usage.batch_prompt_tokens / 2
    completion = usage.billable_completion_tokens - usage.batch_completion_tokens / 2
    return (prompt * price.prompt + completion * price.completion) / 1e6
