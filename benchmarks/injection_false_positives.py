"""False-positive rate of the prompt-injection detector on ordinary text.

Runs `factcheck.injection.scan` over passages that contain no attack — the seed
reference notes and the seed news article, the Check-COVID corpus (abstracts), the
Climate-FEVER evidence sentences and the Factcheck-GPT documents (its extraction documents and
the web evidence passages of its stance pairs) — and prints, per corpus, the passages scanned
and flagged, the flag rate, the flags per rule, and every flagged passage with the matched text,
so each false positive can be inspected. Passages are what ingest stores: sources split by the
store's own splitter (800/120 characters by default); Climate-FEVER sentences are scanned one
by one.

    python benchmarks/injection_false_positives.py              # all corpora
    python benchmarks/injection_false_positives.py --examples 5 # at most 5 examples per corpus

Climate-FEVER is read from the shared data folder (see evals/datasets/README.md); a corpus
that cannot be loaded is reported and skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, print_footer, print_header
from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.config import Settings
from factcheck.errors import FactcheckError
from factcheck.evals.datasets import load_corpus, load_extraction, load_verification
from factcheck.injection import RULE_NAMES, scan
from factcheck.io.inputs import Source, read_articles, read_sources
from factcheck.models import Article
from factcheck.retrieval.chunking import split_source

Passages = Iterator[tuple[str, str]]


def _splitter() -> RecursiveCharacterTextSplitter:
    settings = Settings()
    return RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, add_start_index=True
    )


def _chunks(sources: list[Source]) -> Passages:
    splitter = _splitter()
    for source in sources:
        for chunk in split_source(source, splitter):
            yield chunk.id, chunk.text


def seeds() -> Passages:
    """The seed reference notes, chunked as `factcheck ingest seeds/reference` stores them."""
    items = list(read_sources([REPO_ROOT / "seeds" / "reference"]))
    yield from _chunks([s for s in items if isinstance(s, Source)])


def seed_articles() -> Passages:
    """The seed news articles (`seeds/articles`), chunked like sources."""
    items = list(read_articles([REPO_ROOT / "seeds" / "articles"]))
    yield from _chunks([Source(id=a.id, text=a.text) for a in items if isinstance(a, Article)])


def check_covid() -> Passages:
    """The Check-COVID corpus (paper abstracts), chunked."""
    docs = load_corpus("check-covid")
    yield from _chunks([Source(id=d.id, text=d.text, title=d.title) for d in docs])


def climate_fever() -> Passages:
    """Climate-FEVER evidence sentences (Wikipedia), one passage each."""
    for doc in load_corpus("climate-fever"):
        sentences = doc.sentences or [doc.text]
        for i, sentence in enumerate(sentences):
            yield f"{doc.id}:{i}", sentence


def factcheck_gpt() -> Passages:
    """Factcheck-GPT: the extraction documents (model answers) and the distinct web evidence
    passages of the stance pairs, chunked."""
    sources = [Source(id=c.id, text=c.text) for c in load_extraction("factcheck-gpt")]
    seen: set[str] = set()
    for case in load_verification("factcheck-gpt", "all"):
        for item in case.evidence:
            if item.text.strip() and item.text not in seen:
                seen.add(item.text)
                sources.append(Source(id=item.id, text=item.text))
    yield from _chunks(sources)


CORPORA: dict[str, Callable[[], Passages]] = {
    "seeds/reference": seeds,
    "seeds/articles": seed_articles,
    "check-covid": check_covid,
    "climate-fever": climate_fever,
    "factcheck-gpt": factcheck_gpt,
}


def _excerpt(text: str, start: int, end: int, width: int = 70) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    shown = text[left:start] + "[[" + text[start:end] + "]]" + text[end:right]
    return " ".join(shown.split())


def main() -> None:
    """Scan every corpus; print counts, rates per rule and the flagged examples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="flagged examples per corpus")
    args = parser.parse_args()
    print_header("prompt-injection detector: false positives on ordinary text")
    totals = Counter[str]()
    table: list[tuple[str, int, int, Counter[str]]] = []
    for name, passages in CORPORA.items():
        try:
            items = list(passages())
        except (FactcheckError, OSError) as exc:
            print(f"\n## {name}: skipped ({exc})")
            continue
        per_rule = Counter[str]()
        flagged: list[tuple[str, str, list]] = []
        for pid, text in items:
            report = scan(text)
            if report.flagged:
                per_rule.update(report.rules)
                flagged.append((pid, text, report.spans))
        table.append((name, len(items), len(flagged), per_rule))
        totals.update({"scanned": len(items), "flagged": len(flagged)})
        print(f"\n## {name}: {len(flagged)} of {len(items)} passages flagged")
        for pid, text, spans in flagged[: args.examples]:
            for span in spans[:3]:
                print(f"- {pid} [{span.rule}] {_excerpt(text, span.start, span.end)!r}")
    print("\n## summary\n")
    print("| corpus | passages | flagged | rate |")
    print("|---|---:|---:|---:|")
    for name, scanned, flagged, _ in table:
        print(f"| {name} | {scanned} | {flagged} | {flagged / max(1, scanned):.3%} |")
    scanned, flagged = totals["scanned"], totals["flagged"]
    print(f"| all | {scanned} | {flagged} | {flagged / max(1, scanned):.3%} |")
    print("\nflags per rule (passages; a passage may fire several rules):\n")
    print("| rule | " + " | ".join(name for name, *_ in table) + " |")
    print("|---|" + "---:|" * len(table))
    for rule in RULE_NAMES:
        counts = [per_rule[rule] for *_, per_rule in table]
        if any(counts):
            print(f"| {rule} | " + " | ".join(str(c) for c in counts) + " |")
    print("(rules not listed fired on no passage)")
    print_footer()


if __name__ == "__main__":
    main()
