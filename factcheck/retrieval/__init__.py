"""Retrieval: the Chroma reference store (chunking, fingerprints, dense + BM25 search
and fusion), embedders, the source policy applied to evidence, and prior fact checks."""
