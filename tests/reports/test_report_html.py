"""HTML report: escaping, safe links, highlights at exact offsets, overlapping spans, chart."""

import itertools
import random

import pytest

from factcheck.io.results import read_results
from factcheck.reports.html import html_report
from factcheck.reports.html_parts import Highlight, esc, highlight, safe_url
from tests.reports.report_fixtures import (
    CALM_TEXT,
    CLAIMS,
    HOSTILE_TEXT,
    IMG,
    SCRIPT,
    VERDICT_OF,
    probe,
    write_results,
)

ON_ATTRIBUTES = ("onerror", "onload", "onclick", "onmouseover")


@pytest.fixture
def document(tmp_path):
    return html_report(read_results(write_results(tmp_path / "results.jsonl")))


def test_no_markup_from_input_survives(document):
    dom = probe(document)
    tags = {tag for tag, _ in dom.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "b"}
    for _, attrs in dom.tags:
        assert not any(name.startswith("on") for name in attrs)
    assert SCRIPT not in document and IMG not in document
    assert esc(SCRIPT) in document and esc(IMG) in document
    assert dom.title == "Fact-check report"


def test_only_http_links_with_noopener(document):
    links = [attrs for tag, attrs in probe(document).tags if tag == "a"]
    assert links
    for attrs in links:
        assert (attrs["href"] or "").startswith(("http://", "https://"))
        assert attrs["rel"] == "noopener noreferrer"
    assert 'href="javascript' not in document.lower()
    assert "javascript:document.title=&#x27;pwned&#x27;" in document  # shown as text only


def test_safe_url():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("  HTTP://example.org ") == "HTTP://example.org"
    for bad in [
        "javascript:alert(1)",
        " jav\tascript:alert(1)",
        "data:text/html,<script>",
        "//example.org/x",
        "https:example",
        "file:///etc/passwd",
        "https://exa mple.org",
        None,
        "",
    ]:
        assert safe_url(bad) is None, bad


def test_highlights_spell_each_claim_quote_with_its_verdict_class(document):
    dom = probe(document)
    classes = {
        "SUPPORTED": "v-supported",
        "REFUTED": "v-refuted",
        "CONFLICTING": "v-conflicting",
        "NOT_ENOUGH_EVIDENCE": "v-nee",
    }
    for key, claim in CLAIMS.items():
        assert dom.mark_text[claim.id] == claim.quote, key
        assert classes[VERDICT_OF[key]] in dom.mark_classes[claim.id]
        assert len(dom.numbers[claim.id]) == 1  # the number is on the last fragment only


def test_article_text_is_reproduced_exactly(document):
    assert probe(document).article_texts == [HOSTILE_TEXT, CALM_TEXT]


def test_metadata_chart_and_errors(document):
    for needle in ["hand-written-test", "ex123", "ve456", "minilm", "fp-0123abcd", "temperature"]:
        assert needle in document
    assert document.count("<svg") == 1
    assert 'class="bar v-refuted"' in document and 'class="bar v-error"' in document
    assert "3 supported" in document  # whole-run row, in the chart's accessible title
    assert "model said &lt;script&gt;" in document


def test_rendering_is_deterministic(tmp_path):
    run = read_results(write_results(tmp_path / "r.jsonl"))
    assert html_report(run) == html_report(run)


def test_claims_without_article_text_are_still_listed(tmp_path):
    run = read_results(write_results(tmp_path / "r.jsonl"))
    run.articles.clear()
    document = html_report(run)
    assert "The article text is not in this results file." in document
    assert "<mark" not in document
    assert esc(CLAIMS["calm"].quote) in document


def test_wrong_offsets_are_not_highlighted(tmp_path):
    run = read_results(write_results(tmp_path / "r.jsonl"))
    bad = run.results[0]
    run.results[0] = bad.model_copy(
        update={"claim": bad.claim.model_copy(update={"start": bad.claim.start + 1})}
    )
    document = html_report(run)
    assert bad.claim.id not in probe(document).mark_text
    assert "not at its offsets" in document


# --- highlight() on its own ---------------------------------------------------------------------


def h(start, end, number, verdict="SUPPORTED"):
    return Highlight(start, end, number, f"k{number}", verdict)


def check(text, spans):
    out = highlight(text, spans)
    dom = probe(f'<div class="article-text">{out}</div>')
    assert dom.article_texts == [text]
    for s in spans:
        if 0 <= s.start < s.end <= len(text):
            assert dom.mark_text[s.key] == text[s.start : s.end]
            assert dom.numbers[s.key] == [str(s.number)]
        else:
            assert s.key not in dom.mark_text
    assert out.count("<mark") - out.count("</mark>") == 0
    return out


def test_nested_spans_nest():
    out = check("abcdefghij", [h(0, 10, 1), h(2, 5, 2, "REFUTED")])
    assert out.count("<mark") == 2
    assert out.index('data-claim="k2"') > out.index('data-claim="k1"')


def test_crossing_spans_split_the_later_one():
    out = check("abcdefghij", [h(0, 6, 1), h(3, 9, 2)])
    assert out.count('data-claim="k2"') == 2 and out.count('data-claim="k1"') == 1


def test_identical_and_adjacent_spans():
    check("abcdefghij", [h(2, 6, 1), h(2, 6, 2), h(6, 8, 3), h(0, 2, 4)])


def test_invalid_spans_are_skipped():
    check("abc", [h(1, 1, 1), h(2, 9, 2), h(-1, 2, 3), h(0, 3, 4)])


def test_markup_does_not_depend_on_input_order():
    spans = [h(0, 6, 1), h(3, 9, 2), h(3, 5, 3), h(4, 9, 4)]
    outputs = {highlight("abcdefghij", list(p)) for p in itertools.permutations(spans)}
    assert len(outputs) == 1


def test_random_overlaps_always_well_formed():
    rng = random.Random(7)
    text = "<a&b>\"c'd\r\ne" * 3
    for _ in range(300):
        spans = []
        for number in range(1, rng.randint(1, 7)):
            start = rng.randint(0, len(text) - 1)
            spans.append(h(start, rng.randint(start, len(text)), number))
        check(text, spans)


def test_reports_from_the_file_index_equal_the_in_memory_ones(tmp_path):
    """`factcheck run` renders its reports from `IndexedRun` (an article at a time, nothing
    held) so long runs stay small: the documents must be byte for byte the same."""
    from factcheck.io.results import IndexedRun
    from factcheck.reports.html import write_html_report
    from factcheck.reports.markdown import markdown_report, write_markdown_report

    path = write_results(tmp_path / "r.jsonl")
    in_memory, indexed = read_results(path), IndexedRun(path)
    assert html_report(indexed) == html_report(in_memory)
    assert markdown_report(indexed) == markdown_report(in_memory)
    write_html_report(indexed, tmp_path / "r.html")
    write_markdown_report(indexed, tmp_path / "r.md")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html_report(in_memory)
    assert (tmp_path / "r.md").read_text(encoding="utf-8") == markdown_report(in_memory)
