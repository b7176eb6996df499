"""A Spanish article end to end with the fake model: Spanish claims quoted verbatim, Spanish
sources found by the Spanish BM25, the rationale asked for in Spanish, and a trend computed from
a Spanish statistics table that withdraws a SUPPORTED the table contradicts."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from factcheck.app import build_app, store_settings
from factcheck.config import Settings
from factcheck.io.inputs import read_sources
from factcheck.llm.fake import FakeChatModel, heuristic_responder
from factcheck.llm.schemas import (
    CitedQuote,
    ExtractedClaim,
    ExtractionReply,
    VerificationReply,
)
from factcheck.models import Article, ClaimResult, ClaimType, Verdict, VerdictReason
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding
from factcheck.text import split_sentences

ARTICLE = (
    "Los homicidios en México cayeron 11.1% en el primer semestre de 2025, según el gobierno. "
    "La presidenta dijo que la estrategia de seguridad funciona."
)
NOTES = [
    {
        "id": "nota-inegi",
        "title": "Homicidios en México caen en el primer semestre",
        "publisher": "Diario de ejemplo",
        "published": "2026-01-21",
        "text": "Según cifras preliminares del INEGI, los homicidios registrados en México "
        "bajaron 11.1% en el primer semestre de 2025 frente al mismo periodo de 2024. "
        "La tasa semestral también disminuyó.",
    },
    {
        "id": "nota-banxico",
        "title": "Banxico recorta la tasa de interés",
        "publisher": "Otro diario",
        "published": "2025-11-06",
        "text": "El Banco de México recortó su tasa de interés de referencia a 7.25% en "
        "noviembre, en una decisión dividida de su junta de gobierno.",
    },
]


def write_inputs(folder: Path) -> None:
    folder.mkdir()
    (folder / "notas.jsonl").write_text(
        "\n".join(json.dumps(n, ensure_ascii=False) for n in NOTES), encoding="utf-8"
    )
    months = [f"{y}-{m:02d},{v}" for y, v in ((2024, 1000), (2025, 950)) for m in range(1, 7)]
    (folder / "victimas.csv").write_text("mes,victimas\n" + "\n".join(months), encoding="utf-8")
    (folder / "victimas.table.json").write_text(
        json.dumps(
            {
                "title": "Víctimas de homicidio doloso por mes",
                "publisher": "SESNSP",
                "published": "2025-07-20",
                "language": "es",
                "time_column": "mes",
                "value_columns": {"victimas": "Víctimas de homicidio doloso"},
                "geo": "México",
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


class Recorder:
    """The fake model: each sentence of the passage with a digit becomes a claim in its own
    words (split by `factcheck.text`, which keeps "11.1%" whole), and verification cites the
    passage stating "11.1%" as SUPPORTED (as a model misled by a note repeating the claim
    would). The prompts are kept."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, messages: Sequence[BaseMessage], schema: type[BaseModel] | None):
        text = "\n".join(str(m.content) for m in messages)
        self.prompts.append(text)
        if schema is ExtractionReply:
            user = str(messages[-1].content)
            passage = re.search(r"<passage>\n?(.*?)\n?</passage>", user, re.S)
            body = passage.group(1) if passage else ""
            sentences = [span.of(body) for span in split_sentences(body)]
            return ExtractionReply(
                claims=[
                    ExtractedClaim(
                        quote=s,
                        claim=s,
                        speaker=None,
                        claim_type=ClaimType.STATISTIC,
                        checkworthiness=0.8,
                    )
                    for s in sentences
                    if any(ch.isdigit() for ch in s)
                ]
            )
        if schema is not VerificationReply:
            return heuristic_responder(messages, schema)
        for number, body in re.findall(
            r'<evidence number="(\d+)"[^>]*>\n?(.*?)\n?</evidence>', text, re.S
        ):
            sentence = next((s for s in re.split(r"(?<=\.) ", body) if "11.1%" in s), None)
            if sentence:
                return VerificationReply(
                    rationale="La nota del INEGI repite la cifra.",
                    verdict=Verdict.SUPPORTED,
                    confidence=0.9,
                    citations=[CitedQuote(evidence=int(number), quote=sentence)],
                )
        raise AssertionError("no passage states 11.1%")


def test_spanish_article_end_to_end(tmp_path: Path) -> None:
    write_inputs(tmp_path / "refs")
    settings = Settings(  # type: ignore[call-arg]
        llm_backend="fake", chroma_path=tmp_path / "chroma", collection="spanish", top_k=3
    )
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    report = store.ingest(read_sources(tmp_path / "refs"))
    assert report.errors == [] and report.sources == 14
    stored = store.client.get_collection("spanish").get()["metadatas"]
    assert {m["language"] for m in stored} == {"es"}  # notes detected, table as stated

    recorder = Recorder()
    app = build_app(settings, chat_model=FakeChatModel(responder=recorder), store=store)
    article = Article(text=ARTICLE, published=date(2026, 2, 1), publisher="Periódico")

    async def run() -> list:
        return [r async for block in app.pipeline.run([article]) for r in block.records]

    (result,) = asyncio.run(run())
    assert isinstance(result, ClaimResult)

    # the claim stays in Spanish, anchored to the article's own words
    claim = result.claim
    assert claim.quote == ARTICLE[claim.start : claim.end]
    assert claim.text.startswith("Los homicidios en México cayeron 11.1%")
    extract_prompt = next(p for p in recorder.prompts if "<passage>" in p)
    assert "Language: Spanish (es)" in extract_prompt
    assert "in the language of the article" in extract_prompt

    # Spanish evidence found lexically ("cayeron"/"bajaron" aside, "homicidios" and the rest)
    by_source = {e.chunk.source_id: e for e in result.evidence}
    assert by_source["nota-inegi"].lexical_rank is not None
    # the table's row and the computed comparison, in the claim's language
    assert any(
        e.chunk.series_id and not e.chunk.source_id.startswith("computed:") for e in result.evidence
    )
    computed = next(e for e in result.evidence if e.chunk.source_id.startswith("computed:"))
    assert computed.chunk.text.startswith(
        "Víctimas de homicidio doloso, México: 5,700 en enero–junio de 2025 frente a 6,000 en "
        "enero–junio de 2024, una disminución de 300 (5.0%). Calculado por factcheck"
    )

    verify_prompt = next(p for p in recorder.prompts if "<claim>" in p)
    assert "Write the rationale in Spanish" in verify_prompt
    assert "Calculado por factcheck" in verify_prompt  # the computation reached the model

    # the note repeats the claim's 11.1%; the table says 5.0%: SUPPORTED cannot stand
    assert result.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert result.reason is VerdictReason.QUANTITY_MISMATCH
    trend = [q for q in result.quantity_checks if q.rule.startswith("trend")]
    assert [(q.claim_value, q.outcome) for q in trend] == [
        ("cayeron", "consistent"),
        ("cayeron 11.1%", "contradicts"),
    ]
    assert trend[1].source_value == "-5.0% (2024-H1 → 2025-H1)"
    assert result.rejected_citations[0].quote.startswith("Según cifras preliminares del INEGI")
