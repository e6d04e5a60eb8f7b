"""Reading the tables users send as .csv or .xlsx: rows, the header row and cell text.

Pure functions only, shared by the table imports (``bot.rules.calendar.parse_table``, the
meeting calendar; ``bot.rules.deadlines.parse_plan_table``, action plans). Each passes a
``Layout``: which field a header cell names, the fields a header must have, and the
text to ignore in cells. The meaning of the columns, and the messages about them, stay
with each import.

* CSV: UTF-8 (with or without BOM), else cp1252, else Latin-1; the delimiter (';', tab
  or ',') is the one that makes a header appear, tried most frequent first.
* XLSX: the first sheet, values as last computed by the spreadsheet.
* The header may sit below title rows: the first of the first 20 rows naming every
  required field.
* Rows are numbered as the spreadsheet shows them (the first row is 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from openpyxl import load_workbook

from bot.errors import UserError
from bot.i18n import N_

__all__ = [
    "HEADER_SEARCH_ROWS",
    "Header",
    "Layout",
    "Row",
    "blank",
    "cell_text",
    "decode",
    "field_cells",
    "find_header",
    "header_columns",
    "is_header",
    "missing_fields",
    "read_rows",
    "table_format",
]

HEADER_SEARCH_ROWS = 20  # the header is looked for in this many rows from the top

Row = tuple[int, Sequence[object]]  # (row number as the sheet shows it, cells)

_CSV_SUFFIXES = frozenset({"csv", "txt", "tsv"})
_XLSX_SUFFIXES = frozenset({"xlsx", "xlsm"})
_DELIMITERS = ";\t,"
_ENCODINGS = ("utf-8-sig", "cp1252")  # Latin-1, which decodes any bytes, is the last resort

_MSG_NOT_XLSX = N_("I couldn't open {filename}. Is it really an .xlsx spreadsheet?")


@dataclass(frozen=True)
class Layout:
    """How one kind of table is recognised.

    ``key`` maps a header cell's text to the field it names (None: no field);
    ``required`` are the fields a header row must name; ``noise``, when set, is text
    ignored in every cell (e.g. Word's "[bookmark: ...]" markers).
    """

    key: Callable[[str], str | None]
    required: tuple[str, ...]
    noise: re.Pattern[str] | None = None


class Header(NamedTuple):
    """The header row found: its position in the rows, and the column and text of each field."""

    position: int
    columns: dict[str, int]
    labels: dict[str, str]


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


def blank(value: object, noise: re.Pattern[str] | None = None) -> bool:
    """Whether a cell is empty: None, or text that is only white space (and ``noise``)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    return not (noise.sub("", value) if noise is not None else value).strip()


def cell_text(value: object, noise: re.Pattern[str] | None = None) -> str:
    """A cell as one line of text: white space collapsed, ``noise`` gone, 3.0 as '3'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if noise is not None:
        text = noise.sub("", text)
    return " ".join(text.split())


def field_cells(cells: Sequence[object], columns: Mapping[str, int]) -> dict[str, object]:
    """The cell of each field in a row (None where the row is shorter than the header)."""
    return {key: cells[pos] if pos < len(cells) else None for key, pos in columns.items()}


# ---------------------------------------------------------------------------
# The header row
# ---------------------------------------------------------------------------


def _header_key(value: object, layout: Layout) -> str | None:
    return layout.key(value) if isinstance(value, str) else None


def header_columns(
    cells: Sequence[object], layout: Layout
) -> tuple[dict[str, int], dict[str, str]]:
    """The column and the text of each field a row names (the first cell naming it wins)."""
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, cell in enumerate(cells):
        key = _header_key(cell, layout)
        if key is not None and key not in columns:
            columns[key] = position
            labels[key] = cell_text(cell, layout.noise)
    return columns, labels


def is_header(cells: Sequence[object], layout: Layout) -> bool:
    """Whether a row names every required field."""
    columns, _labels = header_columns(cells, layout)
    return all(key in columns for key in layout.required)


def find_header(rows: Sequence[Row], layout: Layout) -> Header | None:
    """The first of the top ``HEADER_SEARCH_ROWS`` rows that names every required field."""
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns, labels = header_columns(cells, layout)
        if all(key in columns for key in layout.required):
            return Header(index, columns, labels)
    return None


def missing_fields(rows: Sequence[Row], layout: Layout) -> list[str]:
    """The required fields (in order) that the top row naming the most fields lacks."""
    best: set[str] = set()
    for _number, cells in rows[:HEADER_SEARCH_ROWS]:
        found = {key for key in (_header_key(cell, layout) for cell in cells) if key is not None}
        if len(found) > len(best):
            best = found
    return [key for key in layout.required if key not in best]


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def table_format(filename: str) -> Literal["csv", "xlsx"] | None:
    """'csv' (.csv, .txt, .tsv) or 'xlsx' (.xlsx, .xlsm) by the file name; None otherwise."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix in _CSV_SUFFIXES:
        return "csv"
    if suffix in _XLSX_SUFFIXES:
        return "xlsx"
    return None


def decode(data: bytes) -> str:
    """The text of a CSV: UTF-8 (BOM or not), else cp1252 (Excel in Brazil), else Latin-1."""
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_rows(data: bytes, layout: Layout, sniff: Literal["first_line", "text"]) -> list[Row]:
    """The records of a CSV, with the delimiter that makes a header appear.

    Delimiters are tried by how often they occur, in the first non-blank line
    (``sniff="first_line"``) or in the whole text (``sniff="text"``); when none gives a
    header, the rows of the most frequent one.
    """
    text = decode(data)
    if sniff == "first_line":
        sample = next((line for line in text.splitlines() if line.strip()), "")
    else:
        sample = text
    candidates = sorted(_DELIMITERS, key=lambda d: -sample.count(d))
    fallback: list[Row] = []
    for delimiter in candidates:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[Row] = [(number, cells) for number, cells in enumerate(reader, start=1)]
        if not fallback:
            fallback = rows
        if find_header(rows, layout) is not None:
            return rows
    return fallback


def _xlsx_rows(data: bytes, filename: str, example: str | None) -> list[Row]:
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UserError(_MSG_NOT_XLSX, example=example, filename=filename) from exc
    sheet = workbook.worksheets[0]
    return [
        (number, list(cells))
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]


def read_rows(
    data: bytes,
    filename: str,
    layout: Layout,
    *,
    sniff: Literal["first_line", "text"],
    example: str | None = None,
) -> list[Row]:
    """The rows of a table file, numbered as the spreadsheet shows them.

    The format comes from ``filename`` (see ``table_format``; the caller refuses other
    files with its own message, and ValueError is raised for them here). A CSV's
    delimiter is sniffed with ``layout`` and ``sniff`` (see ``_csv_rows``). An .xlsx
    that does not open raises UserError with ``example``.
    """
    kind = table_format(filename)
    if kind == "csv":
        return _csv_rows(data, layout, sniff)
    if kind == "xlsx":
        return _xlsx_rows(data, filename, example)
    raise ValueError(f"not a .csv or .xlsx file name: {filename!r}")
