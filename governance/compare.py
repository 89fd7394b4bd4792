"""Compare two versions of a plan, section by section and line by line (difflib on the snapshots).

Used for submitted versions, and for what changed since a signatory was shown the plan.
"""

import difflib
from dataclasses import dataclass, field

TABLE_KEYS = {
    "documents": "documents",
    "schemes": "schemes",
    "risks": "risks",
    "income": "income",
    "expenditure": "expenditure",
    "metrics": "metrics",
    "capacity_demand": "capacity_demand",
}


def _row_line(row: dict) -> str:
    """One table row as one line of text, its fields in a stable order."""
    parts = []
    for key in sorted(row):
        value = row[key]
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
        elif isinstance(value, list):
            value = "; ".join(_row_line(v) if isinstance(v, dict) else str(v) for v in value)
        if value not in (None, "", False):
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return " | ".join(parts)


def _table_lines(table: str, rows: list) -> list[str]:
    if table == "capacity_demand":
        # One line per service type, so a changed figure shows against its service type.
        def figure(value) -> str:
            return "-" if value is None else str(value)

        return [
            f"{block['label']}, {row['service_type']}: "
            + "; ".join(f"{f['period']} {figure(f['demand'])}/{figure(f['capacity'])}" for f in row["figures"])
            for block in rows
            for row in block["rows"]
        ]
    return [_row_line(row) for row in rows]


def _value_lines(label: str, value) -> list[str]:
    if value is None or value == "":
        return [f"{label}: (not answered)"]
    if isinstance(value, bool):
        return [f"{label}: {'Yes' if value else 'No'}"]
    text = str(value)
    if "\n" not in text:
        return [f"{label}: {text}"]
    return [f"{label}:", *text.splitlines()]


def snapshot_blocks(snapshot: dict) -> list[tuple[str, str, list[str]]]:
    """(key, heading, lines) for every section of the plan, in template order."""
    content = snapshot.get("content", {})
    blocks = []
    used_tables = set()
    for section in content.get("sections", []):
        lines: list[str] = []
        for answer in section.get("answers", []):
            lines += _value_lines(answer["label"], answer["value"])
        for response in section.get("condition_responses", []):
            status = response.get("status") or "(not answered)"
            lines.append(f"{response['number']} {response['prompt']}: {status}".strip())
            if response.get("target_date"):
                lines.append(f"Target date: {response['target_date']}")
            lines += (response.get("narrative") or "").splitlines()
        table = TABLE_KEYS.get(section.get("table", ""))
        if table:
            used_tables.add(table)
            lines += _table_lines(table, content.get(table, []))
        blocks.append((section["key"], section["title"], lines))
    for table in TABLE_KEYS.values():
        if table not in used_tables and content.get(table):
            heading = table.replace("_", " and ").capitalize()
            blocks.append((table, heading, _table_lines(table, content[table])))
    signoffs = [_row_line(s) for s in snapshot.get("signoffs", [])]
    blocks.append(("signatures", "Signatures", signoffs))
    return blocks


@dataclass
class SectionDiff:
    key: str
    heading: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (" " / "+" / "-", text)
    added: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def compare_snapshots(old: dict, new: dict) -> list[SectionDiff]:
    """Every section in either version, with its lines marked unchanged, added or removed."""
    old_blocks = {key: (heading, lines) for key, heading, lines in snapshot_blocks(old)}
    diffs = []
    seen = set()
    for key, heading, new_lines in snapshot_blocks(new):
        seen.add(key)
        _, old_lines = old_blocks.get(key, (heading, []))
        diffs.append(_diff(key, heading, old_lines, new_lines))
    for key, (heading, old_lines) in old_blocks.items():
        if key not in seen:
            diffs.append(_diff(key, heading, old_lines, []))
    return diffs


def _diff(key: str, heading: str, old_lines: list[str], new_lines: list[str]) -> SectionDiff:
    result = SectionDiff(key, heading)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.lines += [(" ", line) for line in old_lines[i1:i2]]
            continue
        removed = old_lines[i1:i2]
        added = new_lines[j1:j2]
        result.lines += [("-", line) for line in removed] + [("+", line) for line in added]
        result.removed += len(removed)
        result.added += len(added)
    return result
