"""`factcheck run --ray` on a real local Ray cluster: `ray start --head` on 127.0.0.1 plus a
second node process, the real Chroma server (`chroma run`, the seed references ingested with the
real embedder) and the stub OpenAI-compatible server (which demands an API key that only the
nodes' environment holds: secrets never travel with the tasks).

Each test counts articles in, blocks out, duplicates and lost articles in the one results file:
- a run of 120 articles;
- the second node killed (SIGKILL, all its processes) mid-run: the run completes, exactly once;
- the driver killed with SIGKILL mid-run, then `--resume`: exactly once;
- a token budget stops the run cleanly; `--resume` finishes it;
- an article that kills every worker that takes it becomes an error record (no endless retry);
- a worker that cannot reach the Chroma server fails the run at once, naming the fix.

Run: pytest -q -s tests/integration/test_ray_cluster.py   (-s prints the outcome lines)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import LOOPBACK, RunningServer, free_port

ray = pytest.importorskip("ray", reason="ray is not installed: pip install -e '.[ray]'")

from factcheck.app import make_embedder, store_settings  # noqa: E402
from factcheck.cli.cluster import ClusterOptions, run_cluster_job  # noqa: E402
from factcheck.cli.job import Budget  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.errors import FactcheckError  # noqa: E402
from factcheck.io.inputs import read_sources  # noqa: E402
from factcheck.llm.pricing import Price  # noqa: E402
from factcheck.models import ErrorRecord  # noqa: E402
from factcheck.retrieval.store import ReferenceStore  # noqa: E402
from factcheck.testing import StubConfig, running_stub  # noqa: E402
from factcheck.testing.crash import CrashOn  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "seeds" / "reference"
API_KEY = "sk-cluster-test"
COLLECTION = "ray-refs"
STUB_DELAY = 0.15
RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    # A loopback-only test cluster: no token, whatever ~/.ray/auth_token a local `ray.init`
    # may have left (Ray >= 2.60 turns token authentication on when it finds one).
    "RAY_AUTH_MODE": "disabled",
    # Workers at the tests' priority, not 15 nice levels lower (Ray's default; on a shared
    # machine that starves them).
    "RAY_worker_niceness": "0",
}


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found


def _kill_tree(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send `sig` to `process` and every process below it (by pid, never by name)."""
    for pid in [*_descendants(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@dataclass
class RayCluster:
    """A head node and worker nodes, each a `ray start --block` process we own."""

    address: str
    temp_dir: Path
    log_dir: Path
    env: dict[str, str]
    head: subprocess.Popen[bytes] | None = None
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        """`ray start --block ARGS`, its output in a log; returns once it reports started."""
        ray_cli = Path(sys.executable).with_name("ray")
        log_path = self.log_dir / f"{name}-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(ray_cli), "start", "--block", "--node-ip-address", LOOPBACK, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while b"Ray runtime started" not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                _kill_tree(process)
                pytest.fail(f"{name} did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        return process

    def start_head(self, port: int) -> None:
        self.head = self._start(
            "ray-head",
            [
                "--head",
                "--port",
                str(port),
                "--num-cpus",
                "2",
                "--include-dashboard=false",
                "--disable-usage-stats",
                "--ray-client-server-port",
                str(free_port()),
                "--temp-dir",
                str(self.temp_dir),
            ],
        )

    def add_node(self) -> subprocess.Popen[bytes]:
        """Start another node (2 CPUs); it has joined once `ray start` reports it started."""
        node = self._start("ray-node", ["--address", self.address, "--num-cpus", "2"])
        self.nodes.append(node)
        return node

    def kill_node(self, node: subprocess.Popen[bytes]) -> None:
        """SIGKILL the node's raylet, its workers and its `ray start` process."""
        _kill_tree(node)
        self.nodes.remove(node)

    def ensure_second_node(self) -> None:
        if not self.nodes or self.nodes[-1].poll() is not None:
            self.add_node()

    def stop(self) -> None:
        for process in [*self.nodes, self.head]:
            if process is None or process.poll() is not None:
                continue
            below = _descendants(process.pid)
            os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            for pid in below:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    """The stub LLM server (it answers only the API key the nodes' environment holds)."""
    with running_stub(StubConfig(base_delay=STUB_DELAY, api_key=API_KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def cluster(server_logs: Path) -> Iterator[RayCluster]:
    """`ray start --head` on 127.0.0.1 and a second node, for this module."""
    port = free_port()
    temp_dir = Path(tempfile.mkdtemp(prefix="fcray", dir="/tmp"))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "FACTCHECK_OPENAI_API_KEY": API_KEY,  # the nodes' environment: workers read it there
        **RAY_ENV,
    }
    running = RayCluster(f"{LOOPBACK}:{port}", temp_dir, server_logs, env)
    saved = {name: os.environ.get(name) for name in RAY_ENV}
    os.environ.update(RAY_ENV)  # for the drivers run in this process
    try:
        running.start_head(port)
        running.add_node()
        yield running
    finally:
        running.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def references(chroma_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The seed references ingested into the Chroma server."""
    settings = Settings(
        _env_file=None,
        llm_backend="fake",
        chroma_path=tmp_path_factory.mktemp("chroma-cache"),
        chroma_host=chroma_server.host,
        chroma_port=chroma_server.port,
        collection=COLLECTION,
    )
    store = ReferenceStore.open(store_settings(settings), make_embedder(settings))
    report = store.ingest(read_sources([REFERENCES]))
    assert report.chunks_added > 0 and not report.errors


def driver_env(stub: str, chroma: RunningServer, tmp_path: Path) -> dict[str, str]:
    """The driver's environment: settings only, no API key (the workers hold theirs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "OPENAI_"))}
    return env | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **RAY_ENV,
        "FACTCHECK_LLM_BACKEND": "openai",
        "FACTCHECK_BASE_URL": f"{stub}/v1",
        "FACTCHECK_MODEL": "gpt-4o-mini",
        "FACTCHECK_CHROMA_HOST": chroma.host,
        "FACTCHECK_CHROMA_PORT": str(chroma.port),
        "FACTCHECK_COLLECTION": COLLECTION,
        "FACTCHECK_CHROMA_PATH": str(tmp_path / "chroma-cache"),
        "FACTCHECK_CONCURRENCY": "4",
    }


def write_articles(path: Path, count: int, poison: set[int] | None = None) -> list[str]:
    """`count` one-claim articles as JSONL; returns their ids."""
    ids = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            article_id = f"story-{i:03d}"
            ids.append(article_id)
            text = (
                f"Mexico sent {30 + i} cartel prisoners to the United States in 2026. "
                "The editors add no comment here."
            )
            if poison and i in poison:
                text += " POISON"
            handle.write(json.dumps({"id": article_id, "text": text}) + "\n")
    return ids


@dataclass
class Outcome:
    """What one results file holds."""

    blocks: Counter[str]
    header: int
    summary: int
    errors: list[ErrorRecord]

    def line(self, label: str, articles: list[str]) -> str:
        dupes = sum(n - 1 for n in self.blocks.values() if n > 1)
        lost = len(set(articles) - set(self.blocks))
        return (
            f"{label}: articles in {len(articles)}, blocks out {sum(self.blocks.values())}, "
            f"duplicates {dupes}, lost {lost}, error records {len(self.errors)}"
        )


def read_outcome(results: Path) -> Outcome:
    blocks: Counter[str] = Counter()
    header = summary = 0
    errors: list[ErrorRecord] = []
    for raw in results.read_text(encoding="utf-8").splitlines():
        data = json.loads(raw)
        if data["type"] == "done":
            blocks[data["item_id"]] += 1
        elif data["type"] == "header":
            header += 1
        elif data["type"] == "summary":
            summary += 1
        elif data["type"] == "error":
            errors.append(ErrorRecord.model_validate(data))
    return Outcome(blocks, header, summary, errors)


def assert_exactly_once(outcome: Outcome, ids: list[str]) -> None:
    assert outcome.header == 1
    assert sorted(outcome.blocks) == sorted(ids), "lost or unexpected articles"
    assert set(outcome.blocks.values()) == {1}, "an article's block was written twice"


def start_driver(cluster: RayCluster, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "factcheck", "run", *args, "--ray", cluster.address],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def wait_for_blocks(results: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    """Until the results file holds `count` done markers (the driver must still run)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if results.exists() and results.read_bytes().count(b'"type":"done"') >= count:
            return
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"the driver ended before {count} blocks:\n{out[-4000:]}")
        time.sleep(0.05)
    pytest.fail(f"fewer than {count} blocks after 240 s")


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=600)
    return process.returncode, out.decode(errors="replace")


def test_a_run_of_120_articles_survives_a_worker_node_killed_mid_run(
    cluster, chroma_server, references, stub, tmp_path
):
    cluster.ensure_second_node()
    ids = write_articles(tmp_path / "articles.jsonl", 120)
    run_dir = tmp_path / "run"
    env = driver_env(stub, chroma_server, tmp_path)
    driver = start_driver(
        cluster, env, str(tmp_path / "articles.jsonl"), "--out", str(run_dir), "--ray-actors", "2"
    )
    wait_for_blocks(run_dir / "results.jsonl", 30, driver)
    cluster.kill_node(cluster.nodes[-1])  # one of the two actors runs there (SPREAD)
    code, out = finish(driver)
    assert code == 0, out[-4000:]
    outcome = read_outcome(run_dir / "results.jsonl")
    print("\n" + outcome.line("worker node killed mid-run", ids))
    assert_exactly_once(outcome, ids)
    assert outcome.summary == 1 and not outcome.errors
    assert "120 articles" in out


def test_driver_sigkilled_then_resumed_writes_each_block_once(
    cluster, chroma_server, references, stub, tmp_path
):
    cluster.ensure_second_node()
    ids = write_articles(tmp_path / "articles.jsonl", 60)
    run_dir = tmp_path / "run"
    env = driver_env(stub, chroma_server, tmp_path)
    driver = start_driver(
        cluster, env, str(tmp_path / "articles.jsonl"), "--out", str(run_dir), "--ray-actors", "2"
    )
    wait_for_blocks(run_dir / "results.jsonl", 15, driver)
    driver.send_signal(signal.SIGKILL)
    driver.wait(timeout=30)
    partial = read_outcome(run_dir / "results.jsonl")
    assert 15 <= sum(partial.blocks.values()) < len(ids) and partial.summary == 0
    code, out = finish(start_driver(cluster, env, "--resume", str(run_dir), "--ray-actors", "2"))
    assert code == 0, out[-4000:]
    outcome = read_outcome(run_dir / "results.jsonl")
    print(
        "\n"
        + outcome.line(
            f"driver SIGKILLed after {sum(partial.blocks.values())} blocks, resumed", ids
        )
    )
    assert_exactly_once(outcome, ids)
    assert outcome.summary == 1 and not outcome.errors


def test_a_token_budget_stops_the_cluster_run_and_resume_finishes_it(
    cluster, chroma_server, references, stub, tmp_path
):
    cluster.ensure_second_node()
    ids = write_articles(tmp_path / "articles.jsonl", 40)
    run_dir = tmp_path / "run"
    budget = 30_000  # about a quarter of the run (~3,000 tokens per article with the stub)

    def run(max_tokens: int | None, *, resume: bool):
        return run_cluster_job(
            _settings(stub, chroma_server, tmp_path),
            [tmp_path / "articles.jsonl"],
            run_dir,
            options=ClusterOptions(address=cluster.address, actors=2),
            price=Price(0.0, 0.0),
            resume=resume,
            budget=Budget(max_tokens=max_tokens),
        )

    first = run(budget, resume=False)
    assert first.stopped is not None and "token budget reached" in first.stopped
    assert first.summary is None
    stopped = read_outcome(run_dir / "results.jsonl")
    done = sum(stopped.blocks.values())
    assert 0 < done < len(ids) and stopped.summary == 0
    assert set(stopped.blocks.values()) == {1}
    spent = sum(
        json.loads(raw)["usage"]["prompt_tokens"] + json.loads(raw)["usage"]["completion_tokens"]
        for raw in (run_dir / "results.jsonl").read_text().splitlines()
        if '"type":"done"' in raw
    )
    # Articles in flight when the budget is reached finish: at most 2 actors x 4 of them.
    per_article = spent / done
    assert budget <= spent <= budget + 8 * per_article * 1.5
    second = run(None, resume=True)
    assert second.stopped is None and second.summary is not None
    outcome = read_outcome(run_dir / "results.jsonl")
    print(
        f"\nbudget stop: {done} of {len(ids)} blocks, {spent} tokens for a {budget}-token budget; "
        + outcome.line("after --resume", ids)
    )
    assert_exactly_once(outcome, ids)


def _settings(stub: str, chroma: RunningServer, tmp_path: Path, **updates: object) -> Settings:
    values: dict[str, object] = {
        "llm_backend": "openai",
        "base_url": f"{stub}/v1",
        "model": "gpt-4o-mini",
        "chroma_host": chroma.host,
        "chroma_port": chroma.port,
        "collection": COLLECTION,
        "chroma_path": tmp_path / "chroma-cache",
        "concurrency": 4,
    }
    return Settings(_env_file=None, **(values | updates))  # type: ignore[arg-type]


def test_an_article_that_keeps_killing_workers_becomes_an_error_record(
    cluster, chroma_server, references, stub, tmp_path
):
    cluster.ensure_second_node()
    ids = write_articles(tmp_path / "articles.jsonl", 16, poison={5})
    outcome = run_cluster_job(
        _settings(stub, chroma_server, tmp_path),
        [tmp_path / "articles.jsonl"],
        tmp_path / "run",
        options=ClusterOptions(
            address=cluster.address, actors=2, max_attempts=2, item_hook=CrashOn("POISON")
        ),
        price=Price(0.0, 0.0),
        budget=Budget(),
    )
    result = read_outcome(tmp_path / "run" / "results.jsonl")
    print("\n" + result.line("an article that kills its worker every time", ids))
    assert_exactly_once(result, ids)
    assert [(e.item_id, e.stage, e.error) for e in result.errors] == [
        ("story-005", "worker", "WorkerLost")
    ]
    assert "died 2 times" in result.errors[0].message
    assert outcome.summary is not None and outcome.errors == 1


def test_a_worker_that_cannot_reach_chroma_fails_fast_with_the_fix(
    cluster, chroma_server, references, stub, tmp_path
):
    write_articles(tmp_path / "articles.jsonl", 4)
    started = time.monotonic()
    with pytest.raises(FactcheckError) as caught:
        run_cluster_job(
            _settings(stub, chroma_server, tmp_path, chroma_port=free_port()),
            [tmp_path / "articles.jsonl"],
            tmp_path / "run",
            options=ClusterOptions(address=cluster.address, actors=1),
            price=Price(0.0, 0.0),
        )
    message = str(caught.value)
    assert "FACTCHECK_CHROMA_HOST" in message and "chroma run" in message
    assert time.monotonic() - started < 120
    assert not (tmp_path / "run" / "results.jsonl").exists()


def test_doctor_checks_every_node(cluster, chroma_server, references, stub, tmp_path):
    cluster.ensure_second_node()
    env = driver_env(stub, chroma_server, tmp_path) | {"FACTCHECK_OPENAI_API_KEY": API_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "factcheck", "doctor", "--ray", cluster.address],
        env=env | {"COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("Ray node") == 2
    assert "reaches Chroma and the LLM" in done.stdout
    assert "2 nodes, 4 CPUs" in done.stdout
