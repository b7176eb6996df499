"""ReferenceStore against a real local Chroma server (`chroma run`), started and stopped here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import chromadb
import pytest

from factcheck.app import store_settings
from factcheck.errors import StoreError
from factcheck.io.inputs import Source
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding, OtherEmbedding
from tests.retrieval.test_store import make_settings

pytestmark = pytest.mark.integration

CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not Path(CHROMA).exists():
        pytest.skip("the `chroma` command is not installed")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        [CHROMA, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=log,
    )
    try:
        client = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client = chromadb.HttpClient(
                    host="127.0.0.1",
                    port=port,
                    settings=chromadb.Settings(anonymized_telemetry=False),
                )
                client.heartbeat()
                break
            except Exception:  # noqa: BLE001 - any failure means "not up yet"
                time.sleep(0.2)
        else:
            pytest.fail(f"chroma server did not start: {(data / 'server.log').read_text()}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_server_mode_ingest_search_reopen(server: int, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=server)
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    sources = [
        Source(id="a", text="Inflation reached 3.2 percent in 2020.", published=date(2020, 1, 1)),
        Source(id="b", text="Inflation reached 3.2 percent in 2022.", published=date(2022, 1, 1)),
    ]
    assert store.ingest(sources).chunks_added == 2
    assert store.ingest(sources).chunks_added == 0
    evidence = store.search("inflation 3.2 percent", k=2, published_on_or_before=date(2021, 1, 1))
    assert [e.chunk.source_id for e in evidence] == ["a"]
    described = store.describe()
    assert described["mode"] == "server" and described["location"] == f"127.0.0.1:{server}"
    # the lexical cache lives under chroma_path even in server mode
    assert (Path(settings.chroma_path) / "lexical" / "refs").is_dir()
    other = ReferenceStore.open(store_settings(settings), HashEmbedding())
    assert other.fingerprint() == store.fingerprint()
    with pytest.raises(StoreError, match="factcheck-test-other"):
        ReferenceStore.open(store_settings(settings), OtherEmbedding())


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match="chroma run"):
        ReferenceStore.open(store_settings(settings), HashEmbedding())
