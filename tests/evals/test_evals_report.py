"""Eval report tables."""


def test_hybrid_mode_is_named_after_its_fusion_settings():
    from factcheck.evals.report import _hybrid_name

    assert _hybrid_name({}) == "hybrid (RRF)"
    assert _hybrid_name({"fusion": "rrf", "dense_weight": 0.5}) == "hybrid (RRF)"
    assert (
        _hybrid_name({"fusion": "score", "dense_weight": 0.6, "chunk_title": True})
        == "hybrid (score, dense weight 0.6, titles)"
    )
