"""CSV for list endpoints: one row per result, nested fields flattened to dotted column names."""

import csv
import io

from rest_framework.renderers import BaseRenderer

# A cell an analyst's spreadsheet would run as a formula starts with one of these (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        flat = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return {prefix: "; ".join("" if v is None else str(v) for v in value)}
        flat = {}
        for i, inner in enumerate(value):
            flat.update(_flatten(inner, f"{prefix}.{i}"))
        return flat
    return {prefix: value}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # Text that looks like a formula is quoted so it stays text; a plain negative number is left as it is.
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        # A page's results, an unpaginated list, or one object (a detail, or an error) as one row.
        rows = data.get("results", [data]) if isinstance(data, dict) else data
        flat_rows = [_flatten(row) for row in rows]
        columns: list[str] = []
        for row in flat_rows:
            columns.extend(c for c in row if c not in columns)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in flat_rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buffer.getvalue().encode(self.charset)
