"""Statistics tables: CSV and XLSX with a `<stem>.table.json` sidecar → one passage per value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from factcheck.errors import InputError
from factcheck.io.inputs import Source, read_articles, read_sources
from factcheck.io.series import Period, TableRow, parse_period

SESNSP = {
    "title": "Víctimas de homicidio doloso (monthly)",
    "publisher": "SESNSP",
    "url": "https://www.gob.mx/sesnsp",
    "published": "2025-07-20",
    "language": "en",
    "credibility_tier": 1,
    "time_column": "month",
    "value_columns": {"victims": "Intentional homicide victims"},
    "unit": "victims",
    "geo_column": "state",
}


def write_table(folder: Path, name: str, rows: str, spec: dict[str, object]) -> Path:
    path = folder / f"{name}.csv"
    path.write_text(rows, encoding="utf-8")
    (folder / f"{name}.table.json").write_text(json.dumps(spec), encoding="utf-8")
    return path


def sources(path: Path) -> tuple[list[Source], list[InputError]]:
    items = list(read_sources(path))
    return (
        [i for i in items if isinstance(i, Source)],
        [i for i in items if isinstance(i, InputError)],
    )


def test_csv_rows_become_citable_passages_with_series_metadata(tmp_path: Path) -> None:
    path = write_table(
        tmp_path,
        "victims",
        'month,state,victims\n2025-05,Mexico,"1,931"\n2025-06,Mexico,1866\n',
        SESNSP,
    )
    got, errors = sources(path)
    assert errors == []
    assert [s.text for s in got] == [
        "Intentional homicide victims, Mexico, May 2025: 1,931 (SESNSP)",
        "Intentional homicide victims, Mexico, June 2025: 1,866 (SESNSP)",
    ]
    june = got[1]
    assert june.id == "victims/victims/mexico@2025-06"
    assert (june.publisher, june.url, june.published) == (
        "SESNSP",
        "https://www.gob.mx/sesnsp",
        date(2025, 7, 20),
    )
    assert june.credibility_tier == 1 and june.language == "en"
    row = june.table
    assert row is not None
    assert (row.series_id, row.series, row.geo, row.value, row.unit) == (
        "victims/victims/mexico",
        "Intentional homicide victims",
        "Mexico",
        1866.0,
        "victims",
    )
    assert row.period == Period.month(2025, 6) and row.period.key == "2025-06"
    meta = row.metadata()
    assert (
        meta["period"] == "2025-06"
        and meta["period_first"] < got[0].table.metadata()["period_first"] + 2
    )  # sortable month numbers
    assert TableRow.from_metadata(meta) == row


def test_xlsx_series_with_a_sheet_and_a_series_column(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "cover"
    sheet.append(["not this sheet"])
    data = book.create_sheet("data")
    data.append(["periodo", "delito", "víctimas", "tasa", "nota"])
    data.append(["2024", "homicidio doloso", 30057, 22.9, "cifra preliminar"])
    data.append([2025, "homicidio doloso", 25100, 19.05, None])
    data.append(["2025", "feminicidio", 700, 1.1, None])
    path = tmp_path / "sesnsp.xlsx"
    book.save(path)
    spec = {
        "title": "Víctimas por año",
        "publisher": "SESNSP",
        "language": "es",
        "sheet": "data",
        "time_column": "periodo",
        "series_column": "delito",
        "value_columns": {
            "víctimas": {"label": "Víctimas", "unit": "víctimas"},
            "tasa": {"label": "Tasa por 100 mil habitantes", "aggregation": "mean"},
        },
        "geo": "México",
        "note_column": "nota",
    }
    (tmp_path / "sesnsp.table.json").write_text(json.dumps(spec), encoding="utf-8")
    got, errors = sources(path)
    assert errors == []
    texts = [s.text for s in got]
    assert texts[0] == "Víctimas, homicidio doloso, México, 2024: 30,057 (SESNSP, cifra preliminar)"
    assert texts[1] == (
        "Tasa por 100 mil habitantes, homicidio doloso, México, 2024: 22.9 (SESNSP, cifra "
        "preliminar)"
    )
    assert texts[3] == "Tasa por 100 mil habitantes, homicidio doloso, México, 2025: 19.05 (SESNSP)"
    series = {s.table.series_id for s in got if s.table}
    assert series == {
        "sesnsp/víctimas/homicidio-doloso/méxico",
        "sesnsp/tasa/homicidio-doloso/méxico",
        "sesnsp/víctimas/feminicidio/méxico",
        "sesnsp/tasa/feminicidio/méxico",
    }
    rate = next(s.table for s in got if s.table and s.table.series_id.startswith("sesnsp/tasa"))
    assert rate.aggregation == "mean" and rate.unit is None
    assert all(s.language == "es" for s in got)


def test_bad_rows_are_errors_naming_the_line_and_the_rest_ingest(tmp_path: Path) -> None:
    path = write_table(
        tmp_path,
        "victims",
        "month,state,victims\n"
        "2025-05,Mexico,1931\n"
        "May-June 2025,Mexico,1900\n"  # line 3: not a period
        "2025-06,Mexico,1.8k\n"  # line 4: not a number
        "2025-07,Mexico,\n"  # line 5: empty
        "2025-08,Mexico,1700\n",
        SESNSP,
    )
    got, errors = sources(path)
    assert [s.table.period.key for s in got if s.table] == ["2025-05", "2025-08"]
    assert [e.source for e in errors] == [f"{path}:3", f"{path}:4", f"{path}:5"]
    assert "bad period 'May-June 2025' in column 'month'" in str(errors[0])
    assert "2025-06, June 2025" in str(errors[0])  # says how to write it
    assert "bad number '1.8k' in column 'victims'" in str(errors[1])
    assert "leave the row out" in str(errors[2])


def test_a_repeated_period_is_an_error(tmp_path: Path) -> None:
    path = write_table(
        tmp_path, "v", "month,state,victims\n2025-05,Mexico,1\n2025-05,Mexico,2\n", SESNSP
    )
    got, errors = sources(path)
    assert len(got) == 1 and len(errors) == 1
    assert "two rows for the same series and period" in str(errors[0])
    assert errors[0].source == f"{path}:3"


def test_a_csv_without_text_column_or_sidecar_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("year,homicides\n2024,33241\n", encoding="utf-8")
    (error,) = read_sources(path)
    assert isinstance(error, InputError)
    assert "'text' column" in str(error) and "numbers.table.json" in str(error)


def test_an_xlsx_without_sidecar_and_bad_sidecars_name_the_fix(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["year", "homicides"])
    book.save(tmp_path / "t.xlsx")
    (error,) = read_sources(tmp_path / "t.xlsx")
    assert isinstance(error, InputError) and "t.table.json" in str(error)
    assert "time_column" in str(error)

    (tmp_path / "t.table.json").write_text(
        json.dumps({"time_column": "year", "value_column": "homicides"}), encoding="utf-8"
    )
    (error,) = read_sources(tmp_path / "t.xlsx")
    assert "invalid table sidecar" in str(error)
    assert "value_columns" in str(error) and "value_column" in str(error)  # missing + unknown

    (tmp_path / "t.table.json").write_text(
        json.dumps({"time_column": "year", "value_columns": ["victims"]}), encoding="utf-8"
    )
    (error,) = read_sources(tmp_path / "t.xlsx")
    assert "no column 'victims'" in str(error) and "'homicides'" in str(error)


def test_a_table_is_not_an_article(tmp_path: Path) -> None:
    path = write_table(tmp_path, "v", "month,state,victims\n2025-05,Mexico,1\n", SESNSP)
    (error,) = read_articles(path)
    assert isinstance(error, InputError) and "factcheck ingest" in str(error)


def test_sidecars_are_not_read_as_inputs_and_decimal_commas_parse(tmp_path: Path) -> None:
    spec = {**SESNSP, "decimal_comma": True, "unit": "%", "value_columns": ["victims"]}
    write_table(tmp_path, "v", "month;x\n", spec)  # overwritten below
    (tmp_path / "v.csv").write_text(
        'month,state,victims\n2025-05,Mexico,"1.931,5"\n2025-06,Mexico,"12,5%"\n',
        encoding="utf-8",
    )
    got, errors = sources(tmp_path)  # the folder: the sidecar itself is no input
    assert errors == []
    assert [s.table.value for s in got if s.table] == [1931.5, 12.5]
    assert got[1].text == "victims, Mexico, June 2025: 12.5% (SESNSP)"


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("2024", "2024"),
        (2024, "2024"),
        (2024.0, "2024"),
        ("2025-06", "2025-06"),
        ("2025/6", "2025-06"),
        ("2025-06-01", "2025-06"),
        (date(2025, 6, 30), "2025-06"),
        ("June 2025", "2025-06"),
        ("junio de 2025", "2025-06"),
        ("Jun-2025", "2025-06"),
        ("2025-Q2", "2025-Q2"),
        ("T2 2025", "2025-Q2"),
        ("2025-H1", "2025-H1"),
        ("S2 2025", "2025-H2"),
        ("2025-13", None),
        ("25", None),
        ("", None),
        (True, None),
    ],
)
def test_period_cells(cell: object, key: str | None) -> None:
    period = parse_period(cell)
    assert (period.key if period else None) == key


def test_period_labels_and_windows() -> None:
    h1 = Period.of(2025, 1, 6)
    assert (h1.key, h1.label("en"), h1.label("es")) == (
        "2025-H1",
        "January–June 2025",
        "enero–junio de 2025",
    )
    assert h1.shifted(-1) == Period.of(2024, 1, 6) and h1.months == 6
    assert Period(Period.month(2024, 11).first, Period.month(2025, 2).first).label("en") == (
        "November 2024–February 2025"
    )
    assert Period.of(2025, 1, 5).key == "2025-01..2025-05"
    assert h1.contains(Period.month(2025, 6)) and not h1.contains(Period.month(2025, 7))
