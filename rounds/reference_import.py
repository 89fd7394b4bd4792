"""Bulk import of reference data from the national team's own files: HWB areas, organisations, allocations.

One importer behind the national pages and `manage.py import_reference`. `read_reference` reads a CSV
or .xlsx file (bounded before it is parsed), validates every row and returns the changes, or raises
ReferenceRejected with every problem by row and column. `apply_reference` writes the changes in one
transaction, after reading and validating the file again, so nothing is half-imported.

What a file means:
- areas (ons_code, name, region): every area in the file is added or updated. Areas in the portal but
  not in the file are kept: plans and people refer to them, so an import never deletes one.
- organisations (code, name, kind, hwb_areas, first_round, last_round): the same, by name; the areas an
  organisation serves become exactly those in the file (links not in the file are removed).
- allocations (ons_code, key, year, amount), for one round: the round's complete published allocations.
  Allocations of the round that are not in the file are removed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import openpyxl
from django import forms
from django.conf import settings
from django.db import transaction
from openpyxl.utils import get_column_letter

from . import config
from .models import Allocation, HwbArea, Organisation, PlanningRound, Region
from .money import parse_pounds
from .xlsx_bounds import WorkbookRejected, check_file

# A CSV is counted before csv reads it, as a workbook is (rounds.xlsx_bounds.check_file, ADR 8).
MAX_CSV_ROWS = 5_000  # 150 areas × a dozen allocation keys × 2 years is under 4,000
MAX_CSV_CELLS = 40_000
MAX_CELL_TEXT = 2_000

COLUMNS = {
    "areas": ["ons_code", "name", "region"],
    "organisations": ["code", "name", "kind", "hwb_areas", "first_round", "last_round"],
    "allocations": ["ons_code", "key", "year", "amount"],
}
REQUIRED = {
    "areas": {"ons_code", "name", "region"},
    "organisations": {"name", "kind"},
    "allocations": {"ons_code", "key", "year", "amount"},
}
KIND_LABELS = {"areas": "HWB areas", "organisations": "Organisations", "allocations": "Allocations"}
ONS_CODE = re.compile(r"E\d{8}")


@dataclass(frozen=True)
class RowError:
    row: int  # 0 for a problem with the file as a whole
    column: str  # the column's heading, "" for the whole row or file
    letter: str  # the column's letter, as a spreadsheet shows it
    message: str

    def __str__(self):
        if not self.row:
            return f"The file: {self.message}"
        where = f"Row {self.row}, column {self.letter} ({self.column})" if self.column else f"Row {self.row}"
        return f"{where}: {self.message}"


class ReferenceRejected(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Change:
    kind: str  # added, changed, removed
    description: str


@dataclass
class Preview:
    what: str  # areas, organisations, allocations
    planning_round: PlanningRound | None
    changes: list[Change] = field(default_factory=list)
    rows: int = 0
    kept: int = 0  # areas or organisations in the portal but not in the file, which an import keeps
    # What apply_reference writes, by key.
    writes: list = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ("added", "changed", "removed")}


def _rejected(message: str):
    raise ReferenceRejected([RowError(0, "", "", message)])


# --- Reading the file, bounded -----------------------------------------------------------------


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text, the heading row first; refuses a file too big to read safely."""
    limit = settings.MAX_UPLOAD_SIZE
    if len(data) > limit:
        _rejected(f"The file is {len(data) / 1048576:.1f} MB. It must be smaller than {limit // 1048576} MB")
    if not data:
        _rejected("The file is empty. Choose a CSV or Excel (.xlsx) file")
    if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if filename.lower().endswith((".csv", ".txt")):
        return _read_csv(data)
    _rejected("The file must be a CSV file (.csv) or an Excel workbook (.xlsx)")


def _read_csv(data: bytes) -> list[list[str]]:
    lines = data.count(b"\n") + 1
    if lines > MAX_CSV_ROWS:
        _rejected(f"The file has {lines:,} lines, more than the {MAX_CSV_ROWS:,} an import may have. Split it")
    if data.count(b",") + lines > MAX_CSV_CELLS:
        _rejected(f"The file has more than {MAX_CSV_CELLS:,} cells. Remove the columns the import does not use")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # as Excel saves "CSV" on Windows
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if any(len(cell) > MAX_CELL_TEXT for cell in row):
                _rejected(f"Row {len(rows) + 1} has a cell longer than {MAX_CELL_TEXT:,} characters")
            rows.append([cell.strip() for cell in row])
    except csv.Error as error:
        _rejected(f"The file is not a CSV file that can be read ({error})")
    return rows


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        check_file(data)  # sizes, zip bomb, every part counted before openpyxl reads any (ADR 8)
    except WorkbookRejected as rejected:
        raise ReferenceRejected([RowError(0, "", "", e.message) for e in rejected.errors]) from None
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        width = max(len(columns) for columns in COLUMNS.values()) + 4
        return [
            ["" if value is None else _cell_text(value) for value in row]
            for row in sheet.iter_rows(max_col=width, values_only=True)
        ]
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- Validating rows ----------------------------------------------------------------------------


def _heading(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


ALIASES = {"ons": "ons_code", "area": "ons_code", "hwb_area": "ons_code", "areas": "hwb_areas", "region_code": "region"}


class _Rows:
    """The rows of one file with their headings, collecting errors addressed by row and column."""

    def __init__(self, table: list[list[str]], what: str):
        self.errors: list[RowError] = []
        table = list(table)
        while table and not any(table[-1]):
            table.pop()
        if not table:
            _rejected("The file is empty. The first row must hold the column headings")
        headings = [ALIASES.get(_heading(h), _heading(h)) for h in table[0]]
        self.index = {name: i for i, name in enumerate(headings) if name}
        missing = [name for name in COLUMNS[what] if name in REQUIRED[what] and name not in self.index]
        if missing:
            _rejected(
                f"The first row must hold the column headings {', '.join(COLUMNS[what])}. Missing: {', '.join(missing)}"
            )
        self.rows = [(number, row) for number, row in enumerate(table[1:], start=2) if any(row)]

    def value(self, row: list[str], name: str) -> str:
        i = self.index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    def error(self, number: int, name: str, message: str) -> None:
        i = self.index.get(name)
        letter = get_column_letter(i + 1) if i is not None else ""
        self.errors.append(RowError(number, name if i is not None else "", letter, message))

    def done(self) -> None:
        if self.errors:
            raise ReferenceRejected(self.errors)


def read_reference(what: str, data: bytes, filename: str, planning_round: PlanningRound | None = None) -> Preview:
    """Validate the whole file and say what importing it would change; writes nothing."""
    if what not in COLUMNS:
        _rejected(f"Choose what the file holds: {', '.join(COLUMNS)}")
    if what == "allocations" and planning_round is None:
        _rejected("Choose the planning round the allocations are for")
    rows = _Rows(read_table(data, filename), what)
    return {"areas": _areas, "organisations": _organisations, "allocations": _allocations}[what](rows, planning_round)


def _duplicate(rows: _Rows, seen: dict, key, number: int, column: str, what: str) -> bool:
    if key in seen:
        rows.error(number, column, f"{what} is already in row {seen[key]}. Each may appear only once")
        return True
    seen[key] = number
    return False


def _areas(rows: _Rows, _round) -> Preview:
    regions = {}
    for region in Region.objects.all():
        regions[region.code.lower()] = regions[region.name.lower()] = region
    existing = {a.ons_code: a for a in HwbArea.objects.select_related("region")}
    names = {a.name.lower(): a.ons_code for a in existing.values()}
    preview = Preview("areas", None, rows=len(rows.rows))
    seen: dict = {}
    seen_names: dict = {}
    for number, row in rows.rows:
        errors_before = len(rows.errors)
        ons, name, region_text = (rows.value(row, c) for c in ("ons_code", "name", "region"))
        if not ONS_CODE.fullmatch(ons):
            rows.error(number, "ons_code", f"Enter an ONS code like E06000026. ‘{ons}’ is not one")
            continue
        if _duplicate(rows, seen, ons, number, "ons_code", f"The area {ons}"):
            continue
        if not name:
            rows.error(number, "name", "Enter the area's name")
        elif len(name) > 150:
            rows.error(number, "name", "Enter a name of 150 characters or fewer")
        elif _duplicate(rows, seen_names, name.lower(), number, "name", f"The name ‘{name}’"):
            pass
        elif names.get(name.lower(), ons) != ons:
            rows.error(number, "name", f"‘{name}’ is already the name of the area {names[name.lower()]}")
        region = regions.get(region_text.lower())
        if region is None:
            known = ", ".join(f"{r.code} ({r.name})" for r in Region.objects.order_by("code"))
            rows.error(number, "region", f"‘{region_text}’ is not a region. Enter one of: {known}")
        if len(rows.errors) > errors_before:
            continue
        area = existing.get(ons)
        if area is None:
            preview.changes.append(Change("added", f"{ons} {name} ({region.name})"))
        elif area.name != name or area.region_id != region.pk:
            before = f"{area.name} ({area.region.name})"
            preview.changes.append(Change("changed", f"{ons} {before} → {name} ({region.name})"))
        else:
            continue
        preview.writes.append((ons, name, region.pk))
    rows.done()
    preview.kept = len(set(existing) - set(seen))
    return preview


def _kind(text: str) -> str | None:
    wanted = _heading(text)
    for value, label in Organisation.Kind.choices:
        if wanted in (value, _heading(label)) or text.strip().upper() == "".join(w[0] for w in label.split()).upper():
            return value
    return None


def _organisations(rows: _Rows, _round) -> Preview:
    areas = dict(HwbArea.objects.values_list("ons_code", "pk"))
    rounds = {r.slug: r for r in PlanningRound.objects.all()}
    existing = {o.name: o for o in Organisation.objects.select_related("first_round", "last_round")}
    links: dict[int, set[int]] = {}
    for org_id, area_id in Organisation.hwb_areas.through.objects.values_list("organisation_id", "hwbarea_id"):
        links.setdefault(org_id, set()).add(area_id)
    ons_by_id = {pk: ons for ons, pk in areas.items()}
    preview = Preview("organisations", None, rows=len(rows.rows))
    seen: dict = {}
    for number, row in rows.rows:
        errors_before = len(rows.errors)
        name, code, kind_text = (rows.value(row, c) for c in ("name", "code", "kind"))
        if not name:
            rows.error(number, "name", "Enter the organisation's name")
            continue
        if len(name) > 200:
            rows.error(number, "name", "Enter a name of 200 characters or fewer")
            continue
        if _duplicate(rows, seen, name.lower(), number, "name", f"The organisation ‘{name}’"):
            continue
        if len(code) > 20:
            rows.error(number, "code", "Enter an ODS or ONS code of 20 characters or fewer")
        kind = _kind(kind_text)
        if kind is None:
            kinds = ", ".join(value for value, _ in Organisation.Kind.choices)
            rows.error(number, "kind", f"‘{kind_text}’ is not a kind of organisation. Enter one of: {kinds}")
        served = [ons for ons in re.split(r"[\s,;]+", rows.value(row, "hwb_areas")) if ons]
        unknown = [ons for ons in served if ons not in areas]
        if unknown:
            rows.error(
                number, "hwb_areas", f"No HWB area has the ONS code {', '.join(unknown)}. Import the areas first"
            )
        valid = {}
        for column in ("first_round", "last_round"):
            slug = rows.value(row, column)
            if slug and slug not in rounds:
                rows.error(number, column, f"‘{slug}’ is not a planning round. Enter one of: {', '.join(rounds)}")
            valid[column] = rounds.get(slug)
        first, last = valid["first_round"], valid["last_round"]
        if first and last and first.final_deadline > last.final_deadline:
            rows.error(number, "last_round", f"The last round must not come before the first round, {first.slug}")
        if len(rows.errors) > errors_before:
            continue
        area_ids = {areas[ons] for ons in served}
        org = existing.get(name)
        if org is None:
            preview.changes.append(Change("added", f"{name} ({kind}), serving {', '.join(served) or 'no area'}"))
        else:
            what_changed = []
            if org.kind != kind:
                what_changed.append(f"kind {org.kind} → {kind}")
            if org.code != code:
                what_changed.append(f"code {org.code or '(none)'} → {code or '(none)'}")
            have = links.get(org.pk, set())
            if have != area_ids:
                added = sorted(ons_by_id[a] for a in area_ids - have)
                removed = sorted(ons_by_id[a] for a in have - area_ids)
                what_changed.append(
                    "areas"
                    + (f" + {', '.join(added)}" if added else "")
                    + (f" − {', '.join(removed)}" if removed else "")
                )
            for column, chosen in valid.items():
                if getattr(org, f"{column}_id") != (chosen.pk if chosen else None):
                    before = getattr(org, column)
                    what_changed.append(
                        f"{column.replace('_', ' ')} {before.slug if before else '(any)'} → "
                        f"{chosen.slug if chosen else '(any)'}"
                    )
            if not what_changed:
                continue
            preview.changes.append(Change("changed", f"{name}: {'; '.join(what_changed)}"))
        preview.writes.append((name, kind, code, area_ids, first.pk if first else None, last.pk if last else None))
    rows.done()
    preview.kept = len({n.lower() for n in existing} - set(seen))
    return preview


def _allocations(rows: _Rows, planning_round: PlanningRound) -> Preview:
    areas = dict(HwbArea.objects.values_list("ons_code", "pk"))
    years = {y.label: y for y in planning_round.years.order_by("order")}
    keys = planning_round.allocation_keys()
    existing = {
        (a.hwb_area.ons_code, a.key, a.year.label): a
        for a in Allocation.objects.filter(round=planning_round).select_related("hwb_area", "year")
    }
    preview = Preview("allocations", planning_round, rows=len(rows.rows))
    seen: dict = {}
    for number, row in rows.rows:
        errors_before = len(rows.errors)
        ons, key, year, amount_text = (rows.value(row, c) for c in ("ons_code", "key", "year", "amount"))
        if ons not in areas:
            rows.error(number, "ons_code", f"No HWB area has the ONS code ‘{ons}’. Import the area first")
        if key not in keys:
            rows.error(
                number, "key", f"‘{key}’ is not an allocation of {planning_round}. Enter one of: {', '.join(keys)}"
            )
        if year not in years:
            rows.error(
                number,
                "year",
                f"‘{year}’ is not a year of {planning_round}. Enter one of: {', '.join(years)}",
            )
        try:
            amount = parse_pounds(amount_text)
            if amount is None:
                rows.error(number, "amount", "Enter an amount")
        except forms.ValidationError as error:
            rows.error(number, "amount", error.messages[0])
            amount = None
        if len(rows.errors) > errors_before:
            continue
        if _duplicate(rows, seen, (ons, key, year), number, "key", f"The {key} allocation of {ons} for {year}"):
            continue
        old = existing.get((ons, key, year))
        if old is None:
            preview.changes.append(Change("added", f"{ons} {year} {key}: £{amount:,}"))
        elif old.amount != amount:
            preview.changes.append(Change("changed", f"{ons} {year} {key}: £{old.amount:,} → £{amount:,}"))
        else:
            continue
        preview.writes.append((areas[ons], key, years[year].pk, amount))
    rows.done()
    for ons, key, year in sorted(set(existing) - set(seen)):
        preview.changes.append(Change("removed", f"{ons} {year} {key}: £{existing[(ons, key, year)].amount:,}"))
        preview.writes.append(("remove", existing[(ons, key, year)].pk))
    return preview


# --- Writing --------------------------------------------------------------------------------


@transaction.atomic
def apply_reference(what: str, data: bytes, filename: str, planning_round: PlanningRound | None = None) -> Preview:
    """Validate the file again and write every change in one transaction, or none."""
    preview = read_reference(what, data, filename, planning_round)
    if what == "areas":
        existing = set(HwbArea.objects.values_list("ons_code", flat=True))
        HwbArea.objects.bulk_create(
            [
                HwbArea(ons_code=ons, name=name, region_id=region)
                for ons, name, region in preview.writes
                if ons not in existing
            ]
        )
        for ons, name, region_id in (w for w in preview.writes if w[0] in existing):
            HwbArea.objects.filter(ons_code=ons).update(name=name, region_id=region_id)
    elif what == "organisations":
        for name, kind, code, area_ids, first_id, last_id in preview.writes:
            org, _ = Organisation.objects.update_or_create(
                name=name,
                defaults={"kind": kind, "code": code, "first_round_id": first_id, "last_round_id": last_id},
            )
            org.hwb_areas.set(area_ids)
    else:
        removed = [write[1] for write in preview.writes if write[0] == "remove"]
        Allocation.objects.filter(pk__in=removed).delete()
        wanted = [w for w in preview.writes if w[0] != "remove"]
        # A changed allocation is replaced: nothing refers to an allocation row.
        for area_id, key, year_id, _ in wanted:
            Allocation.objects.filter(round=planning_round, hwb_area_id=area_id, key=key, year_id=year_id).delete()
        Allocation.objects.bulk_create(
            [
                Allocation(round=planning_round, hwb_area_id=area_id, key=key, year_id=year_id, amount=amount)
                for area_id, key, year_id, amount in wanted
            ]
        )
    # Bulk writes and deletes send no signal the round cache hears: renew every round's configuration.
    config.bump_all_config_versions()
    return preview
