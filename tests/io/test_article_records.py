"""Article records: written once per article, before its claims, and read back into RunResults."""

from datetime import UTC, date, datetime

from factcheck.io.results import BlockWriter, RunDirectory, iter_lines, read_results
from factcheck.models import ArticleRecord, ClaimResult, ErrorRecord, RunHeader
from tests.test_pipeline import article, pipeline

TEXT = "In 2025 Mexico recorded 24,000 homicide victims."


async def run_to_file(p, items, path):
    with BlockWriter(path) as writer:
        writer.write_line(
            RunHeader(
                run_id="r",
                started_at=datetime(2026, 1, 30, tzinfo=UTC),
                factcheck_version="0",
                config={},
                prompt_hashes={},
            )
        )
        async for block in p.run(items):
            writer.write_block(block)
    return path


async def test_each_article_record_precedes_its_claims(tmp_path):
    items = [article(1, TEXT), article(2, "The USMCA joint review is due on 1 July 2026.")]
    path = await run_to_file(pipeline(), items, tmp_path / "results.jsonl")
    seen: set[str] = set()
    for line in iter_lines(path):
        if isinstance(line, ArticleRecord):
            assert line.id not in seen
            seen.add(line.id)
        elif isinstance(line, ClaimResult):
            assert line.claim.article_id in seen
    assert seen == {"a1", "a2"}


async def test_round_trip_keeps_article_text_and_offsets(tmp_path):
    p = pipeline()
    path = await run_to_file(p, [article(1, TEXT)], tmp_path / "results.jsonl")
    run = read_results(path)
    assert list(run.articles) == ["a1"]
    record = run.articles["a1"]
    assert record.text == TEXT and record.published == date(2026, 1, 29)
    assert run.results
    assert all(record.text[r.claim.start : r.claim.end] == r.claim.quote for r in run.results)
    assert RunDirectory(tmp_path).scan().done == {"a1"}
    assert p.stats.errors == 0 and p.stats.articles == 1


async def test_article_record_is_written_even_when_extraction_fails(tmp_path):
    def responder(messages, schema):
        raise ValueError("model down")

    path = await run_to_file(pipeline(responder=responder), [article(1, TEXT)], tmp_path / "r")
    kinds = [type(line).__name__ for line in iter_lines(path)]
    assert kinds == ["RunHeader", "ArticleRecord", "ErrorRecord", "ItemDone"]
    assert isinstance(read_results(path).errors[0], ErrorRecord)
