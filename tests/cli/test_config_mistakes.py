"""Configuration mistakes are caught with the fix named, never silently absorbed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.app import open_store
from factcheck.cli.main import app
from factcheck.cli.terminal import EXIT_CONFIG, EXIT_USAGE
from factcheck.config import Settings, load_settings, unknown_variables
from factcheck.errors import ConfigError, StoreError
from factcheck.io.inputs import Source
from factcheck.testing import StubConfig, running_stub

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "fake")
    monkeypatch.setenv("FACTCHECK_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setenv("FACTCHECK_OUTPUT_DIR", str(tmp_path / "runs"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def flat(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def test_a_misspelt_variable_is_an_error_naming_the_closest_setting(env, monkeypatch):
    monkeypatch.setenv("FACTCHECK_VERIFER", "nli")
    with pytest.raises(ConfigError, match=r"FACTCHECK_VERIFER .*did you mean FACTCHECK_VERIFIER"):
        load_settings()
    result = invoke("verify", "anything")
    assert result.exit_code == EXIT_CONFIG
    assert "FACTCHECK_VERIFIER" in flat(result.output)


def test_a_misspelt_variable_in_dotenv_is_found_too(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("FACTCHECK_MODEL=gpt-4o-mini\nFACTCHECK_TOPK=3\n# FACTCHECK_NOPE=1\n")
    messages = unknown_variables(environ={}, env_file=dotenv)
    assert len(messages) == 1
    assert "FACTCHECK_TOPK" in messages[0] and "FACTCHECK_TOP_K" in messages[0]


def test_known_names_and_other_factcheck_variables_pass(tmp_path):
    environ = {"FACTCHECK_TOP_K": "3", "FACTCHECK_SHARED_DATA": "/x", "OPENAI_API_KEY": "k"}
    assert unknown_variables(environ=environ, env_file=None) == []


def test_a_relative_store_path_is_resolved_once(env):
    settings = Settings(chroma_path=Path("rel/chroma"))
    assert settings.chroma_path == (env / "rel" / "chroma").resolve()


def test_checking_against_an_empty_store_is_an_error_naming_it(env):
    result = invoke("verify", "Mexico sent 37 prisoners to the United States.")
    assert result.exit_code == EXIT_CONFIG
    output = flat(result.output)
    assert "is empty" in output and str(env / "chroma") in result.output.replace("\n", "")
    assert "factcheck ingest" in output


def test_run_out_naming_a_file_is_a_usage_error(env):
    (env / "articles").mkdir()
    (env / "articles" / "a.txt").write_text("The mayor said bus fares fell 10% in 2025.")
    taken = env / "taken.txt"
    taken.write_text("not a folder")
    result = invoke("run", str(env / "articles"), "--out", str(taken))
    assert result.exit_code == EXIT_USAGE
    assert "is a file" in flat(result.output)
    assert "Traceback" not in result.output


def test_an_unauthorised_llm_stops_the_run_with_exit_1(env, monkeypatch):
    invoke("ingest", str(ROOT / "seeds" / "reference"))
    (env / "articles").mkdir()
    for i in range(3):
        (env / "articles" / f"a{i}.txt").write_text(
            f"Officials said {30 + i} prisoners were moved in 2026. The mayor said fares fell."
        )
    with running_stub(StubConfig(api_key="right-key")) as base_url:
        monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "openai")
        monkeypatch.setenv("FACTCHECK_BASE_URL", f"{base_url}/v1")
        monkeypatch.setenv("FACTCHECK_OPENAI_API_KEY", "wrong-key")
        monkeypatch.setenv("FACTCHECK_SDK_MAX_RETRIES", "0")
        result = invoke("run", str(env / "articles"), "--out", str(env / "run"))
    assert result.exit_code == EXIT_CONFIG, result.output
    output = flat(result.output)
    assert "(HTTP 401)" in output and "FACTCHECK_OPENAI_API_KEY" in output
    # Count the message, not "401": the stub's random port can contain those digits.
    assert output.count("refused the credentials") == 1, (
        "one configuration error, not one per article"
    )


def test_two_processes_cannot_ingest_into_one_embedded_store(env):
    settings = load_settings()
    store = open_store(settings)
    script = textwrap.dedent(
        """
        import time
        from factcheck.app import open_store
        from factcheck.config import load_settings
        from factcheck.io.inputs import Source

        store = open_store(load_settings())

        def slow_sources():
            print("ingesting", flush=True)
            time.sleep(6)
            yield Source(id="slow", text="A slow source about bus fares in 2025.")

        store.ingest(slow_sources())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ingesting"
        with pytest.raises(StoreError, match=r"being written by process .*chroma run"):
            store.ingest([Source(id="mine", text="Another source.")])
    finally:
        child.wait(timeout=60)
    assert child.returncode == 0
    report = store.ingest([Source(id="mine", text="Another source, after the other writer.")])
    assert report.sources == 1
