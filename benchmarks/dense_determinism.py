"""Does dense search rank the same in two processes? Measured per HNSW configuration.

Chroma's embedded client keeps the HNSW graph of a collection's most recent additions (those
not yet synced to the persisted index, up to `sync_threshold`) in its write-ahead log and
rebuilds that part of the graph in every process that opens the collection, inserting with
`num_threads` threads. This script copies a corpus's chunks and vectors (from the evals' cached
corpus store: no embedding) into fresh collections with several HNSW settings, then runs the
same query vectors in several fresh processes and counts the queries whose dense top-`k` ids
(in order) differ from the first process's.

    python benchmarks/dense_determinism.py --dataset climate-fever --processes 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import chromadb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, print_footer, print_header

from factcheck.evals.datasets import load_retrieval
from factcheck.evals.runner import CACHE_DIR
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction

VARIANTS: dict[str, dict[str, int]] = {
    "default (ef_search 100)": {},
    "num_threads 1": {"num_threads": 1},
    "ef_search 400": {"ef_search": 400},
    "num_threads 1 + ef_search 400": {"num_threads": 1, "ef_search": 400},
    "ef_search 1000 (the store's)": {"ef_search": 1000},
}

QUERY_SCRIPT = """
import json, sys
import chromadb, numpy as np
client = chromadb.PersistentClient(sys.argv[1], chromadb.Settings(anonymized_telemetry=False))
vectors = np.load(sys.argv[2])
out = {}
for name in json.loads(sys.argv[3]):
    col = client.get_collection(name, embedding_function=None)
    res = col.query(query_embeddings=vectors, n_results=int(sys.argv[4]), include=[])
    out[name] = res["ids"]
print(json.dumps(out))
"""


def source_collection(dataset: str) -> chromadb.Collection:
    """The evals' cached corpus collection of `dataset` (stock MiniLM vectors)."""
    stores = sorted((CACHE_DIR / "stores").glob(f"{dataset}-*"))
    if not stores:
        raise SystemExit(
            f"no cached corpus store for {dataset}: run `factcheck eval retrieval-all`"
        )
    client = chromadb.PersistentClient(
        str(stores[-1]), chromadb.Settings(anonymized_telemetry=False)
    )
    (col,) = client.list_collections()
    return client.get_collection(col.name, embedding_function=None)


def main() -> None:
    """Build the variants, query them from fresh processes, print the differences."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="climate-fever")
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--k", type=int, default=30, help="the store's default candidates")
    args = ap.parse_args()
    print_header("dense search determinism across processes")
    source = source_collection(args.dataset)
    got = source.get(include=["documents", "metadatas", "embeddings"])
    claims = [c.claim for c in load_retrieval(args.dataset, "dev")]
    vectors = MiniLMEmbeddingFunction().embed(claims)
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(tmp, chromadb.Settings(anonymized_telemetry=False))
        names = {}
        for i, (label, hnsw) in enumerate(VARIANTS.items()):
            name = f"variant{i}"
            col = client.create_collection(
                name, configuration={"hnsw": {"space": "cosine", **hnsw}}, embedding_function=None
            )
            for start in range(0, len(got["ids"]), 5000):
                col.add(
                    ids=got["ids"][start : start + 5000],
                    embeddings=got["embeddings"][start : start + 5000],
                )
            names[name] = label
        del client
        np.save(Path(tmp) / "q.npy", vectors)
        runs = [
            json.loads(
                subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        QUERY_SCRIPT,
                        tmp,
                        str(Path(tmp) / "q.npy"),
                        json.dumps(list(names)),
                        str(args.k),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=REPO_ROOT,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            for _ in range(args.processes)
        ]
    print(
        f"{args.dataset}: {len(got['ids'])} chunks, {len(claims)} queries, top {args.k}, "
        f"{args.processes} fresh processes"
    )
    print(f"{'HNSW configuration':<34}{'queries differing':>18}{'of':>6}")
    for name, label in names.items():
        first = runs[0][name]
        differing = sum(
            any(run[name][q] != first[q] for run in runs[1:]) for q in range(len(first))
        )
        print(f"{label:<34}{differing:>18}{len(first):>6}")
    print_footer()


if __name__ == "__main__":
    main()
