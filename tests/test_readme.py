"""The README's Python API example runs as written (in a fresh store, with the fake model)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_api_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Python API section has no python block"
    return match.group(1)


def test_readme_python_api_example_runs(tmp_path, monkeypatch):
    code = readme_api_example().replace("/tmp/factcheck-api-demo", str(tmp_path / "store"))
    for name in ("FACTCHECK_LLM_BACKEND", "FACTCHECK_CHROMA_PATH", "FACTCHECK_VERIFIER"):
        monkeypatch.delenv(name, raising=False)
    namespace: dict[str, object] = {}
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.verdict.value in {"SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE", "CONFLICTING"}
    assert all(c.quote for c in result.citations)
    assert namespace["records"], "check_article returned no records"


def test_python_m_factcheck_help():
    done = subprocess.run(
        [sys.executable, "-m", "factcheck", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for command in ("ingest", "run", "verify", "show", "eval", "doctor"):
        assert command in done.stdout
