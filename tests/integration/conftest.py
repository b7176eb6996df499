"""Real local servers for integration tests, started and stopped by the tests themselves.

`start_server()` is the reusable piece: free loopback port, subprocess with its output
captured to a log file, a bounded readiness wait (HTTP GET until 200), and termination in
teardown. The log tail is attached to any failing test's report and to startup errors.
Servers are session-scoped: starting one costs seconds, each test only talks to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
LOG_TAIL_CHARS = 6000

_running: list[RunningServer] = []


@dataclass
class RunningServer:
    """A server process on loopback: where it listens and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:PORT`."""
        return f"http://{self.host}:{self.port}"

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        """The last `chars` characters of the server's combined stdout/stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(log unreadable: {exc})"
        return text[-chars:]


def free_port() -> int:
    """A TCP port that was free on loopback a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def get_json(url: str, timeout: float = 5.0) -> object:
    """GET `url` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def stop_process(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


@contextlib.contextmanager
def start_server(
    name: str,
    argv: Callable[[int], list[str]],
    *,
    ready_path: str,
    log_dir: Path,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[RunningServer]:
    """Run `argv(port)` on a free loopback port until the context exits.

    Ready when GET `ready_path` answers 200 within `timeout` seconds; if the process exits or
    the time runs out first, the test errors with the log tail. Always terminated afterwards.
    """
    port = free_port()
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    server = RunningServer(name, process, LOOPBACK, port, log_path)
    try:
        deadline = time.monotonic() + timeout
        while not http_ok(server.url + ready_path):
            if process.poll() is not None:
                pytest.fail(
                    f"{name} exited with code {process.returncode} before it was ready "
                    f"(log {log_path}):\n{server.log_tail()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{name} not ready after {timeout:.0f}s on port {port} "
                    f"(log {log_path}):\n{server.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.25)
        _running.append(server)
        yield server
    finally:
        if server in _running:
            _running.remove(server)
        stop_process(process)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the log tail of every running server to a failing test's report."""
    report = yield
    if report.failed:
        for server in _running:
            report.sections.append((f"{server.name} log ({server.log_path})", server.log_tail()))
    return report


def require_module(module: str, hint: str) -> None:
    """Skip (with the install hint) when `module` cannot be imported."""
    pytest.importorskip(module, reason=f"{module} cannot be imported: {hint}", exc_type=ImportError)


# --- servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory for server logs of this session."""
    return tmp_path_factory.mktemp("server-logs")


@dataclass
class LlamaServer:
    """A running `llama_cpp.server` and the model name it reports."""

    server: RunningServer
    model: str

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (`…/v1`)."""
        return self.server.url + "/v1"


@pytest.fixture(scope="session")
def default_gguf() -> Path:
    """The default local model, joined and verified (once) in the model cache."""
    from factcheck.llm.local import default_model_path

    return default_model_path()


@pytest.fixture(scope="session")
def llama_server(server_logs: Path, default_gguf: Path) -> Iterator[LlamaServer]:
    """`python -m llama_cpp.server` with the default GGUF, for the whole session."""
    require_module(
        "llama_cpp.server.app",
        "install the server extra: pip install 'factcheck-pipeline[server]'",
    )
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf)]
    with start_server(
        "llama-cpp-server",
        lambda port: [*argv, "--host", LOOPBACK, "--port", str(port), "--n_ctx", "4096"],
        ready_path="/v1/models",
        log_dir=server_logs,
        timeout=180.0,
    ) as server:
        models = get_json(server.url + "/v1/models")
        assert isinstance(models, dict)
        yield LlamaServer(server=server, model=str(models["data"][0]["id"]))


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.is_file() else shutil.which("chroma")


@pytest.fixture(scope="session")
def chroma_server(
    server_logs: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """`chroma run` on a fresh directory, for the whole session (use `HttpClient(host, port)`)."""
    require_module("chromadb", "install the project: pip install -e .")
    chroma = _chroma_executable()
    if chroma is None:
        pytest.skip("the `chroma` command (from chromadb) is not on PATH")
    data = tmp_path_factory.mktemp("chroma-data")
    with start_server(
        "chroma",
        lambda port: [chroma, "run", "--path", str(data), "--host", LOOPBACK, "--port", str(port)],
        ready_path="/api/v2/heartbeat",
        log_dir=server_logs,
        timeout=60.0,
    ) as server:
        yield server
