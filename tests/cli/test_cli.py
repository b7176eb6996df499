"""The `factcheck` command end to end with the fake model and an embedded Chroma in tmp dirs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, app
from factcheck.io.results import read_results

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "seeds" / "reference"
ARTICLES = ROOT / "seeds" / "articles"


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {
        "FACTCHECK_LLM_BACKEND": "fake",
        "FACTCHECK_CHROMA_PATH": str(tmp_path / "chroma"),
        "FACTCHECK_OUTPUT_DIR": str(tmp_path / "runs"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_ingest_then_run_then_resume_finished_run(env, tmp_path):
    first = invoke("ingest", str(REFERENCES))
    assert first.exit_code == EXIT_OK, first.output
    again = invoke("ingest", str(REFERENCES))
    assert again.exit_code == EXIT_OK and "0 new chunks" in again.output
    run_dir = tmp_path / "run1"
    result = invoke("run", str(ARTICLES), "--out", str(run_dir))
    assert result.exit_code == EXIT_OK, result.output
    run = read_results(run_dir / "results.jsonl")
    assert run.header and run.summary and run.results
    assert (run_dir / "report.md").read_text(encoding="utf-8").startswith("# Fact-check report")
    size = (run_dir / "results.jsonl").stat().st_size
    resumed = invoke("run", "--resume", str(run_dir))
    assert resumed.exit_code == EXIT_OK and "nothing to do" in resumed.output
    assert (run_dir / "results.jsonl").stat().st_size == size
    refused = invoke("run", str(ARTICLES), "--out", str(run_dir))
    assert refused.exit_code == EXIT_CONFIG and "--resume" in refused.output


def test_partial_and_failed_exit_codes(env, tmp_path):
    assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("", encoding="utf-8")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    partial = invoke("run", str(ARTICLES), str(bad), "--out", str(tmp_path / "r2"))
    assert partial.exit_code == EXIT_PARTIAL, partial.output
    errors = read_results(tmp_path / "r2" / "results.jsonl").errors
    assert {e.stage for e in errors} == {"input"} and len(errors) == 2
    failed = invoke("run", str(bad), "--out", str(tmp_path / "r3"))
    assert failed.exit_code == EXIT_FAILED


def test_usage_and_config_errors(env, monkeypatch):
    assert invoke("run").exit_code == EXIT_USAGE
    assert invoke("run", "/no/such/file").exit_code == EXIT_USAGE
    monkeypatch.setenv("FACTCHECK_TOP_K", "lots")
    result = invoke("run", str(ARTICLES))
    assert result.exit_code == EXIT_CONFIG and "FACTCHECK_TOP_K" in result.output


def test_verify_a_claim_string(env):
    assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
    result = invoke("verify", "Mexico transferred 37 prisoners to the United States in January")
    assert result.exit_code == EXIT_OK, result.output
    assert "SUPPORTED" in result.output or "NOT_ENOUGH_EVIDENCE" in result.output


def test_kill_9_then_resume_gives_every_result_exactly_once(env, tmp_path):
    """A run killed mid-way (SIGKILL) and resumed holds each item's records exactly once."""
    assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
    articles = tmp_path / "articles.jsonl"
    with articles.open("w", encoding="utf-8") as handle:
        for i in range(40):
            handle.write(
                json.dumps(
                    {
                        "id": f"art{i}",
                        "text": (
                            f"Mexico sent {i + 10} cartel prisoners to the United States in 2026. "
                            f"Homicides fell {i}% in 2025."
                        ),
                    }
                )
                + "\n"
            )
    run_dir = tmp_path / "killed"
    child_env = {
        **os.environ,
        **env,
        "FACTCHECK_FAKE_LATENCY": "0.05",
        "FACTCHECK_CONCURRENCY": "2",
    }
    command = [sys.executable, "-m", "factcheck", "run", str(articles), "--out", str(run_dir)]
    process = subprocess.Popen(
        command, env=child_env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = run_dir / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if results.exists() and results.read_text(encoding="utf-8").count('"type":"done"') >= 5:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = results.read_text(encoding="utf-8")
    assert '"type":"summary"' not in before, "the run finished before it could be killed"
    resumed = invoke("run", "--resume", str(run_dir))
    assert resumed.exit_code == EXIT_OK, resumed.output
    run = read_results(results)
    done = [d.item_id for d in run.done]
    assert sorted(done) == sorted(f"art{i}" for i in range(40))
    keys = [(r.claim.article_id, r.claim.id) for r in run.results]
    assert len(keys) == len(set(keys)) == 80
    assert run.summary is not None and run.summary.results == 80
    assert run.summary.skipped >= 5


def test_extract_several_articles_in_one_event_loop(env, tmp_path):
    articles = tmp_path / "a.jsonl"
    articles.write_text(
        '{"id": "x1", "text": "Exports rose 4% in March 2026."}\n'
        '{"id": "x2", "text": "The bridge cost 3 million dollars in 2025."}\n',
        encoding="utf-8",
    )
    out_file = tmp_path / "claims.jsonl"
    result = invoke("extract", str(articles), "--out", str(out_file))
    assert result.exit_code == EXIT_OK, result.output
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["article_id"] for line in lines} == {"x1", "x2"}


def test_every_kind_of_bad_input_is_reported_and_the_rest_proceeds(env, tmp_path):
    assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
    batch = tmp_path / "batch"
    batch.mkdir()
    good = "Mexico sent 37 cartel prisoners to the United States in January 2026."
    (batch / "good.txt").write_text(good, encoding="utf-8")
    (batch / "empty.txt").write_text("", encoding="utf-8")
    (batch / "huge.txt").write_text("Numbers 12 rise. " * 400_000, encoding="utf-8")  # ~6.8 MB
    (batch / "binary.txt").write_bytes(b"\x7fELF\x00\x00\x01binary")
    (batch / "latin1.txt").write_bytes("Año de crisis: 12 % más".encode("latin-1"))
    (batch / "page.html").write_text(
        "<html><head><title>T</title><script>alert('x')</script></head><body>"
        f"<p>{good} The transfer was the third.</p>"
        "<script>document.write('injected 99')</script></body></html>",
        encoding="utf-8",
    )
    (batch / "lines.jsonl").write_text(
        json.dumps({"id": "ok-1", "text": "Exports rose 4% in March 2026."})
        + "\n"
        + "{not json\n"
        + json.dumps({"id": "no-text", "title": "missing the text field"})
        + "\n"
        + json.dumps({"id": "ok-1", "text": "Duplicate id, different text 5."})
        + "\n",
        encoding="utf-8",
    )
    result = invoke("run", str(batch), "--out", str(tmp_path / "bad-run"))
    assert result.exit_code == EXIT_PARTIAL, result.output
    run = read_results(tmp_path / "bad-run" / "results.jsonl")
    messages = " | ".join(e.message for e in run.errors if e.stage == "input")
    for name in (
        "empty.txt",
        "huge.txt",
        "binary.txt",
        "latin1.txt",
        "lines.jsonl:2",
        "lines.jsonl:3",
        "lines.jsonl:4",
    ):
        assert name in messages, f"no input error for {name}: {messages}"
    assert sum(e.stage == "input" for e in run.errors) == 7
    articles = {a.id: a for a in run.articles.values()}
    html_article = next(a for a in articles.values() if a.title == "T")
    assert "alert" not in html_article.text and "injected" not in html_article.text
    assert {r.claim.article_id for r in run.results} >= {"ok-1", html_article.id}
    assert "error" in result.output  # each failure is also on stderr


def test_a_cached_rerun_reaches_no_server_and_costs_nothing(tmp_path, monkeypatch):
    """With FACTCHECK_LLM_CACHE, re-running the same batch is answered from the cache: the
    summary counts the calls as cache hits and reports $0 (gpt-4o-mini is priced)."""
    import httpx

    from factcheck.testing.stub_server import running_stub

    monkeypatch.chdir(tmp_path)
    with running_stub() as url:
        for key, value in {
            "FACTCHECK_LLM_BACKEND": "openai",
            "FACTCHECK_BASE_URL": f"{url}/v1",
            "FACTCHECK_MODEL": "gpt-4o-mini",
            "FACTCHECK_LLM_CACHE": str(tmp_path / "llm.sqlite"),
            "FACTCHECK_CHROMA_PATH": str(tmp_path / "chroma"),
        }.items():
            monkeypatch.setenv(key, value)
        assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
        summaries, requests = [], []
        for out in ("first", "second"):
            before = httpx.get(f"{url}/stub/stats").json().get("chat_requests", 0)
            result = invoke("run", str(ARTICLES), "--out", str(tmp_path / out))
            assert result.exit_code == EXIT_OK, result.output
            requests.append(httpx.get(f"{url}/stub/stats").json()["chat_requests"] - before)
            summaries.append(read_results(tmp_path / out / "results.jsonl").summary)
    first, second = summaries
    assert requests[0] == first.usage.calls > 0 and first.cost_usd > 0
    assert requests[1] == 0
    assert second.usage.calls == second.usage.cache_hits == first.usage.calls
    assert second.usage.billable_tokens == 0
    assert second.cost_usd == 0


def test_print_summary_lists_the_first_claims_of_a_long_run(tmp_path, monkeypatch, capsys):
    from factcheck.cli import run
    from tests.reports.report_fixtures import write_results

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    write_results(run_dir / "results.jsonl")
    total = len(read_results(run_dir / "results.jsonl").results)
    monkeypatch.setattr(run, "SUMMARY_TABLE_ROWS", 2)
    monkeypatch.setattr(run.out, "_width", 200)  # not `width`: its undo would pin 80
    run.print_summary(run_dir)
    printed = capsys.readouterr().out
    assert f"the first 2 of {total} claims" in printed


def test_doctor_reports_each_part(env):
    result = invoke("doctor")
    assert result.exit_code == EXIT_OK, result.output
    for part in ("LLM", "embedder", "Chroma"):
        assert part in result.output
    assert "failed" not in result.output


def test_doctor_fails_when_the_llm_server_is_unreachable_and_never_shows_the_key(env, monkeypatch):
    secret = "sk-this-must-never-be-printed-1234"
    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "openai")
    monkeypatch.setenv("FACTCHECK_OPENAI_API_KEY", secret)
    monkeypatch.setenv("FACTCHECK_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: refused
    monkeypatch.setenv("FACTCHECK_SDK_MAX_RETRIES", "0")
    monkeypatch.setenv("FACTCHECK_REQUEST_TIMEOUT", "5")
    result = invoke("doctor")
    assert result.exit_code == EXIT_CONFIG
    assert "failed" in result.output
    assert secret not in result.output
    assert secret not in invoke("run", "--help").output
