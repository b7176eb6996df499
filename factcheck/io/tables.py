"""Statistics tables (CSV, XLSX) as reference sources: one citable passage per value.

A table is told apart from a record CSV (one article or source per row, `text` column) by its
sidecar `<stem>.table.json` beside it (`homicides.csv` → `homicides.table.json`); an `.xlsx` file
is always a table and needs one. The sidecar names the table and its columns:

```json
{"title": "Presumed homicides registered in Mexico", "publisher": "INEGI",
 "url": "https://www.inegi.org.mx/...", "language": "en",
 "credibility_tier": 1, "time_column": "year", "value_columns": {"homicides": "Presumed
 homicides registered"}, "unit": "homicides", "geo": "Mexico", "note_column": "figures"}
```

Keys: `time_column` (required; values like 2025, 2025-06, June 2025, 2025-Q2, 2025-H1) and
`value_columns` (required; a list of column names, or column → label, or column → {"label",
"unit", "aggregation"}); optional `id` (default: the file stem), `title`, `publisher`, `url`,
`published`, `language` (ISO 639-1, default "en"), `credibility_tier`, `unit`, `aggregation`
(`sum` for counts, the default; `mean` for rates and levels; `none`), `series_column` (a column
naming sub-series, e.g. the crime type), `geo_column` or a constant `geo`, `note_column` (e.g.
"preliminary"), `sheet` (XLSX; default the first), `decimal_comma` (true when cells read
"1.866,5"), and `notes` (free text, not read).

Each value becomes a `Source` whose text reads on its own and is what a citation quotes, e.g.
"Presumed homicides registered, Mexico, 2024: 33,241 (INEGI, preliminary)", with the row's
series, period, value and unit in `Source.table` (and so in the chunk's metadata). A bad row
(unparseable period or number, missing cell) is an `InputError` naming file:line and the fix;
the other rows are read. XLSX files are read with openpyxl in read-only mode (streamed rows).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from factcheck.errors import InputError
from factcheck.io.series import Aggregation, TableRow, format_number, parse_period

TABLE_SIDECAR = ".table.json"
"""Suffix of a table's sidecar: `<stem>.table.json` beside the CSV or XLSX file."""
TABLE_SUFFIXES = frozenset({".csv", ".xlsx"})


class ValueColumn(BaseModel):
    """How one value column reads: its series label, unit and aggregation."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    unit: str | None = None
    aggregation: Aggregation | None = None


class TableSpec(BaseModel):
    """A table's sidecar (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: date | None = None
    language: str = "en"
    credibility_tier: int | None = Field(default=None, ge=1, le=3)
    time_column: str
    value_columns: list[str] | dict[str, str | ValueColumn]
    unit: str | None = None
    aggregation: Aggregation = "sum"
    series_column: str | None = None
    geo_column: str | None = None
    geo: str | None = None
    note_column: str | None = None
    sheet: str | None = None
    decimal_comma: bool = False
    notes: str | None = None

    @field_validator("language")
    @classmethod
    def _iso_code(cls, value: str) -> str:
        code = value.strip().lower()
        if not re.fullmatch(r"[a-z]{2}", code):
            raise ValueError("use a lower-case ISO 639-1 code such as 'en' or 'es'")
        return code

    def columns(self) -> dict[str, ValueColumn]:
        """Value column → its label, unit and aggregation (defaults filled in)."""
        raw = self.value_columns
        items: dict[str, str | ValueColumn] = (
            dict.fromkeys(raw, "") if isinstance(raw, list) else dict(raw)
        )
        out: dict[str, ValueColumn] = {}
        for name, spec in items.items():
            column = spec if isinstance(spec, ValueColumn) else ValueColumn(label=spec or None)
            out[name] = ValueColumn(
                label=column.label or name,
                unit=column.unit if column.unit is not None else self.unit,
                aggregation=column.aggregation or self.aggregation,
            )
        return out

    def required(self) -> list[str]:
        """Every column the sidecar names."""
        named = [self.time_column, *self.columns()]
        named += [c for c in (self.series_column, self.geo_column, self.note_column) if c]
        return named


def table_sidecar(path: Path) -> Path:
    """Where the table sidecar of `path` lives."""
    return path.with_name(path.stem + TABLE_SIDECAR)


def is_table(path: Path) -> bool:
    """Whether `path` is read as a statistics table (an XLSX file, or a CSV with a sidecar)."""
    suffix = path.suffix.lower()
    return suffix == ".xlsx" or (suffix in TABLE_SUFFIXES and table_sidecar(path).is_file())


def read_table(path: Path, max_bytes: int) -> Iterator[TableItem | InputError]:
    """Each value of the table at `path` as a `TableItem`, or an `InputError` per bad row (or
    one for the whole file when its sidecar or header is unusable)."""
    spec = load_spec(path)
    if isinstance(spec, InputError):
        yield spec
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield InputError(f"cannot read file: {exc.strerror or exc}", source=str(path))
        return
    if size > max_bytes:
        yield InputError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit; split the table or "
            "raise FACTCHECK_MAX_INPUT_BYTES",
            source=str(path),
        )
        return
    rows = _xlsx_rows(path, spec) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    columns = spec.columns()
    header: list[str] | None = None
    for where, cells in rows:
        if isinstance(cells, InputError):
            yield cells
            return
        if header is None:
            if not any(_text(c) for c in cells):
                continue
            header = [_text(c) for c in cells]
            missing = [c for c in spec.required() if c not in header]
            if missing:
                yield InputError(
                    f"the header has no column {', '.join(map(repr, missing))} named in "
                    f"{table_sidecar(path).name} (columns found: {', '.join(map(repr, header))}); "
                    "fix the sidecar's column names or the header row",
                    source=str(path),
                )
                return
            continue
        if not any(_text(c) for c in cells):
            continue
        record = dict(zip(header, list(cells) + [None] * (len(header) - len(cells)), strict=False))
        yield from _row_items(record, spec, columns, path, where)
    if header is None:
        yield InputError("empty table (no header row); add a header and rows", source=str(path))


class TableItem(BaseModel):
    """One citable value of a table: the passage, where it came from and its row."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    where: str
    spec: TableSpec
    row: TableRow


def load_spec(path: Path) -> TableSpec | InputError:
    """The table's sidecar, validated; an `InputError` naming the problem and the fix."""
    sidecar = table_sidecar(path)
    if not sidecar.is_file():
        return InputError(
            f"{path.suffix} files are read as statistics tables and need a sidecar "
            f"{sidecar.name} naming at least time_column and value_columns (README, "
            "\"Statistics tables\"); for one document per row use a .csv with a 'text' column",
            source=str(path),
        )
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return InputError(
            f"cannot read table sidecar: {exc}; save it as UTF-8", source=str(sidecar)
        )
    except json.JSONDecodeError as exc:
        return InputError(
            f"malformed JSON in table sidecar: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}; fix the file",
            source=str(sidecar),
        )
    if not isinstance(data, dict):
        return InputError('table sidecar must hold a JSON object like {"time_column": ...}',
                          source=str(sidecar))  # fmt: skip
    try:
        return TableSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'sidecar'}: {e['msg']}" for e in exc.errors()
        )
        return InputError(f"invalid table sidecar ({problems})", source=str(sidecar))


# --------------------------------------------------------------------------------------------
# rows → items


def _row_items(
    record: dict[str, Any],
    spec: TableSpec,
    columns: dict[str, ValueColumn],
    path: Path,
    where: str,
) -> Iterator[TableItem | InputError]:
    period_cell = record.get(spec.time_column)
    period = parse_period(period_cell)
    if period is None:
        yield InputError(
            f"bad period {_text(period_cell)!r} in column {spec.time_column!r}; write it as "
            "2025, 2025-06, June 2025, 2025-Q2 or 2025-H1 (daily rows: sum them into months)",
            source=where,
        )
        return
    table_id = spec.id or path.stem
    geo = _text(record.get(spec.geo_column)) if spec.geo_column else spec.geo
    sub = _text(record.get(spec.series_column)) if spec.series_column else ""
    note = _text(record.get(spec.note_column)) if spec.note_column else ""
    if spec.series_column and not sub:
        yield InputError(
            f"empty cell in series column {spec.series_column!r}; name the series of this row",
            source=where,
        )
        return
    for column, how in columns.items():
        cell = record.get(column)
        parsed = _number(cell, spec.decimal_comma, how.unit)
        if parsed is None:
            yield InputError(
                f"bad number {_text(cell)!r} in column {column!r}; write a plain number such "
                f"as 1866 or 1,866.5 (no units or notes in the cell; notes go in a note_column)"
                + (", or leave the row out" if not _text(cell) else ""),
                source=where,
            )
            continue
        value, decimals = parsed
        label = how.label or column
        if sub:
            label = sub if len(columns) == 1 else f"{label}, {sub}"
        series_id = "/".join(_slug(p) for p in (table_id, column, sub, geo or "") if p)
        value_text = _value_text(value, decimals, how.unit, label)
        row = TableRow(
            table_id=table_id,
            series_id=series_id,
            series=label,
            geo=geo or None,
            period=period,
            value=value,
            value_text=value_text,
            unit=how.unit,
            aggregation=how.aggregation or "sum",
            note=note or None,
        )
        yield TableItem(
            id=f"{series_id}@{period.key}",
            text=row_passage(row, spec.publisher, spec.language),
            where=where,
            spec=spec,
            row=row,
        )


def row_passage(row: TableRow, publisher: str | None, language: str | None) -> str:
    """The passage a row is cited by: "Series, Geo, Period: value (Publisher, note)"."""
    head = ", ".join(x for x in (row.series, row.geo, row.period.label(language)) if x)
    tail = ", ".join(x for x in (publisher, row.note) if x)
    return f"{head}: {row.value_text}" + (f" ({tail})" if tail else "")


def _value_text(value: float, decimals: int, unit: str | None, label: str) -> str:
    number = format_number(value, decimals)
    if not unit:
        return number
    if unit.strip() == "%":
        return f"{number}%"
    if unit.lower() in label.lower():
        return number
    return f"{number} {unit}"


_PLAIN = re.compile(r"^[-+]?\d+(?:\.(\d+))?$")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.(\d+))?$")


def _number(cell: object, decimal_comma: bool, unit: str | None) -> tuple[float, int] | None:
    """(value, decimals written) of a number cell, or None."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int):
        return float(cell), 0
    if isinstance(cell, float):
        if cell != cell:  # NaN
            return None
        decimals = 0 if cell.is_integer() else len(repr(cell).partition(".")[2])
        return cell, min(decimals, 6)
    text = _text(cell).replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if unit and unit.strip() == "%":
        text = text.removesuffix("%")
    if decimal_comma:
        text = text.replace(".", "\0").replace(",", ".").replace("\0", ",")
    match = _PLAIN.match(text) or _GROUPED.match(text)
    if not match:
        return None
    decimals = len(match.group(1) or "")
    return float(text.replace(",", "")), decimals


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


_NOT_WORD = re.compile(r"[^\w]+")


def _slug(text: str) -> str:
    return _NOT_WORD.sub("-", text.strip().lower()).strip("-") or "x"


# --------------------------------------------------------------------------------------------
# file formats → (where, cells)

_Rows = Iterator[tuple[str, "Sequence[object] | InputError"]]


def _csv_rows(path: Path) -> _Rows:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            start = 1
            try:
                for cells in reader:
                    yield f"{path}:{start}", cells
                    start = reader.line_num + 1
            except UnicodeDecodeError as exc:
                yield (
                    f"{path}:{start}",
                    InputError(
                        f"not valid UTF-8 ({exc.reason}); re-save the table as UTF-8 CSV "
                        "(rows above were read)",
                        source=f"{path}:{start}",
                    ),
                )
            except csv.Error as exc:
                yield (
                    f"{path}:{start}",
                    InputError(
                        f"CSV error: {exc}; stopped reading this file here (rows above were read)",
                        source=f"{path}:{start}",
                    ),
                )
    except OSError as exc:
        yield str(path), InputError(f"cannot read file: {exc.strerror or exc}", source=str(path))


def _xlsx_rows(path: Path, spec: TableSpec) -> _Rows:
    from openpyxl import load_workbook  # imported only when a workbook is read

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad workbook
        yield (
            str(path),
            InputError(
                f"cannot open workbook ({type(exc).__name__}: {exc}); save it as .xlsx from "
                "a spreadsheet program, or export the sheet as UTF-8 CSV",
                source=str(path),
            ),
        )
        return
    try:
        if spec.sheet is not None and spec.sheet not in book.sheetnames:
            yield (
                str(path),
                InputError(
                    f"no sheet {spec.sheet!r} (sheets: {', '.join(book.sheetnames)}); fix "
                    f"'sheet' in {table_sidecar(path).name}",
                    source=str(path),
                ),
            )
            return
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield f"{path}[{sheet.title}]:{number}", cells
    finally:
        book.close()
