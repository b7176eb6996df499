"""A synthetic results file of any size (no LLM): varied verdicts, verifiers, confidences,
publishers and models, five evidence passages and two citations per result."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

from factcheck.models import (
    ArticleRecord,
    Citation,
    Claim,
    ClaimResult,
    ClaimType,
    Evidence,
    Provenance,
    RunHeader,
    SourceChunk,
    Verdict,
)

VERDICTS = list(Verdict)
VERIFIERS = ["llm", "nli", "cascade"]
PUBLISHERS = ["Daily Planet", "Gotham Gazette", "Metro Times", "Coast Herald"]
MODELS = [("gpt-4o-mini", "ve111"), ("qwen2.5-0.5b", "ve222")]
CLAIMS_PER_ARTICLE = 5


def write_synthetic(path: Path, n: int, *, seed: int = 0, run_id: str = "synthetic") -> Path:
    """Write `n` results (and their articles) to `path`; ids are `syn-<i>`."""
    rng = random.Random(seed)
    created = datetime(2026, 2, 1, tzinfo=UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        header = RunHeader(
            run_id=run_id,
            started_at=created,
            factcheck_version="0.1.0",
            config={},
            prompt_hashes={"verify": "ve111"},
        )
        out.write(header.model_dump_json() + "\n")
        for a in range((n + CLAIMS_PER_ARTICLE - 1) // CLAIMS_PER_ARTICLE):
            sentences = [
                f"In {2000 + (a + k) % 25} the city of Sample {a} reported {k * 7 + a % 13}% "
                f"more cases of item {k}."
                for k in range(CLAIMS_PER_ARTICLE)
            ]
            text = " ".join(sentences)
            article_id = f"art-{a}"
            out.write(
                ArticleRecord(
                    id=article_id,
                    title=f"Story number {a}",
                    url=f"https://news.example.org/{a}",
                    published=date(2026, 1, 1 + a % 28),
                    publisher=PUBLISHERS[a % len(PUBLISHERS)],
                    text=text,
                ).model_dump_json()
                + "\n"
            )
            offset = 0
            for k, sentence in enumerate(sentences):
                i = a * CLAIMS_PER_ARTICLE + k
                start = text.index(sentence, offset)
                offset = start + len(sentence)
                if i >= n:
                    continue
                claim = Claim(
                    id=f"claim-{i}",
                    article_id=article_id,
                    text=sentence,
                    quote=sentence,
                    start=start,
                    end=start + len(sentence),
                    claim_type=ClaimType.STATISTIC,
                    checkworthiness=round(rng.random(), 2),
                )
                chunks = [
                    SourceChunk(
                        id=f"chunk-{i}-{j}",
                        source_id=f"src-{i % 97}-{j}",
                        text=f"Passage {j} about Sample {a}: "
                        + "official figures show " * 15
                        + sentence,
                        start=0,
                        end=400,
                        title=f"Bulletin {i % 97}-{j}",
                        url=f"https://stats.example.org/{i}/{j}",
                        published=date(2025, 12, 1 + j),
                        publisher="Statistics Office",
                    )
                    for j in range(5)
                ]
                model, prompt = MODELS[i % len(MODELS)]
                result = ClaimResult(
                    id=f"syn-{i}",
                    claim=claim,
                    verdict=VERDICTS[i % len(VERDICTS)],
                    confidence=round(rng.random(), 2),
                    rationale=f"Passage 1 states the figure for Sample {a}.",
                    citations=[Citation.from_chunk(chunks[0], sentence[:30])],
                    evidence=[
                        Evidence(number=j + 1, chunk=c, score=0.03 - j * 0.001, dense_rank=j + 1)
                        for j, c in enumerate(chunks)
                    ],
                    provenance=Provenance(
                        model=model, prompt_hashes={"verify": prompt}, created_at=created
                    ),
                    verifier=VERIFIERS[i % len(VERIFIERS)],
                )
                out.write(result.model_dump_json() + "\n")
    return path
