"""`factcheck eval smoke` end to end through the CLI, with the fake and the local backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]


def run_eval(tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "eval"
    env = {**os.environ, "FACTCHECK_LLM_CACHE": str(tmp_path / "cache.sqlite")}
    done = subprocess.run(
        [sys.executable, "-m", "factcheck", "eval", "smoke", "--out", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    lines = [json.loads(x) for x in (out / "run.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "spec" and lines[-1]["type"] == "summary"
    return lines


def test_eval_smoke_with_the_fake_backend(tmp_path):
    lines = run_eval(tmp_path, "--backend", "fake")
    cases = [x for x in lines if x["type"] == "case"]
    assert len(cases) == sum(lines[0]["case_counts"].values())


def test_eval_smoke_with_the_local_backend(tmp_path):
    pytest.importorskip("llama_cpp", reason="the local backend needs the `local` extra")
    # One case per task keeps this to a few minutes on 2 cores; the full local baseline is
    # committed under evals/baselines/ with the command that produced it.
    lines = run_eval(tmp_path, "--backend", "local", "--limit", "1")
    assert lines[0]["backend"] == "local"
    assert sum(x["type"] == "case" for x in lines) == len(lines[0]["tasks"])
