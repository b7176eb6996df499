"""The reference store against a real `chroma run` server, with the real offline embedder.

Covers: ingest and search through `HttpClient`, re-ingest idempotence, identical rankings to
the embedded client on the same data, and two worker processes sharing the server for one
batch with no lost or duplicated results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factcheck.app import make_embedder, store_settings
from factcheck.config import Settings
from factcheck.io.inputs import read_sources
from factcheck.io.results import read_results
from factcheck.retrieval.store import ReferenceStore

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "seeds" / "reference"
QUERIES = [
    "Mexico sent 37 cartel prisoners to the United States in January 2026",
    "The USMCA will end in 2036 if it is not extended",
    "INEGI homicides 2024 preliminary figures",
    "Pemex cancelled an oil shipment to Cuba",
    "Ryan Wedding arrested in Mexico",
]


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        llm_backend="fake",
        chroma_path=tmp_path / "chroma",
        collection="seed-refs",
        **overrides,
    )


def test_server_store_matches_the_embedded_store(chroma_server, tmp_path):
    embedded_settings = _settings(tmp_path / "embedded")
    server_settings = _settings(
        tmp_path / "server", chroma_host=chroma_server.host, chroma_port=chroma_server.port
    )
    embedded = ReferenceStore.open(
        store_settings(embedded_settings), make_embedder(embedded_settings)
    )
    server = ReferenceStore.open(store_settings(server_settings), make_embedder(server_settings))
    first = server.ingest(read_sources([REFERENCES]))
    embedded.ingest(read_sources([REFERENCES]))
    assert first.chunks_added > 0 and not first.errors
    again = server.ingest(read_sources([REFERENCES]))
    assert again.chunks_added == 0 and again.chunks_existing == first.chunks_added
    assert server.count() == embedded.count() == first.chunks_added
    assert server.fingerprint() == embedded.fingerprint()
    assert server.describe()["mode"] != embedded.describe()["mode"]
    for query in QUERIES:
        remote = server.search(query, k=5)
        local = embedded.search(query, k=5)
        assert [e.chunk.id for e in remote] == [e.chunk.id for e in local], query
        for r, e in zip(remote, local, strict=True):
            assert r.dense_similarity == pytest.approx(e.dense_similarity, abs=1e-4)


def test_two_workers_share_one_server_without_loss_or_duplicates(chroma_server, tmp_path):
    env = {
        **os.environ,
        "FACTCHECK_LLM_BACKEND": "fake",
        "FACTCHECK_CHROMA_HOST": chroma_server.host,
        "FACTCHECK_CHROMA_PORT": str(chroma_server.port),
        "FACTCHECK_COLLECTION": "shared-refs",
        "FACTCHECK_CHROMA_PATH": str(tmp_path / "cache"),
    }
    cli = [sys.executable, "-m", "factcheck"]
    subprocess.run(
        [*cli, "ingest", str(REFERENCES)],
        env=env,
        check=True,
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    articles = tmp_path / "articles.jsonl"
    ids = [f"story-{i}" for i in range(12)]
    with articles.open("w", encoding="utf-8") as handle:
        for i, article_id in enumerate(ids):
            handle.write(
                json.dumps(
                    {
                        "id": article_id,
                        "text": (
                            f"Mexico sent {30 + i} cartel prisoners to the United States in 2026. "
                            f"The USMCA review in 2026 involved {i + 2} rounds of talks."
                        ),
                    }
                )
                + "\n"
            )
    workers = [
        subprocess.Popen(
            [
                *cli,
                "run",
                str(articles),
                "--shard",
                f"{k}/2",
                "--out",
                str(tmp_path / f"worker{k}"),
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for k in range(2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0, output.decode(errors="replace")[-3000:]
    runs = [read_results(tmp_path / f"worker{k}" / "results.jsonl") for k in range(2)]
    done = [[d.item_id for d in run.done] for run in runs]
    assert all(done), "each worker got part of the batch"
    assert sorted(done[0] + done[1]) == sorted(ids)  # nothing lost, nothing done twice
    keys = [(r.claim.article_id, r.claim.id) for run in runs for r in run.results]
    assert len(keys) == len(set(keys)) == 2 * len(ids)
