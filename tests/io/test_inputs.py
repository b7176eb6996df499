"""Streaming readers: every format, every bad-input case, and the batch goes on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from factcheck.errors import InputError
from factcheck.io.inputs import Source, parse_date, read_articles, read_sources
from factcheck.models import Article, content_id

GOOD = "Unemployment fell to 4.1 percent in March, the statistics office said.\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def split(items: list) -> tuple[list, list[InputError]]:
    good = [i for i in items if not isinstance(i, InputError)]
    return good, [i for i in items if isinstance(i, InputError)]


# --- formats -------------------------------------------------------------------------------


def test_txt_and_md_sources(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.md", "Intro line\n\n# The Title\n\nBody text here.\n")
    sources = list(read_sources([tmp_path]))
    assert all(isinstance(s, Source) for s in sources)
    a, b = sources
    assert a.id == content_id(GOOD) and a.title is None and a.path == str(tmp_path / "a.txt")
    assert b.title == "The Title"
    assert b.text.startswith("Intro line")


def test_source_line_is_parsed_when_clean(tmp_path: Path) -> None:
    write(
        tmp_path / "a.txt",
        "Source: Reuters, Inc., 2024-03-05, https://example.org/x?a=1,2\n\nBody.\n",
    )
    write(tmp_path / "b.txt", "Source: Le Monde, March 5, 2024\nBody.\n")
    write(tmp_path / "c.txt", "Source: an interview with the minister\nBody.\n")
    a, b, c = read_sources([tmp_path])
    assert (a.publisher, a.published, a.url) == (
        "Reuters, Inc.",
        date(2024, 3, 5),
        "https://example.org/x?a=1,2",
    )
    assert (b.publisher, b.published, b.url) == ("Le Monde", date(2024, 3, 5), None)
    assert (c.publisher, c.published, c.url) == (None, None, None)
    assert a.text.startswith("Source: Reuters")  # text never altered


def test_html_source(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><title>Jobs &amp; wages</title>
    <link rel="canonical" href="https://example.org/jobs">
    <meta property="article:published_time" content="2024-03-05T23:30:00-05:00">
    <meta property="og:site_name" content="Example News">
    <style>p { color: red }</style><script>var x = 1;</script></head>
    <body><nav>Home | World</nav><h1>Jobs</h1>
    <div><p>Unemployment <b>fell</b>
       to 4.1%.</p><p>Second paragraph.</p></div>
    <footer>Copyright</footer><script>track()</script></body></html>"""
    write(tmp_path / "page.html", html)
    (source,) = read_sources([tmp_path / "page.html"])
    assert source.title == "Jobs"  # trafilatura prefers the headline to <title>
    assert source.url == "https://example.org/jobs"
    assert source.published == date(2024, 3, 5)
    assert source.publisher == "Example News"
    # a short page keeps its main text: no navigation, sentences not broken at inline tags
    assert source.text == "Unemployment fell to 4.1%.\n\nSecond paragraph."


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head>'
        "<body><p>Cr\xe8me br\xfbl\xe9e.</p></body></html>"
    )
    write(tmp_path / "latin.html", html.encode("cp1252"))
    (source,) = read_sources([tmp_path])
    assert source.title == "Café" and source.text == "Crème brûlée."


def test_jsonl_sources_with_fields(tmp_path: Path) -> None:
    lines = [
        {
            "id": "r1",
            "text": "One.",
            "title": "T",
            "url": "u",
            "published": "2024-01-02",
            "publisher": "P",
            "credibility_tier": 1,
        },
        {"text": "Two.", "published": "2024-01-02T10:00:00Z", "extra": "ignored"},
        {"id": 7, "text": "Three."},
    ]
    write(tmp_path / "s.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    one, two, three = read_sources([tmp_path / "s.jsonl"])
    assert (one.id, one.credibility_tier, one.published) == ("r1", 1, date(2024, 1, 2))
    assert two.id == content_id("Two.") and two.published == date(2024, 1, 2)
    assert three.id == "7"


def test_articles_txt_with_sidecar_jsonl_and_csv(tmp_path: Path) -> None:
    write(tmp_path / "story.txt", GOOD)
    write(
        tmp_path / "story.meta.json",
        json.dumps(
            {"title": "Jobs", "url": "https://x", "published": "2024-04-01", "publisher": "P"}
        ),
    )
    write(tmp_path / "more.jsonl", json.dumps({"id": "j1", "text": "A jsonl article."}) + "\n")
    write(
        tmp_path / "rows.csv",
        'id,title,text,published\nc1,T1,"Row one, with comma.",'
        '2024-01-01\nc2,,"Row two\nspans lines.",\n',
    )
    articles = list(read_articles([tmp_path]))
    assert all(isinstance(a, Article) for a in articles), articles
    by_id = {a.id: a for a in articles}
    assert set(by_id) == {"j1", "c1", "c2", content_id(GOOD)}
    story = by_id[content_id(GOOD)]
    assert (story.title, story.published, story.publisher) == ("Jobs", date(2024, 4, 1), "P")
    assert by_id["c1"].text == "Row one, with comma." and by_id["c1"].title == "T1"
    assert by_id["c2"].text == "Row two\nspans lines." and by_id["c2"].published is None


def test_directories_walk_sorted_and_skip_hidden(tmp_path: Path) -> None:
    write(tmp_path / "b" / "z.txt", "z text")
    write(tmp_path / "b" / "a.txt", "a text")
    write(tmp_path / "a.txt", "top text")
    write(tmp_path / ".hidden.txt", "hidden")
    texts = [s.text for s in read_sources([tmp_path])]
    assert texts == ["top text", "a text", "z text"]


def test_single_path_argument(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", GOOD)
    assert [s.text for s in read_sources(tmp_path / "a.txt")] == [GOOD]
    assert [s.text for s in read_sources(str(tmp_path))] == [GOOD]


def test_crlf_normalised(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", b"line one\r\nline two\r\n")
    (source,) = read_sources([tmp_path])
    assert source.text == "line one\nline two\n"


def test_reader_is_lazy(tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path / f"{i}.txt", f"text {i}")
    reader = read_sources([tmp_path])
    assert next(reader).text == "text 0"
    (tmp_path / "2.txt").unlink()  # files are opened one at a time, when reached
    rest = list(reader)
    assert rest[0].text == "text 1" and isinstance(rest[1], InputError)


# --- bad inputs: each yields an error naming the file, the batch goes on --------------------


BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    "empty": ("empty.txt", b"", "empty file"),
    "blank": ("blank.txt", b"  \n\t\n", "no text"),
    "latin1": ("latin.txt", "Caf\xe9 cr\xe8me".encode("latin-1"), "not valid UTF-8"),
    "utf16": ("wide.txt", "hello".encode("utf-16"), "UTF-16"),
    "binary": ("blob.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
    "unknown": ("doc.docx", b"PK\x03\x04", "unknown extension '.docx'"),
    "bad_pdf": ("doc.pdf", b"%PDF-1.4", "PDF"),
    "big": ("big.txt", b"x" * 2_000, "over the 1,000-byte limit"),
    "bad_html": ("empty.html", b"<html><body><script>x()</script></body></html>", "no text"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_reported_and_batch_continues(tmp_path: Path, case: str) -> None:
    name, content, expected = BAD_FILES[case]
    write(tmp_path / "a_ok.txt", "first good")
    write(tmp_path / name, content)
    write(tmp_path / "z_ok.txt", "last good")
    good, errors = split(list(read_sources([tmp_path], max_bytes=1_000)))
    assert [g.text for g in good] == ["first good", "last good"]
    assert len(errors) == 1
    message = str(errors[0])
    assert str(tmp_path / name) in message
    assert expected in message


def test_encoding_error_says_where_and_how(tmp_path: Path) -> None:
    write(tmp_path / "latin.txt", "ok line\nCaf\xe9\n".encode("cp1252"))
    (error,) = read_sources([tmp_path])
    assert "byte e9" in str(error) and "line 2" in str(error)
    assert "Windows-1252" in str(error) and "iconv" in str(error)


def test_missing_path(tmp_path: Path) -> None:
    (error,) = read_sources([tmp_path / "nope.txt"])
    assert "nope.txt" in str(error) and "no such file" in str(error)


def test_jsonl_bad_lines_name_the_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "good one"}),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": "bad date", "published": "05/03/2024"}),
        json.dumps({"text": "x" * 500}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "bad tier", "credibility_tier": 7}),
        json.dumps({"text": 42}),
        json.dumps({"id": "dup", "text": "first"}),
        json.dumps({"id": "dup", "text": "second"}),
        json.dumps({"text": "good two"}),
    ]
    data = "\n".join(lines).encode("utf-8") + b"\n" + b'{"text": "caf\xe9"}\n'
    write(tmp_path / "s.jsonl", data)
    good, errors = split(list(read_sources([tmp_path / "s.jsonl"], max_bytes=100)))
    assert [g.text for g in good] == ["good one", "first", "good two"]
    path = str(tmp_path / "s.jsonl")
    expected = {
        2: "malformed JSON",
        3: "missing 'text' field",
        4: "bad date '05/03/2024'",
        5: "over the 100-byte limit",
        6: "JSON object",
        7: "credibility_tier",
        8: "'text' must be a string",
        10: "duplicate id 'dup'",
        12: "not valid UTF-8",
    }
    assert len(errors) == len(expected)
    for error, (line, text) in zip(errors, sorted(expected.items()), strict=True):
        assert f"{path}:{line}:" in str(error), (line, str(error))
        assert text in str(error), (line, str(error))
    assert f"first seen at {path}:9" in str(errors[7])


def test_jsonl_oversized_line_is_skipped_without_reading_it_whole(tmp_path: Path) -> None:
    huge = json.dumps({"text": "y" * 100_000})
    write(tmp_path / "s.jsonl", huge + "\n" + json.dumps({"text": "after"}) + "\n")
    good, errors = split(list(read_sources([tmp_path], max_bytes=1_000)))
    assert [g.text for g in good] == ["after"]
    assert "s.jsonl:1" in str(errors[0]) and "longer than" in str(errors[0])


def test_binary_jsonl_is_one_error(tmp_path: Path) -> None:
    write(tmp_path / "s.jsonl", b"\x00\x01\x02\n" * 100)
    (error,) = read_sources([tmp_path])
    assert "binary file" in str(error)


def test_csv_errors(tmp_path: Path) -> None:
    write(tmp_path / "no_text.csv", "id,body\n1,hello\n")
    write(
        tmp_path / "rows.csv",
        "id,text,published\n1,ok,\n2,bad date,2024-13-01\n"
        '3,"a,b",x,extra\n4,,\n5,fine,2024-02-29\n',
    )
    good, errors = split(list(read_articles([tmp_path])))
    assert [g.id for g in good] == ["1", "5"]
    messages = [str(e) for e in errors]
    assert "no_text.csv" in messages[0] and "'text' column" in messages[0]
    assert "rows.csv:3" in messages[1] and "bad date" in messages[1]
    assert "rows.csv:4" in messages[2] and "columns" in messages[2]
    assert "rows.csv:5" in messages[3] and "no text" in messages[3]


def test_csv_encoding_error_stops_that_file_only(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", b"text\nfine\ncaf\xe9\nnever read\n")
    write(tmp_path / "b.txt", "other file")
    good, errors = split(list(read_articles([tmp_path])))
    assert [g.text for g in good] == ["fine", "other file"]
    assert "a.csv:3" in str(errors[0]) and "not valid UTF-8" in str(errors[0])


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "b.txt", GOOD)  # same text → same content id
    good, errors = split(list(read_articles([tmp_path])))
    assert len(good) == 1
    assert "b.txt" in str(errors[0]) and "duplicate id" in str(errors[0])
    assert str(tmp_path / "a.txt") in str(errors[0])


def test_bad_sidecar(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", GOOD)
    write(tmp_path / "a.meta.json", "{broken")
    (error,) = read_articles([tmp_path])
    assert "a.meta.json" in str(error) and "malformed JSON" in str(error)


def test_sidecar_bad_date(tmp_path: Path) -> None:
    write(tmp_path / "a.md", GOOD)
    write(tmp_path / "a.meta.json", json.dumps({"published": "yesterday"}))
    (error,) = read_articles([tmp_path])
    assert "a.md" in str(error) and "bad date 'yesterday'" in str(error)


def test_parse_date() -> None:
    assert parse_date("2024-03-05") == date(2024, 3, 5)
    assert parse_date("2024-03-05T23:30:00-05:00") == date(2024, 3, 5)
    assert parse_date("2024-03-05T10:00:00Z") == date(2024, 3, 5)
    assert parse_date("March 5") is None
    assert parse_date(20240305) is None
