"""Web pages through trafilatura: a saved news page with every kind of boilerplate comes out
as its story alone, with title, byline, date, site name, canonical URL and language."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from factcheck.io.inputs import Source, read_articles, read_sources
from factcheck.io.web import extract_page
from factcheck.models import Article

NEWS_PAGE = Path(__file__).parent / "data" / "news-page.html"

STORY = [
    "Mexico sent 37 alleged cartel members to the United States on Tuesday",
    "Security Secretary Omar García Harfuch said the prisoners were wanted",
    "The first transfer, in February 2025, sent 29 prisoners north",
    "“This is a decision of the Mexican state, taken for Mexico's security,”",
    "The Supreme Court has not ruled on the practice.",
]
BOILERPLATE = [
    "cookies",  # consent banner
    "Subscribe for $1 a week",  # navigation
    "Politics",  # navigation
    "Related stories",
    "Peso steadies after tariff talk",  # related-story list
    "Share on Facebook",
    "Advertisement",
    "Finally some action",  # reader comments
    "Click here to win",
    "jorge_77",
    "All rights reserved",  # footer
    "Terms of use",
    "gtag",  # scripts
]


def test_news_page_source_is_the_story_alone(tmp_path: Path) -> None:
    shutil.copy(NEWS_PAGE, tmp_path / "story.html")
    (source,) = read_sources([tmp_path / "story.html"])
    assert isinstance(source, Source), source
    for sentence in STORY:
        assert sentence in source.text, sentence
    for junk in BOILERPLATE:
        assert junk not in source.text, junk
    paragraphs = source.text.split("\n\n")
    assert paragraphs[1].startswith("Mexico sent 37") and paragraphs[1].endswith("statement.")
    assert source.title == "Mexico sends 37 more cartel prisoners to the US"
    assert source.author == "Lucía Ramírez"
    assert source.published == date(2026, 1, 21)
    assert source.publisher == "Valley Ledger"
    assert source.url == "https://valleyledger.example/world/2026/01/21/mexico-prisoner-transfer"
    assert source.language == "en"
    assert source.retrieved is None  # a file, not a fetch


def test_news_page_article_keeps_the_byline(tmp_path: Path) -> None:
    shutil.copy(NEWS_PAGE, tmp_path / "story.html")
    (article,) = read_articles([tmp_path / "story.html"])
    assert isinstance(article, Article), article
    assert article.author == "Lucía Ramírez" and article.publisher == "Valley Ledger"
    assert "jorge_77" not in article.text and STORY[0] in article.text


def test_sidecar_overrides_page_metadata(tmp_path: Path) -> None:
    shutil.copy(NEWS_PAGE, tmp_path / "story.html")
    (tmp_path / "story.meta.json").write_text(
        '{"publisher": "Valley Ledger (Monterrey)", "credibility_tier": 2}', encoding="utf-8"
    )
    (source,) = read_sources([tmp_path / "story.html"])
    assert isinstance(source, Source)
    assert (source.publisher, source.credibility_tier) == ("Valley Ledger (Monterrey)", 2)
    assert source.author == "Lucía Ramírez"


def test_a_date_in_the_text_is_not_taken_for_the_publication_date() -> None:
    page = extract_page(
        "<html><head><title>T</title></head><body><p>Mexico sent 37 cartel prisoners to the "
        "United States in January 2026. The transfer was the third.</p></body></html>"
    )
    assert "published" not in page.fields
    assert page.text.startswith("Mexico sent 37")


def test_declared_language_is_an_iso_code() -> None:
    spanish = extract_page(
        '<html lang="es-MX"><body><article><p>El Banco de México recortó su tasa de interés '
        "en 25 puntos base, a 7.25 por ciento.</p></article></body></html>"
    )
    assert spanish.fields["language"] == "es"
    by_meta = extract_page(
        '<html><head><meta property="og:locale" content="pt_BR"></head><body><p>O banco '
        "central reduziu a taxa.</p></body></html>"
    )
    assert by_meta.fields["language"] == "pt"
