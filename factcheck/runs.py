"""Run directories: an append-only results file that survives `kill -9` and can be resumed.

Each input item's lines are appended as one block closed by an `ItemDone` marker, in a single
write followed by flush + fsync. On resume the file is cut back to the last complete block
(dropping a torn final write), the items already done are skipped, and the run continues in the
same file. A file that already ends with a summary line is finished: resuming it does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from factcheck.errors import InputError
from factcheck.models import ItemDone, RunHeader, RunSummary, Usage
from factcheck.pipeline import ItemBlock
from factcheck.pricing import Price, cost_usd
from factcheck.report import read_results

RESULTS_FILE = "results.jsonl"


@dataclass
class ResumeState:
    """What an existing results file says about its run."""

    header: RunHeader | None = None
    done: set[str] = field(default_factory=set)
    finished: bool = False
    records: int = 0
    dropped_bytes: int = 0


class RunDirectory:
    """The folder of one run: `results.jsonl` plus the reports derived from it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results = self.path / RESULTS_FILE

    def scan(self, *, repair: bool = True) -> ResumeState:
        """Read the results file; with `repair`, truncate it after the last complete block."""
        state = ResumeState()
        if not self.results.exists():
            return state
        good_end = 0
        pending = 0
        with self.results.open("rb") as handle:
            offset = 0
            for raw in handle:
                offset += len(raw)
                if not raw.endswith(b"\n"):
                    break  # torn final write
                try:
                    kind = json.loads(raw).get("type")
                except ValueError:
                    break
                if kind == "header":
                    state.header = RunHeader.model_validate_json(raw)
                    good_end = offset
                elif kind == "done":
                    state.done.add(ItemDone.model_validate_json(raw).item_id)
                    state.records += pending
                    pending = 0
                    good_end = offset
                elif kind == "summary":
                    state.finished = True
                    good_end = offset
                else:
                    pending += 1
        size = self.results.stat().st_size
        state.dropped_bytes = size - good_end
        if state.header is None and size:
            raise InputError(
                "no header line: this is not a factcheck results file", source=str(self.results)
            )
        if repair and state.dropped_bytes:
            with self.results.open("r+b") as handle:
                handle.truncate(good_end)
        return state


class BlockWriter:
    """Appends whole blocks durably (one write, flush, fsync per block)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def write_line(self, line: BaseModel) -> None:
        """Append a single line (header, summary, or a lone record)."""
        self._write(line.model_dump_json() + "\n")

    def write_block(self, block: ItemBlock) -> None:
        """Append an item's records and its done-marker atomically enough for resume."""
        lines = [r.model_dump_json() for r in block.records]
        if block.article is not None:
            lines.insert(0, block.article.model_dump_json())
        done = ItemDone(item_id=block.item_id, records=len(block.records), usage=block.usage)
        lines.append(done.model_dump_json())
        self._write("\n".join(lines) + "\n")

    def _write(self, text: str) -> None:
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Budget:
    """Limits that stop a run cleanly (and resumably) once reached."""

    max_cost_usd: float | None = None
    max_tokens: int | None = None

    def exceeded(self, tokens: int, cost: float | None) -> str | None:
        """Why the budget is spent, or None."""
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return f"token budget reached ({tokens} >= {self.max_tokens})"
        if self.max_cost_usd is not None and cost is not None and cost >= self.max_cost_usd:
            return f"cost budget reached (${cost:.4f} >= ${self.max_cost_usd})"
        return None


def summarize(
    run_id: str,
    results_path: Path,
    *,
    wall_seconds: float,
    price: Price | None,
    stopped: str | None,
    skipped: int,
    deduplicated: int,
) -> RunSummary:
    """The summary line of a whole run file, counted from its lines (all attempts)."""
    run = read_results(results_path)
    usage = Usage()
    for done in run.done:
        usage.add(done.usage)
    input_errors = {e.item_id for e in run.errors if e.stage == "input"}
    verdicts: dict[str, int] = {}
    for result in run.results:
        verdicts[result.verdict.value] = verdicts.get(result.verdict.value, 0) + 1
    claim_errors = sum(e.claim is not None for e in run.errors)
    return RunSummary(
        run_id=run_id,
        finished_at=datetime.now(UTC),
        articles=len({d.item_id for d in run.done} - input_errors),
        claims=len(run.results) + claim_errors,
        results=len(run.results),
        errors=len(run.errors),
        verdicts=verdicts,
        usage=usage,
        cost_usd=cost_usd(usage, price),
        deduplicated=deduplicated,
        skipped=skipped,
        stopped=stopped,
        wall_seconds=round(wall_seconds, 3),
    )


def parse_shard(value: str) -> tuple[int, int]:
    """`"K/N"` → (K, N) with 0 ≤ K < N; raises ValueError with the expected form."""
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise ValueError(f"--shard {value!r}: expected K/N, e.g. 0/2") from None
    if not 0 <= k < n:
        raise ValueError(f"--shard {value!r}: need 0 <= K < N")
    return k, n


def in_shard(item_id: str, shard: tuple[int, int]) -> bool:
    """Whether an item belongs to shard K of N (stable hash of its id, same on every machine)."""
    k, n = shard
    return int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % n == k
