"""Reading the CSV files people upload (catalog imports, marketplace order exports)."""

from __future__ import annotations

import csv
import io


def decode(content: bytes) -> str:
    """UTF-8, with or without the byte order mark spreadsheets add; raises ``ValueError("csv_encoding")``."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("csv_encoding") from None


def dict_reader(text: str) -> csv.DictReader[str]:
    """Rows by header name; the separator is the one the header line uses most."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","  # spreadsheets in French use ;
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
