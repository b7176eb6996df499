"""`factcheck run --ray`: the run job over a pool of Ray actors (optional extra `ray`).

The driver (this process) reads the input stream, sends articles to a pool of actors and is the
only writer of the run folder. Each actor holds one configured pipeline (its LLM client, its
NLI session, a client of the shared Chroma server) and returns an article's whole block, which
the driver appends with `BlockWriter` like the one-machine job: every article's block exactly
once, resumable after the driver or any worker dies, one progress stream and summary.

- Back-pressure: at most `actors x in_flight` articles are out at once; the input is read lazily.
- Budgets: the driver polls each actor's live LLM usage and stops sending new articles once the
  cluster's spend reaches `--max-cost` / `--max-tokens` (articles in flight finish).
- Failures: when a worker dies, its articles are sent again, each alone on a live worker (so a
  death while it runs blames exactly that article), at most `max_attempts` times in all; then
  the article becomes an error record (`stage="worker"`). Dead workers are replaced (bounded).
  A worker that cannot reach the Chroma server or the LLM fails the run at once, with the fix.
- Secrets never travel as task arguments: workers read `FACTCHECK_OPENAI_API_KEY` /
  `OPENAI_API_KEY` from their own environment; the driver sends only non-secret settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factcheck.app import App, build_app
from factcheck.cli.job import (
    Budget,
    QuietEvents,
    RunEvents,
    RunOutcome,
    describe_store,
    in_shard,
    input_names,
    open_run,
    run_header,
    summarize,
    write_reports,
)
from factcheck.config import Settings
from factcheck.errors import FactcheckError, InputError
from factcheck.io.fetch import FetchSettings
from factcheck.io.results import BlockWriter, ResumeState, RunDirectory
from factcheck.llm.pricing import Price, cost_usd
from factcheck.models import Article, ArticleRecord, ErrorRecord, ItemBlock, Usage
from factcheck.pipeline import RunStats, item_id_of

SECRET_SETTINGS = frozenset({"openai_api_key"})
"""Settings never sent to workers (each worker reads them from its own environment)."""

AppFactory = Callable[[Settings], App]
ItemHook = Callable[[Article | InputError], None]


@dataclass(frozen=True)
class ClusterOptions:
    """Where the cluster is and how the driver uses it."""

    address: str | None = None
    """`ray://…` or `HOST:PORT` of a running cluster, `auto` for the one this node belongs to;
    None starts a local Ray instance for this run."""
    actors: int | None = None
    """Pipelines (actors) in the pool; default: the cluster's CPUs / `actor_cpus`."""
    actor_cpus: float = 1.0
    in_flight: int | None = None
    """Articles in flight per actor; default: FACTCHECK_CONCURRENCY."""
    max_attempts: int = 3
    """Times an article may be sent before a worker death makes it an error record."""
    start_timeout: float = 180.0
    """Seconds to wait for the first worker (scheduling, imports, probes)."""
    wait_for_all: bool = False
    """Send articles only once every worker is ready (benchmarks: a steady-state window)."""
    app_factory: AppFactory | None = None
    """Builds a worker's app from its settings (default `build_app`; benchmarks swap the
    retriever). Must be importable or picklable on the workers."""
    item_hook: ItemHook | None = None
    """Called in the worker before each item (fault injection in tests)."""


class WorkerSetupError(FactcheckError):
    """A worker could not build or check its pipeline (the message names the fix)."""


def import_ray() -> Any:
    """The `ray` module, or `FactcheckError` with the install command."""
    try:
        import ray
    except ImportError:
        raise FactcheckError(
            "--ray needs Ray: pip install 'factcheck-pipeline[ray]' (the same version on "
            "every node of the cluster)"
        ) from None
    return ray


def worker_settings(overrides: dict[str, Any]) -> Settings:
    """A worker's settings: the driver's non-secret settings over the worker's environment
    (which supplies the secrets)."""
    return Settings(**overrides)


def driver_overrides(settings: Settings) -> dict[str, Any]:
    """The settings the driver sends to its workers: those set explicitly (environment, .env,
    command line), without secrets."""
    return settings.model_dump(mode="json", exclude_unset=True, exclude=set(SECRET_SETTINGS))


def probe_llm(settings: Settings) -> None:
    """Raise `WorkerSetupError` with the fix when an OpenAI(-compatible) endpoint does not
    answer `GET /models` (no tokens are spent)."""
    if settings.resolved_backend() != "openai":
        return
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
    where = settings.base_url or "https://api.openai.com/v1"
    try:
        client = openai.OpenAI(api_key=key, base_url=settings.base_url, timeout=10, max_retries=1)
        client.models.list()
    except openai.AuthenticationError as exc:
        raise WorkerSetupError(
            f"worker on {node_name()}: the LLM at {where} refused the API key ({exc.status_code})."
            " Fix: set FACTCHECK_OPENAI_API_KEY (or OPENAI_API_KEY) in the environment of every "
            "Ray node (ray start inherits it; on KubeRay, from a Secret)."
        ) from None
    except openai.APIError as exc:
        raise WorkerSetupError(
            f"worker on {node_name()}: cannot reach the LLM at {where}: {exc}. Fix: make "
            "FACTCHECK_BASE_URL an address every node can reach (not the driver's 127.0.0.1 "
            "unless all nodes share the machine), or check the server is up."
        ) from None


def node_name() -> str:
    """`hostname (pid N)` of this process, for messages from workers."""
    return f"{socket.gethostname()} (pid {os.getpid()})"


class PipelineActor:
    """One configured pipeline in a Ray worker process (wrapped by `ray.remote` at run time)."""

    def __init__(
        self,
        overrides: dict[str, Any],
        app_factory: AppFactory | None = None,
        item_hook: ItemHook | None = None,
    ) -> None:
        self._overrides = overrides
        self._factory = app_factory or build_app
        self._hook = item_hook
        self._app: App | None = None

    async def start(self) -> dict[str, Any]:
        """Build the pipeline and check its Chroma server and LLM; what the run header records.
        Raises `WorkerSetupError` naming the fix."""
        settings = worker_settings(self._overrides)
        try:
            app = await asyncio.to_thread(self._factory, settings)
        except FactcheckError as exc:
            raise WorkerSetupError(f"worker on {node_name()}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - Chroma's client raises many kinds when down
            where = f"{settings.chroma_host}:{settings.chroma_port}"
            raise WorkerSetupError(
                f"worker on {node_name()}: could not open the pipeline ({type(exc).__name__}: "
                f"{exc}). If the Chroma server at {where} is unreachable from this node, start "
                "it with `chroma run --host 0.0.0.0 --port PORT --path DIR` and set "
                "FACTCHECK_CHROMA_HOST/FACTCHECK_CHROMA_PORT to an address every node reaches."
            ) from None
        try:
            await asyncio.to_thread(app.require_sources)
        except FactcheckError as exc:
            raise WorkerSetupError(f"worker on {node_name()}: {exc}") from None
        await asyncio.to_thread(probe_llm, settings)
        self._app = app
        return {
            "model_display": app.llm.model_name,
            "store": describe_store(app),
            "prompt_hashes": app.pipeline.prompt_hashes(),
            "node": node_name(),
        }

    async def check(self, item: Article | InputError) -> ItemBlock:
        """The item's block (see `Pipeline.process`)."""
        if self._app is None:
            raise FactcheckError("PipelineActor.check called before start()")
        if self._hook is not None:
            self._hook(item)
        return await self._app.pipeline.process(item)

    async def spent(self) -> tuple[Usage, int]:
        """The LLM usage so far (live: includes calls of articles still in flight) and the
        claims answered from this worker's de-duplication map."""
        if self._app is None:
            return Usage(), 0
        return self._app.llm.totals.model_copy(), self._app.pipeline.stats.deduplicated


@dataclass(eq=False)
class _Worker:
    """The driver's view of one actor."""

    handle: Any
    ready_ref: Any
    ready: bool = False
    dead: bool = False
    in_flight: set[Any] = field(default_factory=set)
    alone: bool = False
    """Running a retried article, which must run alone."""
    poll_ref: Any = None
    usage: Usage = field(default_factory=Usage)
    deduplicated: int = 0


class _Pool:
    """The actors, their replacement, and the bookkeeping of what each one holds."""

    def __init__(self, ray: Any, options: ClusterOptions, overrides: dict[str, Any]) -> None:
        self.ray = ray
        self.options = options
        self.remote = ray.remote(PipelineActor).options(
            num_cpus=options.actor_cpus,
            max_restarts=0,  # the driver replaces dead workers and re-sends their articles
            max_task_retries=0,
            max_concurrency=1000,
            scheduling_strategy="SPREAD",
        )
        self.overrides = overrides
        self.size = options.actors or max(
            1, int(ray.cluster_resources().get("CPU", 1) // options.actor_cpus)
        )
        self.replacements_left = self.size * options.max_attempts
        self.workers: list[_Worker] = []
        self.lost: list[_Worker] = []
        self.description: dict[str, Any] | None = None
        for _ in range(self.size):
            self.add()

    def add(self) -> None:
        handle = self.remote.remote(
            self.overrides, self.options.app_factory, self.options.item_hook
        )
        self.workers.append(_Worker(handle, handle.start.remote()))

    def lose(self, worker: _Worker) -> None:
        """Mark `worker` dead (its articles are re-sent by the caller) and start a replacement
        while the bounded supply lasts."""
        if worker.dead:
            return
        worker.dead = True
        self.workers.remove(worker)
        self.lost.append(worker)
        with contextlib.suppress(Exception):  # it is gone already
            self.ray.kill(worker.handle, no_restart=True)
        if self.replacements_left > 0:
            self.replacements_left -= 1
            self.add()
        elif not self.workers:
            raise FactcheckError(
                f"every Ray worker died and {self.size * self.options.max_attempts} "
                "replacements are used up: see the worker logs (the Ray session's logs folder "
                "on each node), then continue with --resume"
            )

    def pick(self, *, alone: bool, per_worker: int) -> _Worker | None:
        """A ready worker for the next article: an idle one for an article that must run
        alone, else the least busy with room (never one running an article alone)."""
        ready = [w for w in self.workers if w.ready and not w.alone]
        if alone:
            return next((w for w in ready if not w.in_flight), None)
        open_ = [w for w in ready if len(w.in_flight) < per_worker]
        return min(open_, key=lambda w: len(w.in_flight), default=None)

    def spent(self) -> tuple[Usage, int]:
        """Usage and de-duplications last reported by every worker, dead ones included."""
        usage, deduplicated = Usage(), 0
        for worker in self.workers + self.lost:
            usage.add(worker.usage)
            deduplicated += worker.deduplicated
        return usage, deduplicated

    def shutdown(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):  # best effort at exit
                self.ray.kill(worker.handle, no_restart=True)


def connect(ray: Any, address: str | None, *, num_cpus: int | None = None) -> bool:
    """Connect to the cluster at `address`, or start a local Ray instance (no dashboard, no
    usage statistics); False when this process is connected already (a notebook, a
    benchmark), so the caller must not shut it down. Raises `FactcheckError` with the fix."""
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if address:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        else:
            # The local workers import the factcheck this driver runs (a source checkout too).
            package_root = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(p for p in [package_root, os.environ.get("PYTHONPATH")] if p)
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env={"env_vars": {"PYTHONPATH": path}},
            )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FactcheckError(
            f"cannot connect to the Ray cluster at {address}: {exc}. Fix: start it with "
            "`ray start --head` (then give its HOST:6379), or omit the address to start a "
            "local Ray instance"
        ) from None
    return True


def run_cluster_job(
    settings: Settings,
    paths: Sequence[str | Path],
    run_dir: Path,
    *,
    options: ClusterOptions,
    price: Price,
    resume: bool = False,
    budget: Budget | None = None,
    shard: tuple[int, int] | None = None,
    header_config: dict[str, object] | None = None,
    events: RunEvents | None = None,
    fetch: FetchSettings | None = None,
) -> RunOutcome:
    """Run the pipeline over `paths` on a pool of Ray actors into `run_dir` (see the module
    doc); the same outcome and files as `run_job`."""
    events = events or QuietEvents()
    state = open_run(run_dir, resume=resume, events=events)
    if state is not None and state.finished:
        return RunOutcome(run_dir, already_finished=True)
    if settings.chroma_host is None and options.app_factory is None:
        raise FactcheckError(
            "--ray needs a Chroma server that every worker reaches (an embedded store is one "
            "process's): run `chroma run --path DIR --host 0.0.0.0 --port 8000`, ingest into it, "
            "and set FACTCHECK_CHROMA_HOST and FACTCHECK_CHROMA_PORT"
        )
    ray = import_ray()
    owned = connect(ray, options.address)
    try:
        return _drive(
            ray,
            settings,
            paths,
            run_dir,
            state=state,
            options=options,
            price=price,
            budget=budget or Budget(),
            shard=shard,
            header_config=header_config or {},
            events=events,
            fetch=fetch,
        )
    finally:
        if owned:
            ray.shutdown()


def _drive(
    ray: Any,
    settings: Settings,
    paths: Sequence[str | Path],
    run_dir: Path,
    *,
    state: ResumeState | None,
    options: ClusterOptions,
    price: Price,
    budget: Budget,
    shard: tuple[int, int] | None,
    header_config: dict[str, object],
    events: RunEvents,
    fetch: FetchSettings | None,
) -> RunOutcome:
    from factcheck.io.inputs import read_articles

    clock = time.perf_counter()
    pool = _Pool(ray, options, driver_overrides(settings))
    per_worker = options.in_flight or settings.concurrency
    stats = RunStats()
    written: set[str] = set(state.done) if state else set()
    outcome = RunOutcome(run_dir)
    try:
        _await_workers(ray, pool, options.start_timeout, every=options.wait_for_all)
        ready = sum(w.ready for w in pool.workers)
        events.notice(
            f"Ray: {ready} of {pool.size} workers ready after {time.perf_counter() - clock:.1f} s"
        )
        assert pool.description is not None
        description = pool.description
        header = run_header(
            run_dir,
            state,
            header_config
            | {
                "model_display": description["model_display"],
                "store": description["store"],
                "inputs": input_names(paths),
                "ray": {"address": options.address or "local", "actors": pool.size},
            },
            description["prompt_hashes"],
            events,
        )
        blocks_usage = Usage()
        sent: set[str] = set()

        def spent() -> tuple[int, float | None]:
            live, stats.deduplicated = pool.spent()
            usage = live if live.billable_tokens >= blocks_usage.billable_tokens else blocks_usage
            stats.usage = usage
            return usage.billable_tokens, cost_usd(usage, price)

        def source() -> Iterator[Article | InputError]:
            limit = {"max_bytes": settings.max_input_bytes} if settings.max_input_bytes else {}
            for item in read_articles(list(paths), fetch=fetch, **limit):
                item_id = item_id_of(item)
                if shard is not None and not in_shard(item_id, shard):
                    continue
                if item_id in written or item_id in sent:
                    stats.skipped += 1
                    continue
                sent.add(item_id)
                yield item

        with BlockWriter(RunDirectory(run_dir).results) as writer:
            if state is None or state.header is None:
                writer.write_line(header)

            def write(block: ItemBlock) -> None:
                if block.item_id in written:  # a late duplicate (never expected): drop it
                    return
                writer.write_block(block)
                written.add(block.item_id)
                blocks_usage.add(block.usage)
                if block.article is not None:
                    stats.articles += 1
                for record in block.records:
                    stats.count(record)
                    if isinstance(record, ErrorRecord):
                        if record.claim is not None:
                            stats.claims += 1
                        events.item_error(record)
                    else:
                        stats.claims += 1
                events.progress(stats, *spent())

            _dispatch(ray, pool, source(), write, per_worker, options, budget, spent, stats, events)
            outcome.stopped = stats.stopped
            if stats.stopped is None:
                spent()
                outcome.summary = summarize(
                    header.run_id,
                    RunDirectory(run_dir).results,
                    wall_seconds=time.perf_counter() - clock,
                    price=price,
                    stopped=None,
                    skipped=stats.skipped,
                    deduplicated=stats.deduplicated,
                )
                writer.write_line(outcome.summary)
    finally:
        pool.shutdown()
    return write_reports(outcome)


def _await_workers(ray: Any, pool: _Pool, timeout: float, *, every: bool = False) -> None:
    """Wait until one worker (`every`: all) is ready; raise a setup error (the fix) at once."""
    deadline = time.monotonic() + timeout
    while pool.description is None or (every and not all(w.ready for w in pool.workers)):
        refs = [w.ready_ref for w in pool.workers if not w.ready]
        left = deadline - time.monotonic()
        if left <= 0 or not refs:
            raise FactcheckError(
                f"no Ray worker became ready within {timeout:.0f} s (cluster resources: "
                f"{ray.cluster_resources()}; each worker needs {pool.options.actor_cpus} CPU). "
                "Fix: add nodes or CPUs, or lower --ray-actors"
            )
        done, _ = ray.wait(refs, num_returns=1, timeout=min(left, 1.0))
        for ref in done:
            _started(ray, pool, ref)


def _started(ray: Any, pool: _Pool, ref: Any) -> None:
    """Take in a worker's `start()` result; a setup error ends the run with its fix."""
    worker = next(w for w in pool.workers if w.ready_ref is ref)
    try:
        description = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        raise _cause(exc) from None
    except ray.exceptions.RayActorError as exc:
        if exc.actor_init_failed:  # e.g. factcheck missing or another version on that node
            last = [line.strip() for line in str(exc).splitlines() if line.strip()][-1:]
            raise FactcheckError(
                f"a Ray worker could not be created: {' '.join(last)}. Fix: install the same "
                "factcheck-pipeline[ray] version (and Python) on every node; `factcheck "
                "doctor --ray ADDRESS` compares them"
            ) from None
        pool.lose(worker)  # died while starting (its node went away): replaced if allowed
        return
    except ray.exceptions.RayError:
        pool.lose(worker)
        return
    worker.ready = True
    if pool.description is None:
        pool.description = description


def _cause(exc: Any) -> FactcheckError:
    """The `FactcheckError` a remote task raised (its message names the fix)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, FactcheckError):
        return cause
    return FactcheckError(f"a Ray worker failed: {cause or exc}")


def _dispatch(
    ray: Any,
    pool: _Pool,
    items: Iterator[Article | InputError],
    write: Callable[[ItemBlock], None],
    per_worker: int,
    options: ClusterOptions,
    budget: Budget,
    spent: Callable[[], tuple[int, float | None]],
    stats: RunStats,
    events: RunEvents,
) -> None:
    """Send items to workers with bounded in-flight work until the input (or the budget) is
    exhausted and every sent item is written."""
    tasks: dict[Any, tuple[Article | InputError, _Worker]] = {}
    retries: deque[Article | InputError] = deque()
    attempts: Counter[str] = Counter()
    exhausted = False
    last_poll = 0.0
    idle_since = time.monotonic()
    while True:
        while stats.stopped is None and (retries or not exhausted):
            worker = pool.pick(alone=bool(retries), per_worker=per_worker)
            if worker is None:
                break
            if reason := budget.exceeded(*spent()):
                stats.stopped = reason
                break
            if retries:
                item = retries.popleft()
                worker.alone = True
            else:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
            ref = worker.handle.check.remote(item)
            tasks[ref] = (item, worker)
            worker.in_flight.add(ref)
        if not tasks and (stats.stopped is not None or (exhausted and not retries)):
            return
        if tasks or any(w.ready for w in pool.workers):
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > options.start_timeout:
            raise FactcheckError(
                f"no Ray worker has been ready for {options.start_timeout:.0f} s (cluster "
                f"resources: {ray.cluster_resources()}; each worker needs "
                f"{options.actor_cpus} CPU). Fix: add nodes or CPUs, then continue with --resume"
            )
        starting = {w.ready_ref: w for w in pool.workers if not w.ready}
        polls = {w.poll_ref: w for w in pool.workers if w.poll_ref is not None}
        done, _ = ray.wait([*tasks, *starting, *polls], num_returns=1, timeout=1.0)
        for ref in done:
            if ref in starting:
                _started(ray, pool, ref)
            elif ref in polls:
                worker = polls[ref]
                worker.poll_ref = None
                # a failed poll is ignored: the task results tell the driver the worker died
                with contextlib.suppress(ray.exceptions.RayError):
                    worker.usage, worker.deduplicated = ray.get(ref)
            else:
                item, worker = tasks.pop(ref)
                worker.in_flight.discard(ref)
                worker.alone = False
                block = _result(ray, pool, ref, item, worker, attempts, retries, options)
                if block is not None:
                    write(block)
        if time.monotonic() - last_poll >= 0.5:
            last_poll = time.monotonic()
            for worker in pool.workers:
                if worker.ready and worker.poll_ref is None:
                    worker.poll_ref = worker.handle.spent.remote()
            events.progress(stats, *spent())


def _result(
    ray: Any,
    pool: _Pool,
    ref: Any,
    item: Article | InputError,
    worker: _Worker,
    attempts: Counter[str],
    retries: deque[Article | InputError],
    options: ClusterOptions,
) -> ItemBlock | None:
    """The block for a finished task, or None when the item goes back for another attempt."""
    item_id = item_id_of(item)
    try:
        block: ItemBlock = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # raised inside the pipeline (a bug): record it
        cause = getattr(exc, "cause", None) or exc
        return _error_block(item, type(cause).__name__, f"{type(cause).__name__}: {cause}")
    except ray.exceptions.RayError as exc:  # the worker (or its node) died
        pool.lose(worker)
        attempts[item_id] += 1
        if attempts[item_id] < options.max_attempts:
            retries.append(item)
            return None
        del attempts[item_id]
        return _error_block(
            item,
            "WorkerLost",
            f"the worker checking this item died {options.max_attempts} times (last: "
            f"{type(exc).__name__}); it is recorded as an error instead of being sent again. "
            "Fix: look for the crash (often out of memory) in the Ray logs of the node, then "
            "check the article alone",
        )
    attempts.pop(item_id, None)
    return block


def _error_block(item: Article | InputError, error: str, message: str) -> ItemBlock:
    """An item's block holding one `worker` error record (and its article, if it is one)."""
    item_id = item_id_of(item)
    article = item if isinstance(item, Article) else None
    record = ErrorRecord(
        item_id=item_id,
        stage="worker",
        error=error,
        message=message,
        article_id=article.id if article else None,
    )
    return ItemBlock(
        item_id, [record], article=ArticleRecord.from_article(article) if article else None
    )


# --- `factcheck doctor --ray` ----------------------------------------------------------------


@dataclass
class NodeReport:
    """What one node of the cluster says about itself (`doctor --ray`)."""

    node: str
    versions: dict[str, str]
    problems: list[str]


def node_report(overrides: dict[str, Any]) -> dict[str, Any]:
    """Run on a node: its versions, and whether it reaches the Chroma server and the LLM with
    the settings the driver sends (secrets from the node's own environment)."""
    import platform
    import urllib.request

    import ray

    from factcheck import __version__

    problems: list[str] = []
    try:
        settings = worker_settings(overrides)
    except Exception as exc:  # noqa: BLE001 - report any settings error
        return {"node": node_name(), "versions": {}, "problems": [f"settings: {exc}"]}
    if settings.chroma_host:
        url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
        try:
            with urllib.request.urlopen(url, timeout=5):
                pass
        except OSError as exc:
            problems.append(
                f"Chroma server {settings.chroma_host}:{settings.chroma_port} unreachable "
                f"({exc}): set FACTCHECK_CHROMA_HOST to an address this node reaches"
            )
    else:
        problems.append(
            "no Chroma server configured: --ray needs FACTCHECK_CHROMA_HOST/_PORT "
            "(`chroma run --host 0.0.0.0 --port 8000 --path DIR`)"
        )
    try:
        probe_llm(settings)
    except WorkerSetupError as exc:
        problems.append(str(exc))
    return {
        "node": f"{ray.util.get_node_ip_address()} {node_name()}",
        "versions": {
            "factcheck": __version__,
            "ray": ray.__version__,
            "python": platform.python_version(),
        },
        "problems": problems,
    }


def check_cluster(settings: Settings, address: str | None) -> tuple[str, list[NodeReport]]:
    """Connect to the cluster (or start a local instance) and run `node_report` on every live
    node; (a one-line description of the cluster, the reports). Version mismatches with the
    driver are reported as problems."""
    import platform

    from factcheck import __version__

    ray = import_ray()
    owned = connect(ray, address)
    try:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = [n for n in ray.nodes() if n.get("Alive")]
        remote = ray.remote(num_cpus=0, max_retries=0)(node_report)
        refs = [
            remote.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(driver_overrides(settings))
            for n in nodes
        ]
        mine = {"factcheck": __version__, "ray": ray.__version__}
        mine["python"] = platform.python_version()
        reports = []
        for node, ref in zip(nodes, refs, strict=True):
            try:
                data = ray.get(ref, timeout=120)
            except Exception as exc:  # noqa: BLE001 - report any failure of the probe
                data = {"node": node["NodeManagerAddress"], "versions": {}, "problems": [str(exc)]}
            report = NodeReport(**data)
            for name, version in report.versions.items():
                if version != mine[name]:
                    report.problems.append(
                        f"{name} {version} here, {mine[name]} on the driver: install the same "
                        "versions on every node"
                    )
            reports.append(report)
        cpus = ray.cluster_resources().get("CPU", 0)
        description = f"{len(nodes)} nodes, {cpus:g} CPUs, Ray {ray.__version__}"
        return description, reports
    finally:
        if owned:
            ray.shutdown()
