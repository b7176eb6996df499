"""`factcheck run --batch-api` end to end against the stub's Files/Batch stand-in."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_OK, EXIT_PARTIAL, app
from factcheck.errors import RunInterrupted
from factcheck.io.results import read_results
from factcheck.llm.batch.api import PollSettings
from factcheck.llm.batch.queue import BatchingLLM, request_id
from factcheck.llm.schemas import VerificationReply
from factcheck.llm.structured import StructuredLLM
from factcheck.models import ClaimResult
from factcheck.testing import StubConfig, running_stub

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "seeds" / "reference"
ARTICLES = ROOT / "seeds" / "articles"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def stats(url: str) -> Counter[str]:
    return Counter(httpx.get(f"{url}/stub/stats", timeout=5).json())


@pytest.fixture
def stub_env(tmp_path, monkeypatch):
    """A stub server with the Files/Batch endpoints, the CLI pointed at it, sources ingested."""

    def start(config: StubConfig):
        cm = running_stub(config)
        url = cm.__enter__()
        started.append(cm)
        for key, value in {
            "FACTCHECK_LLM_BACKEND": "openai",
            "FACTCHECK_BASE_URL": f"{url}/v1",
            "FACTCHECK_MODEL": "gpt-4o-mini",
            "FACTCHECK_CHROMA_PATH": str(tmp_path / "chroma"),
            "FACTCHECK_VERIFIER": "llm",
            "FACTCHECK_SDK_MAX_RETRIES": "0",
        }.items():
            monkeypatch.setenv(key, value)
        assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
        return url

    started: list = []
    monkeypatch.chdir(tmp_path)
    yield start
    for cm in started:
        cm.__exit__(None, None, None)


def claim_results(run_dir: Path) -> list[ClaimResult]:
    return read_results(run_dir / "results.jsonl").results


def test_batch_run_matches_a_live_run_in_two_batches_at_half_the_price(stub_env, tmp_path):
    url = stub_env(StubConfig(batch_validating_seconds=0.01))
    live = invoke("run", str(ARTICLES), "--out", str(tmp_path / "live"))
    assert live.exit_code == EXIT_OK, live.output
    before = stats(url)
    batched = invoke(
        "run",
        str(ARTICLES),
        "--out",
        str(tmp_path / "batch"),
        "--batch-api",
        "--batch-window",
        "50",
    )
    assert batched.exit_code == EXIT_OK, batched.output
    after = stats(url)

    # One batch of extraction windows, one of verifications, and one of re-asks when a
    # verification cited a passage stating another number (as the live run did); no live call.
    rounds = after["batches_created"] - before["batches_created"]
    assert rounds in (2, 3)
    assert after["chat_requests"] == before["chat_requests"]
    live_results, batch_results = (
        claim_results(tmp_path / "live"),
        claim_results(tmp_path / "batch"),
    )
    assert batch_results and len(batch_results) == len(live_results)
    verdicts = lambda rs: sorted((r.claim.text, r.verdict.value) for r in rs)  # noqa: E731
    assert verdicts(batch_results) == verdicts(live_results)

    live_summary = read_results(tmp_path / "live" / "results.jsonl").summary
    batch_summary = read_results(tmp_path / "batch" / "results.jsonl").summary
    assert batch_summary.usage.batch_calls == batch_summary.usage.calls > 0
    assert batch_summary.usage.prompt_tokens == live_summary.usage.prompt_tokens
    assert batch_summary.cost_usd == pytest.approx(live_summary.cost_usd / 2)
    assert len(list((tmp_path / "batch" / "batches").glob("batch-*.json"))) == rounds


def test_failed_batch_lines_fall_back_to_live_calls_and_nothing_is_lost(stub_env, tmp_path):
    url = stub_env(StubConfig(batch_validating_seconds=0.01, batch_line_failure_rate=0.3, seed=5))
    result = invoke("run", str(ARTICLES), "--out", str(tmp_path / "run"), "--batch-api")
    assert result.exit_code == EXIT_OK, result.output
    run = read_results(tmp_path / "run" / "results.jsonl")
    assert run.results and not run.errors
    server = stats(url)
    assert server["chat_requests"] > 0  # the failed lines, re-done live
    usage = run.summary.usage
    assert 0 < usage.batch_calls < usage.calls


def test_a_batch_still_running_stops_the_run_and_resume_collects_it(stub_env, tmp_path):
    # Each line takes 0.2 s in the stub; polling gives up after 1 s.
    url = stub_env(StubConfig(batch_validating_seconds=0.01, batch_line_seconds=0.2))
    run_dir = tmp_path / "run"
    first = invoke(
        "run", str(ARTICLES), "--out", str(run_dir), "--batch-api", "--batch-deadline", "1"
    )
    assert first.exit_code == EXIT_PARTIAL, first.output
    assert "--resume" in first.output
    assert read_results(run_dir / "results.jsonl").results == []  # nothing half-written
    assert read_results(run_dir / "results.jsonl").errors == []
    created = stats(url)["batches_created"]
    assert created == 1

    resumed = invoke("run", "--resume", str(run_dir), "--batch-api")
    assert resumed.exit_code == EXIT_OK, resumed.output
    server = stats(url)
    # The pending extraction batch was resumed, not resubmitted; one more for verification.
    assert server["batches_created"] == created + 1
    assert server["chat_requests"] == 0
    results = read_results(run_dir / "results.jsonl")
    assert results.results and not results.errors
    assert len({r.id for r in results.results}) == len(results.results)


async def test_identical_requests_share_one_batch_line(tmp_path):
    with running_stub(StubConfig(batch_validating_seconds=0.01)) as url:
        import openai

        from factcheck.app import build_llm
        from factcheck.config import Settings

        settings = Settings(_env_file=None, llm_backend="openai", base_url=f"{url}/v1", model="m")
        live = build_llm(settings)
        client = openai.AsyncOpenAI(api_key="none", base_url=f"{url}/v1", max_retries=0)
        llm = BatchingLLM(live, client, tmp_path, idle=0.05, poll=PollSettings(initial=0.02))
        messages = [
            ("system", "Judge the claim."),
            (
                "user",
                '<claim>\nA.\n</claim>\n<evidence number="1" source="R">\nA.\n</evidence>',
            ),
        ]
        replies = await asyncio.gather(*(llm.ask(messages, VerificationReply) for _ in range(3)))
        assert len({id(r) for r in replies}) == 1
        (state_file,) = tmp_path.glob("batch-*.json")
        state = json.loads(state_file.read_text())
        assert list(state["requests"]) == [request_id(messages, VerificationReply)]
        assert llm.stats.batches == 1 and llm.stats.from_batch == 1
        assert live.totals.batch_calls == 1  # counted once, in the live LLM's running totals


async def test_an_unsent_queue_is_failed_resumably_on_close(tmp_path):
    llm = BatchingLLM(
        StructuredLLM(chat_model=None, max_reasks=0),  # type: ignore[arg-type]
        client=None,
        state_dir=tmp_path,
        idle=60,
    )
    waiting = asyncio.ensure_future(llm.ask([("user", "x")], VerificationReply))
    await asyncio.sleep(0)
    await llm.aclose()
    with pytest.raises(RunInterrupted):
        await waiting
    assert not isinstance(RunInterrupted("x"), Exception)  # passes per-item isolation


def test_batch_api_refuses_the_local_backend(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "fake")
    result = invoke("run", str(ARTICLES), "--out", str(tmp_path / "r"), "--batch-api")
    assert result.exit_code != EXIT_OK
    assert "--batch-api needs the OpenAI backend" in result.output
