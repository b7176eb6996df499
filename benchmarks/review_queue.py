"""Benchmark the review desk at 10,000 claims: queue-page server time and review POST latency.

Builds a synthetic 10,000-result run (`tests/review/synthetic.py`: five 400-character evidence
passages per result, cached under `benchmarks/.cache/review-queue/`), indexes it once as
`factcheck serve` does, pre-fills 2,000 reviews, then times requests through the ASGI app
in-process (starlette's TestClient: the figures include the client's own overhead, so they
are an upper bound on server time; no network). Queue variants and review POSTs are
interleaved. Target: queue p50 < 100 ms and review POST p50 < 100 ms.

    python benchmarks/review_queue.py            # 10,000 claims, 40 requests per variant
    python benchmarks/review_queue.py --claims 2000 --repeats 20
"""

from __future__ import annotations

import argparse
import re
import resource
import tempfile
import warnings
from pathlib import Path

from _common import CACHE_DIR, met, percentiles, print_footer, print_header, timed

from factcheck.models import Verdict
from factcheck.review.app import create_app
from factcheck.review.runs import RunIndex
from factcheck.review.store import ReviewInput, ReviewStore
from tests.review.synthetic import write_synthetic

QUEUE_VARIANTS = {
    "queue, default": "/",
    "queue, filtered (verdict + confidence + publisher)": (
        "/?verdict=REFUTED&conf_min=0.2&conf_max=0.9&publisher=gazette"
    ),
    "queue, sorted by confidence desc, page 40": "/?sort=confidence&order=desc&page=40",
    "queue, status=unreviewed sorted by status": "/?status=unreviewed&sort=status",
}
TARGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

    print_header(f"review desk: {args.claims} claims, {args.reviews} reviews")
    run = CACHE_DIR / "review-queue" / f"run-{args.claims}"
    results = run / "results.jsonl"
    if not results.exists():
        with timed() as t:
            write_synthetic(results, args.claims)
        print(f"built {results} ({results.stat().st_size / 1e6:.1f} MB) in {t[0].wall:.1f} s")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with timed() as t:
        index = RunIndex([run])
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"startup index: {len(index.rows)} rows in {t[0].wall:.2f} s "
        f"(peak RSS +{(rss1 - rss0) / 1024:.0f} MiB, results file "
        f"{results.stat().st_size / 1e6:.1f} MB)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = ReviewStore(Path(tmp) / "reviews.sqlite")
        verdicts = list(Verdict)
        for n, row in enumerate(index.rows[: args.reviews]):
            store.save(
                row.id,
                ReviewInput(verdicts[n % 4], f"reviewer-{n % 5}", ready_to_publish=n % 3 == 0),
                expected_version=0,
            )
        client = TestClient(create_app(index, store), follow_redirects=False)
        page = client.get("/")
        token = re.search(
            r'name="csrf_token" value="([0-9a-f]+)"', client.get(f"/claim/{index.rows[0].id}").text
        )
        assert page.status_code == 200 and token
        csrf = token.group(1)
        times: dict[str, list[float]] = {name: [] for name in QUEUE_VARIANTS}
        times["claim page"] = []
        times["review POST (new review)"] = []
        targets = iter(index.rows[args.reviews :])
        for _ in range(args.repeats):
            for name, path in QUEUE_VARIANTS.items():
                with timed() as t:
                    response = client.get(path)
                assert response.status_code == 200
                times[name].append(t[0].wall * 1000)
            row = next(targets)
            with timed() as t:
                response = client.get(f"/claim/{row.id}")
            assert response.status_code == 200
            times["claim page"].append(t[0].wall * 1000)
            form = {
                "csrf_token": csrf,
                "version": "0",
                "reviewer": "bench",
                "verdict": "REFUTED",
                "rationale": "checked",
                "rating": "False",
                "note": "n",
                "action": "change",
            }
            with timed() as t:
                response = client.post(f"/claim/{row.id}/review", data=form)
            assert response.status_code == 303, response.text[:300]
            times["review POST (new review)"].append(t[0].wall * 1000)
        print(f"\n{'request':55} {'p50 ms':>8} {'p95 ms':>8}")
        for name, values in times.items():
            p50, p95 = percentiles(values)
            print(f"{name:55} {p50:8.1f} {p95:8.1f}")
        queue_p50 = max(percentiles(times[n])[0] for n in QUEUE_VARIANTS)
        post_p50 = percentiles(times["review POST (new review)"])[0]
        print(
            f"\nqueue p50 < {TARGET_MS:.0f} ms (worst variant {queue_p50:.1f} ms): "
            f"{met(queue_p50 < TARGET_MS)}"
        )
        print(
            f"review POST p50 < {TARGET_MS:.0f} ms ({post_p50:.1f} ms): {met(post_p50 < TARGET_MS)}"
        )
    print_footer()


if __name__ == "__main__":
    main()
