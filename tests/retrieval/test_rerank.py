"""The re-ranker: applied to the fused top candidates of hybrid searches, recorded per passage,
switchable per call and by setting; and the shipped cross-encoder itself."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from factcheck.app import make_reranker, retrieval_settings, store_settings
from factcheck.config import Settings
from factcheck.io.inputs import Source
from factcheck.retrieval.onnx import (
    PER_SEQUENCE,
    ModelFileError,
    padded_feeds,
    pair_logits,
    pair_tokenizer,
    runs_in_parallel,
)
from factcheck.retrieval.rerank import RERANKER_NAME, Reranker, blended_order
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding


class NeedleReranker(Reranker):
    """Scores 1 for passages holding the word "needle", 0 otherwise; records its calls."""

    def __init__(self, depth: int = 30, weight: float = 1.0) -> None:
        super().__init__(depth=depth, weight=weight)
        self.calls: list[tuple[str, list[str]]] = []

    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        self.calls.append((query, list(passages)))
        return np.array([1.0 if "needle" in p else 0.0 for p in passages], dtype=np.float32)


SOURCES = [
    Source(id=f"hay{i}", text=f"Harvest report {i}: the harvest of wheat was large.", title="Hay")
    for i in range(6)
] + [Source(id="needle", text="A needle was found; the harvest was small.", title="Needle")]


def open_store(tmp_path: Path, reranker: Reranker | None) -> ReferenceStore:
    settings = Settings(chroma_path=tmp_path / "chroma", collection="refs", top_k=3)
    store = ReferenceStore.open(store_settings(settings), HashEmbedding(), reranker=reranker)
    store.ingest(SOURCES)
    return store


def test_reranker_reorders_fused_candidates_and_records_scores(tmp_path: Path) -> None:
    reranker = NeedleReranker(depth=10)
    store = open_store(tmp_path, reranker)
    plain = store.search("harvest of wheat", k=3, rerank=False)
    assert all(e.chunk.source_id != "needle" for e in plain)  # fused top 3: only hay
    found = store.search("harvest of wheat", k=3)
    assert found[0].chunk.source_id == "needle"
    assert [e.number for e in found] == [1, 2, 3]
    assert found[0].rerank_score == 1.0 and found[0].fused_rank is not None
    assert found[0].fused_rank > 3  # lifted from below the cut
    assert [e.rerank_score for e in found[1:]] == [0.0, 0.0]
    # ties keep the fused order
    assert [e.fused_rank for e in found[1:]] == sorted(e.fused_rank or 0 for e in found[1:])
    # the re-ranker read each passage after its title, as the store embeds it
    query, passages = reranker.calls[-1]
    assert query == "harvest of wheat" and len(passages) == 7
    assert any(p.startswith("Needle. A needle") for p in passages)


def test_only_hybrid_searches_are_reranked(tmp_path: Path) -> None:
    reranker = NeedleReranker()
    store = open_store(tmp_path, reranker)
    for mode in ("dense", "lexical"):
        hits = store.search("harvest of wheat", k=3, mode=mode)  # type: ignore[arg-type]
        assert all(e.rerank_score is None for e in hits)
    assert reranker.calls == []


def test_depth_limits_what_is_rescored(tmp_path: Path) -> None:
    reranker = NeedleReranker(depth=4)
    store = open_store(tmp_path, reranker)
    store.search("harvest of wheat", k=3)
    assert len(reranker.calls[-1][1]) == 4


def test_settings_turn_the_reranker_off_and_results_record_it(tmp_path: Path) -> None:
    on = Settings(chroma_path=tmp_path / "c", rerank=True, rerank_depth=12, rerank_weight=0.4)
    reranker = make_reranker(on)
    assert reranker is not None and (reranker.depth, reranker.weight) == (12, 0.4)
    record = retrieval_settings(on, reranker)
    assert (record.reranker, record.rerank_depth, record.rerank_weight) == (RERANKER_NAME, 12, 0.4)
    off = Settings(chroma_path=tmp_path / "c", rerank=False)
    assert make_reranker(off) is None
    assert retrieval_settings(off, None).reranker is None


def test_missing_model_file_names_the_fix(tmp_path: Path) -> None:
    reranker = Reranker(depth=5, weight=0.25, model_path=tmp_path / "absent.onnx")
    with pytest.raises(ModelFileError, match="FACTCHECK_RERANK=false"):
        reranker.scores("a claim", ["a passage"])


def test_shipped_reranker_prefers_the_relevant_passage() -> None:
    reranker = Reranker(depth=5, weight=0.25, threads=1)
    claim = "Vitamin D supplements reduce the risk of severe COVID-19."
    passages = [
        "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
        "In a randomised trial, vitamin D supplementation did not lower the rate of severe "
        "COVID-19 among hospitalised patients.",
        "Wheat harvests in Kansas were larger than expected this year.",
    ]
    scores = reranker.scores(claim, passages)
    assert scores.shape == (3,)
    assert int(np.argmax(scores)) == 1
    assert scores[1] - max(scores[0], scores[2]) > 1.0
    assert reranker.scores(claim, []).shape == (0,)


def test_a_pair_scores_the_same_whatever_is_scored_beside_it() -> None:
    reranker = Reranker(depth=5, weight=0.25, threads=1)
    claim = "Masks reduce the spread of respiratory viruses in schools."
    passages = [
        "Mask mandates in schools were associated with lower transmission. " * 6,
        "Schools reopened in September.",
        "Wheat harvests in Kansas were larger than expected this year.",
    ]
    together = reranker.scores(claim, passages)
    alone = np.array([reranker.scores(claim, [p])[0] for p in passages])
    np.testing.assert_array_equal(together, alone)


def test_one_run_per_core_gives_the_scores_of_one_run_at_a_time() -> None:
    claim = "Masks reduce the spread of respiratory viruses in schools."
    passages = [
        "Mask mandates in schools were associated with lower transmission. " * 6,
        "Schools reopened in September.",
        "Wheat harvests in Kansas were larger than expected this year.",
        "Respiratory viruses spread less in classrooms with masks.",
        "x",
    ]
    in_parallel = Reranker(depth=5, weight=0.25, threads=2).scores(claim, passages)
    one_at_a_time = Reranker(depth=5, weight=0.25, threads=1).scores(claim, passages)
    np.testing.assert_array_equal(in_parallel, one_at_a_time)


def test_single_sequences_run_one_per_core_and_batches_use_every_core_in_one_run() -> None:
    assert runs_in_parallel(2, one_sequence_per_run=True) == (1, 2)
    assert runs_in_parallel(1, one_sequence_per_run=True) == (1, 1)
    assert runs_in_parallel(2, one_sequence_per_run=False) == (2, 1)


def test_padded_feeds_pad_the_chosen_rows_to_their_longest_and_mark_the_padding() -> None:
    encodings = pair_tokenizer(64).encode_batch(
        [("a claim", "short"), ("claim", "a longer passage")]
    )
    lengths = np.array([len(e.ids) for e in encodings])
    rows = np.array([1, 0])
    feeds = padded_feeds(
        encodings, lengths, rows, {"input_ids", "attention_mask", "token_type_ids"}
    )
    assert feeds["input_ids"].shape == (2, lengths.max())
    for r, i in enumerate(rows):
        n = lengths[i]
        assert feeds["input_ids"][r, :n].tolist() == encodings[i].ids
        assert feeds["token_type_ids"][r, :n].tolist() == encodings[i].type_ids
        assert feeds["attention_mask"][r].tolist() == [1] * n + [0] * (lengths.max() - n)
        assert not feeds["input_ids"][r, n:].any()
    assert 1 in feeds["token_type_ids"]  # the second text of a pair is typed 1
    # a model without a token-type input is not fed one
    assert set(padded_feeds(encodings, lengths, rows, {"input_ids", "attention_mask"})) == {
        "input_ids",
        "attention_mask",
    }


class FailingOnSecondPair:
    """An ONNX session double whose second run fails."""

    def __init__(self) -> None:
        self.runs = 0

    def get_inputs(self) -> list[object]:
        return []

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.runs += 1
        if self.runs == 2:
            raise RuntimeError("run failed")
        return [np.zeros((len(feeds["input_ids"]), 1), dtype=np.float32)]


def test_a_failing_run_among_parallel_runs_raises_to_the_caller() -> None:
    with pytest.raises(RuntimeError, match="run failed"):
        pair_logits(
            FailingOnSecondPair(),  # type: ignore[arg-type]
            pair_tokenizer(64),
            ["claim"] * 3,
            ["a", "b", "c"],
            width=1,
            batch_size=PER_SEQUENCE,
            workers=2,
        )


def test_passages_below_the_depth_follow_in_fused_order(tmp_path: Path) -> None:
    store = open_store(tmp_path, NeedleReranker(depth=2))
    fused = store.search("harvest of wheat", k=7, rerank=False)
    found = store.search("harvest of wheat", k=7)
    assert [e.number for e in found] == list(range(1, 8))
    assert all(e.rerank_score is not None for e in found[:2])
    assert all(e.rerank_score is None and e.fused_rank is None for e in found[2:])
    assert [e.chunk.id for e in found[2:]] == [e.chunk.id for e in fused[2:]]


def test_blended_order_moves_between_the_fused_and_the_reranker_order() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.9])  # the re-ranker reverses the fused order
    assert blended_order(scores, 1.0) == [3, 2, 1, 0]
    assert blended_order(scores, 0.0) == [0, 1, 2, 3]
    # half-way every mean rank is 1.5: ties keep the fused order
    assert blended_order(scores, 0.5) == [0, 1, 2, 3]
    # one passage the re-ranker puts first rises from 4th to 3rd (its mean rank 1.5 ties the
    # 2nd passage's, which keeps its place); the others keep their order
    lifted = np.array([0.3, 0.2, 0.1, 0.9])
    assert blended_order(lifted, 0.5) == [0, 1, 3, 2]
    assert blended_order(lifted, 0.75) == [0, 3, 1, 2]
    assert blended_order(lifted, 0.8) == [3, 0, 1, 2]
    assert blended_order(np.array([]), 0.5) == []


def test_a_partial_weight_nudges_the_fused_order(tmp_path: Path) -> None:
    full = open_store(tmp_path / "full", NeedleReranker(depth=10)).search("harvest of wheat", k=7)
    half = open_store(tmp_path / "half", NeedleReranker(depth=10, weight=0.5)).search(
        "harvest of wheat", k=7
    )
    fused_rank = next(e.fused_rank for e in full if e.chunk.source_id == "needle")
    assert full[0].chunk.source_id == "needle"
    rank_half = next(e.number for e in half if e.chunk.source_id == "needle")
    assert fused_rank is not None and fused_rank >= 3
    # half-way, the needle's mean rank (fused_rank - 1) / 2 (0-based) passes every passage
    # whose mean j + 0.5 is larger: it lands at fused_rank // 2 + 1
    assert rank_half == fused_rank // 2 + 1


def test_weight_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Reranker(depth=5, weight=1.5)
