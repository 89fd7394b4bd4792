"""Load planning rounds (and the reference data they point at) from readable YAML fixtures.

A round file says everything that varies between BCF rounds, so a new round is a new file.
Loading is idempotent: rows are matched on their natural keys and saved only when a value
differs, so a second load of the same file changes and duplicates nothing. A file that does
not fit the expected shape is rejected before anything is written, with the key and line.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import models, transaction
from django.utils.dateparse import parse_datetime

from .columns import DOCUMENTS, RISKS, TableColumn, check_columns, default_document_columns, default_risk_columns
from .config import bump_config_version
from .models import (
    MINIMUM_POOL_KEY,
    Allocation,
    CapacityDemandTable,
    CodeListEntry,
    ConditionQuestion,
    FundingStream,
    HwbArea,
    IcbAllocation,
    KeyLineOfEnquiry,
    Metric,
    NationalCondition,
    Organisation,
    OutcomeCategory,
    OutputUnit,
    PlanningRound,
    Question,
    Region,
    ReturnPart,
    ReturnPeriod,
    ReturnQuestion,
    ReturnTemplate,
    RingFence,
    RoundPhase,
    RoundYear,
    Section,
    SignOffSlot,
    SplitRule,
)
from .units import POLARITY_CHOICES, UNIT_CHOICES, UNITS
from .units import STORED_PLACES as MAX_METRIC_PLACES


def fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


def rounds_dir() -> Path:
    return fixtures_dir() / "rounds"


def reference_path() -> Path:
    return fixtures_dir() / "reference.yaml"


class RoundFixtureError(ValueError):
    """A fixture file that cannot be loaded; the message names the file, line and key."""


# --- YAML with line numbers -----------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key (1-based), and the lines
    each value spans (0-based, first and last), so a problem inside a long text is found on its line."""

    line: int = 0
    key_lines: dict = {}  # noqa: RUF012 - replaced per instance; read-only default for empty maps
    value_spans: dict = {}  # noqa: RUF012 - as key_lines


class _Seq(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _Map()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    mapping.value_spans = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise RoundFixtureError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
        mapping.value_spans[key] = (value_node.start_mark.line, value_node.end_mark.line)
    return mapping


def _construct_sequence(loader, node):
    seq = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = node.start_mark.line + 1
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RoundFixtureError(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except RoundFixtureError as exc:
        raise RoundFixtureError(f"{path}, {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else "unknown line"
        raise RoundFixtureError(f"{path}, {where}: not valid YAML ({exc.problem})") from exc


# --- Validation -----------------------------------------------------------------------


# A {placeholder} in a round's wording, filled from the round's labels. Wider than a label key
# may be, so that a mistyped placeholder ({Fund-Name}) is refused rather than printed as typed.
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\}")


class _Checker:
    """Walks a parsed fixture, checking keys and value types, and reporting path and line.

    Once `labels` is set (a round file), every text it reads has its {placeholders} filled from
    them, and an unknown placeholder is refused with its line and name.
    """

    def __init__(self, path: Path):
        self.path = path
        self.labels: dict[str, str] | None = None
        self._source_lines: list[str] | None = None

    def fail(self, where: str, line: int, message: str):
        place = f"{self.path}, line {line}" if line else str(self.path)
        raise RoundFixtureError(f"{place}: {where}: {message}")

    def mapping(self, value, where: str, line: int, *, required=(), optional=()) -> _Map:
        if not isinstance(value, dict):
            self.fail(where, getattr(value, "line", line), f"expected a mapping of keys, got {_kind(value)}")
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{where}.{key}",
                    value.key_lines.get(key, value.line),
                    f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})",
                )
        for key in required:
            if key not in value or value[key] in (None, ""):
                self.fail(where, value.line, f"missing required key '{key}'")
        return value

    def line_of(self, mapping, key) -> int:
        return getattr(mapping, "key_lines", {}).get(key, getattr(mapping, "line", 0))

    def line_of_text(self, mapping, key, needle: str) -> int:
        """The line on which `needle` appears within the value of `key` (a text may span many lines)."""
        span = getattr(mapping, "value_spans", {}).get(key)
        if span is not None:
            if self._source_lines is None:
                self._source_lines = Path(self.path).read_text(encoding="utf-8").splitlines()
            first, last = span
            for number in range(first, min(last, len(self._source_lines) - 1) + 1):
                if needle in self._source_lines[number]:
                    return number + 1
        return self.line_of(mapping, key)

    def fill_labels(self, value: str, mapping, key, where: str) -> str:
        """Fill the round's {label} placeholders in one text; an unknown one is refused, never printed."""

        def replace(match):
            name = match.group(1)
            if name not in self.labels:
                self.fail(
                    f"{where}.{key}",
                    self.line_of_text(mapping, key, match.group(0)),
                    f"uses the placeholder '{{{name}}}', but the round's labels do not define '{name}' "
                    f"(define it under labels, or remove the braces)",
                )
            return self.labels[name]

        return PLACEHOLDER.sub(replace, value)

    def seq(self, mapping, key, where: str, *, required=False) -> list:
        value = mapping.get(key)
        if value is None:
            if required:
                self.fail(where, getattr(mapping, "line", 0), f"missing required key '{key}'")
            return []
        if not isinstance(value, list):
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"expected a list, got {_kind(value)}")
        return value

    def text(self, mapping, key, where: str, *, default="", max_length=None) -> str:
        value = mapping.get(key, default)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"expected text, got {_kind(value)}")
        value = str(value).strip() if isinstance(value, str) else str(value)
        if self.labels is not None:
            value = self.fill_labels(value, mapping, key, where)
        if max_length and len(value) > max_length:
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"is longer than {max_length} characters")
        return value

    def slug(self, mapping, key, where: str, *, max_length=None) -> str:
        value = self.text(mapping, key, where, max_length=max_length)
        if not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
            self.fail(
                f"{where}.{key}",
                self.line_of(mapping, key),
                f"'{value}' must use only letters, numbers, hyphens and underscores",
            )
        return value

    def boolean(self, mapping, key, where: str, *, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"expected true or false, got '{value}'")
        return value

    def integer(self, mapping, key, where: str) -> int:
        value = mapping.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"expected a whole number, got '{value}'")
        return value

    def choice(self, mapping, key, where: str, choices, *, default="") -> str:
        value = self.text(mapping, key, where, default=default)
        valid = [c for c, _ in choices]
        if value not in valid:
            self.fail(
                f"{where}.{key}",
                self.line_of(mapping, key),
                f"'{value}' is not one of: {', '.join(v or '(blank)' for v in valid)}",
            )
        return value

    def money(self, value, where: str, line: int) -> Decimal:
        try:
            amount = Decimal(str(value).replace(",", "").replace("£", ""))
        except (InvalidOperation, ValueError):
            self.fail(where, line, f"'{value}' is not an amount of money")
        if amount < 0 or not amount.is_finite():
            self.fail(where, line, f"enter an amount of £0 or more, not {value}")
        return amount.quantize(Decimal("0.01"))

    def when(self, mapping, key, where: str, *, required=False) -> datetime.datetime | None:
        value = mapping.get(key)
        if value in (None, ""):
            if required:
                self.fail(where, getattr(mapping, "line", 0), f"missing required key '{key}'")
            return None
        if isinstance(value, datetime.datetime):
            parsed = value
        elif isinstance(value, datetime.date):
            parsed = datetime.datetime.combine(value, datetime.time(12, 0))
        else:
            parsed = parse_datetime(str(value))
        if parsed is None:
            self.fail(f"{where}.{key}", self.line_of(mapping, key), f"'{value}' is not a date and time")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed

    def unique(self, items: list, where: str, key_of):
        seen: set = set()
        for item in items:
            key = key_of(item)
            if key in seen:
                line = item.get("line", 0) if isinstance(item, dict) else getattr(item, "line", 0)
                self.fail(where, line, f"'{key}' appears more than once")
            seen.add(key)


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


# --- Writing --------------------------------------------------------------------------


@dataclass
class LoadReport:
    """How many rows a load created and changed; a repeat load reports none of either."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_rows: list[str] = field(default_factory=list)
    # Rows of the round the file no longer lists. They are kept, not deleted: plans may
    # already point at them, and removing a section is a decision for a person, not a loader.
    stale_rows: list[str] = field(default_factory=list)

    def __str__(self):
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _upsert(report: LoadReport, model: type[models.Model], lookup: dict, values: dict) -> models.Model:
    """update_or_create that saves only when a value differs, so a reload writes nothing."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.created += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated += 1
        report.changed_rows.append(f"{model.__name__} {lookup}: {', '.join(changed)}")
    else:
        report.unchanged += 1
    return obj


# --- Reference data -------------------------------------------------------------------


def load_reference(path: Path | None = None, *, report: LoadReport | None = None) -> LoadReport:
    """Regions, HWB areas (by ONS code) and organisations, which every round refers to."""
    path = Path(path or reference_path())
    report = report if report is not None else LoadReport()
    data = read_yaml(path)
    check = _Checker(path)
    check.mapping(data, "reference", 1, required=["regions", "hwb_areas"], optional=["organisations"])

    regions = []
    for i, item in enumerate(check.seq(data, "regions", "reference", required=True)):
        where = f"regions[{i}]"
        check.mapping(item, where, data.line, required=["code", "name"])
        regions.append((check.text(item, "code", where, max_length=20), check.text(item, "name", where)))
    known_regions = {code for code, _ in regions}

    areas = []
    for i, item in enumerate(check.seq(data, "hwb_areas", "reference", required=True)):
        where = f"hwb_areas[{i}]"
        check.mapping(item, where, data.line, required=["ons_code", "name", "region"])
        ons = check.text(item, "ons_code", where)
        if not re.fullmatch(r"E\d{8}", ons):
            check.fail(
                f"{where}.ons_code", check.line_of(item, "ons_code"), f"'{ons}' is not an ONS code like E06000026"
            )
        region = check.text(item, "region", where)
        if region not in known_regions:
            check.fail(f"{where}.region", check.line_of(item, "region"), f"unknown region code '{region}'")
        areas.append((ons, check.text(item, "name", where, max_length=150), region))
    known_areas = {ons for ons, _, _ in areas}

    organisations = []
    for i, item in enumerate(check.seq(data, "organisations", "reference")):
        where = f"organisations[{i}]"
        check.mapping(
            item,
            where,
            data.line,
            required=["name", "kind"],
            optional=["code", "hwb_areas", "first_round", "last_round"],
        )
        kind = check.choice(item, "kind", where, Organisation.Kind.choices)
        org_areas = [str(a) for a in check.seq(item, "hwb_areas", where)]
        for ons in org_areas:
            if ons not in known_areas:
                check.fail(f"{where}.hwb_areas", check.line_of(item, "hwb_areas"), f"unknown HWB area '{ons}'")
        # Round slugs; only those given are written, so a validity set in the admin is otherwise kept.
        validity = {key: check.slug(item, key, where) for key in ("first_round", "last_round") if key in item}
        organisations.append(
            (
                check.text(item, "name", where, max_length=200),
                kind,
                check.text(item, "code", where),
                org_areas,
                validity,
            )
        )

    with transaction.atomic():
        region_rows = {code: _upsert(report, Region, {"code": code}, {"name": name}) for code, name in regions}
        area_rows = {
            ons: _upsert(report, HwbArea, {"ons_code": ons}, {"name": name, "region": region_rows[region]})
            for ons, name, region in areas
        }
        rounds = {r.slug: r for r in PlanningRound.objects.all()}
        for name, kind, code, org_areas, validity in organisations:
            created_before = report.created
            values = {"kind": kind, "code": code, **{key: rounds.get(slug) for key, slug in validity.items()}}
            org = _upsert(report, Organisation, {"name": name}, values)
            if validity.get("first_round") and validity["first_round"] not in rounds:
                # Its first round is not loaded yet: linked to no area, it is offered in no earlier round.
                # Loading that round loads this file again (load_round), which then links it.
                continue
            wanted = {area_rows[ons].pk for ons in org_areas}
            have = set(org.hwb_areas.values_list("pk", flat=True))
            if wanted - have:
                org.hwb_areas.add(*(wanted - have))
                if report.created == created_before:  # a new link on an existing organisation
                    report.updated += 1
                    report.changed_rows.append(f"Organisation {name}: hwb_areas")
    return report


# --- Rounds ---------------------------------------------------------------------------

ROUND_KEYS = [
    "round",
    "labels",
    "years",
    "national_conditions",
    "sections",
    "metrics",
    "capacity_demand",
    "funding_streams",
    "output_units",
    "code_lists",
    "split_rules",
    "ring_fences",
    "allocations",
    "icb_allocations",
    "signoff_slots",
    "kloes",
    "outcomes",
    "risk_columns",
    "document_columns",
    "phases",
    "monitoring",
]


def load_round(path: Path | str, *, report: LoadReport | None = None, with_reference: bool = True) -> PlanningRound:
    """Load (or reload) one round from its YAML file and return it.

    The shared reference data (regions, areas, organisations) is loaded first, because a
    round's allocations name HWB areas by ONS code.
    """
    path = Path(path)
    report = report if report is not None else LoadReport()
    data = read_yaml(path)
    spec = _RoundSpec(path, data)  # validates everything before any write
    with transaction.atomic():
        if with_reference:
            load_reference(report=report)
        rnd = spec.write(report)
        if with_reference:
            load_reference()  # organisations whose first round this is are linked to their areas now
        return rnd


@dataclass
class LoadedRound:
    path: Path
    round: PlanningRound
    report: LoadReport


def load_rounds(paths: list[Path], *, reference_report: LoadReport | None = None) -> list[LoadedRound]:
    """Load several round files all or nothing: every file is validated before anything is written,
    and the reference data and every round are written in one transaction, so a mistake in any
    file (even one found while writing, such as an unknown HWB area) leaves the database as it was.
    """
    specs = [(Path(path), _RoundSpec(Path(path), read_yaml(path))) for path in paths]
    loaded = []
    with transaction.atomic():
        load_reference(report=reference_report)
        for path, spec in specs:
            report = LoadReport()
            loaded.append(LoadedRound(path, spec.write(report), report))
        load_reference()  # organisations whose first round was just loaded are linked to their areas now
    return loaded


def resolve_round_path(name: str) -> Path:
    """A slug (2014-15) names fixtures/rounds/<slug>.yaml; anything else is taken as a path."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return rounds_dir() / f"{name}.yaml"


def shipped_round_paths() -> list[Path]:
    return sorted(rounds_dir().glob("*.yaml"))


class _RoundSpec:
    """A round file, validated into plain values ready to write."""

    def __init__(self, path: Path, data):
        self.check = check = _Checker(path)
        check.mapping(data, "(file)", 1, required=["round", "years", "sections"], optional=ROUND_KEYS)
        self.data = data

        # The labels come first: every text after them may use their {placeholders}.
        labels = data.get("labels") or _Map()
        if not isinstance(labels, dict):
            check.fail("labels", check.line_of(data, "labels"), "expected a mapping of label keys to wording")
        self.labels = {}
        for key in labels:
            wording = check.text(labels, key, "labels")
            if match := PLACEHOLDER.search(wording):
                check.fail(
                    f"labels.{key}",
                    check.line_of_text(labels, key, match.group(0)),
                    f"uses the placeholder '{match.group(0)}', but a label's wording cannot use other labels",
                )
            self.labels[str(key)] = wording
        check.labels = self.labels

        r = check.mapping(
            data["round"],
            "round",
            check.line_of(data, "round"),
            required=["slug", "name", "final_deadline"],
            optional=["draft_deadline", "is_open"],
        )
        self.round = {
            "slug": check.slug(r, "slug", "round", max_length=20),
            "name": check.text(r, "name", "round", max_length=150),
            "draft_deadline": check.when(r, "draft_deadline", "round"),
            "final_deadline": check.when(r, "final_deadline", "round", required=True),
            "is_open": check.boolean(r, "is_open", "round", default=True),
        }

        years = check.seq(data, "years", "(file)", required=True)
        self.years = [str(y) for y in years]
        if not self.years:
            check.fail("years", check.line_of(data, "years"), "list at least one year, e.g. 2014/15")
        check.unique([_Str(y, years.line) for y in self.years], "years", str)

        self._conditions()
        self._output_units()
        self._code_lists()
        self._funding_streams()
        self._split_rules()
        self._sections()
        self._phases()
        self._metrics()
        self._capacity_demand()
        self._ring_fences()
        self._allocations()
        self._icb_allocations()
        self._signoff_slots()
        self._kloes()
        self._outcomes()
        self._monitoring()
        self.round["risk_columns"] = self._table_columns("risk_columns", RISKS, default_risk_columns)
        self.round["document_columns"] = self._table_columns("document_columns", DOCUMENTS, default_document_columns)

    # Each helper validates one part of the file into plain dicts.

    def _conditions(self):
        check = self.check
        self.conditions = []
        for i, item in enumerate(check.seq(self.data, "national_conditions", "(file)")):
            where = f"national_conditions[{i}]"
            check.mapping(item, where, 0, required=["number", "title"], optional=["description", "questions"])
            questions = []
            for j, q in enumerate(check.seq(item, "questions", where)):
                qwhere = f"{where}.questions[{j}]"
                check.mapping(q, qwhere, item.line, required=["prompt"], optional=["number"])
                questions.append(
                    {
                        "number": check.text(q, "number", qwhere, max_length=10),
                        "prompt": check.text(q, "prompt", qwhere),
                    }
                )
            self.conditions.append(
                {
                    "number": check.integer(item, "number", where),
                    "title": check.text(item, "title", where, max_length=250),
                    "description": check.text(item, "description", where),
                    "questions": questions,
                    "line": item.line,
                }
            )
        check.unique(self.conditions, "national_conditions", lambda c: c["number"])
        self.condition_numbers = {c["number"] for c in self.conditions}

    def _output_units(self):
        check = self.check
        self.output_units = []
        for i, item in enumerate(check.seq(self.data, "output_units", "(file)")):
            where = f"output_units[{i}]"
            check.mapping(item, where, 0, required=["key", "label"])
            self.output_units.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "label": check.text(item, "label", where, max_length=100),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.output_units, "output_units", lambda u: u["key"])
        self.output_unit_keys = {u["key"] for u in self.output_units}

    def _split_rules(self):
        """split_rules: which commissioner codes make a line joint, on which streams (none listed: every stream)."""
        check = self.check
        self.split_rules = []
        commissioners = {code for list_name, code in self.code_keys if list_name == CodeListEntry.List.COMMISSIONER}
        for i, item in enumerate(check.seq(self.data, "split_rules", "(file)")):
            where = f"split_rules[{i}]"
            check.mapping(item, where, 0, required=["commissioners"], optional=["funding_streams"])
            codes = [str(c) for c in check.seq(item, "commissioners", where, required=True)]
            if not codes:
                check.fail(f"{where}.commissioners", check.line_of(item, "commissioners"), "list at least one code")
            for code in codes:
                if code not in commissioners:
                    check.fail(
                        f"{where}.commissioners",
                        check.line_of(item, "commissioners"),
                        f"no commissioner code '{code}' in code_lists (expected one of: "
                        f"{', '.join(sorted(commissioners)) or 'none defined'})",
                    )
            streams = [str(k) for k in check.seq(item, "funding_streams", where)]
            for key in streams:
                if key not in self.stream_keys:
                    check.fail(
                        f"{where}.funding_streams",
                        check.line_of(item, "funding_streams"),
                        f"no funding stream '{key}' (expected one of: {', '.join(sorted(self.stream_keys)) or 'none'})",
                    )
            self.split_rules.append({"order": i + 1, "commissioners": codes, "funding_streams": streams})

    def _code_lists(self):
        check = self.check
        lists = self.data.get("code_lists") or _Map()
        check.mapping(
            lists,
            "code_lists",
            check.line_of(self.data, "code_lists"),
            optional=[c for c, _ in CodeListEntry.List.choices if c != CodeListEntry.List.SCHEME_SUBTYPE],
        )
        self.codes: list[dict] = []
        for list_name, entries in lists.items():
            if not isinstance(entries, list):
                check.fail(f"code_lists.{list_name}", lists.key_lines[list_name], "expected a list of entries")
            for i, item in enumerate(entries):
                where = f"code_lists.{list_name}[{i}]"
                optional = ["sub_types", "output_unit"] if list_name == CodeListEntry.List.SCHEME_TYPE else []
                check.mapping(item, where, entries.line, required=["code", "label"], optional=optional)
                unit = item.get("output_unit")
                if unit is not None and str(unit) not in self.output_unit_keys:
                    check.fail(
                        f"{where}.output_unit",
                        check.line_of(item, "output_unit"),
                        f"no output unit '{unit}' in output_units (expected one of: "
                        f"{', '.join(sorted(self.output_unit_keys)) or 'none defined'})",
                    )
                entry = {
                    "list": list_name,
                    "code": check.slug(item, "code", where, max_length=60),
                    "label": check.text(item, "label", where, max_length=200),
                    "order": i + 1,
                    "parent": None,
                    "output_unit": str(unit) if unit is not None else None,
                    "line": item.line,
                }
                self.codes.append(entry)
                for j, sub in enumerate(check.seq(item, "sub_types", where)):
                    swhere = f"{where}.sub_types[{j}]"
                    check.mapping(sub, swhere, item.line, required=["code", "label"])
                    self.codes.append(
                        {
                            "list": CodeListEntry.List.SCHEME_SUBTYPE,
                            "code": check.slug(sub, "code", swhere, max_length=60),
                            "label": check.text(sub, "label", swhere, max_length=200),
                            "order": j + 1,
                            "parent": entry["code"],
                            "output_unit": None,
                            "line": sub.line,
                        }
                    )
        check.unique(
            [_Keyed((c["list"], c["code"]), c["line"]) for c in self.codes],
            "code_lists",
            lambda k: f"{k.key[0]} code {k.key[1]}",
        )
        self.code_keys = {(c["list"], c["code"]) for c in self.codes}

    def _funding_streams(self):
        check = self.check
        self.streams = []
        for i, item in enumerate(check.seq(self.data, "funding_streams", "(file)")):
            where = f"funding_streams[{i}]"
            check.mapping(item, where, 0, required=["key", "name", "contributor"], optional=["is_mandatory"])
            self.streams.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "name": check.text(item, "name", where, max_length=200),
                    "contributor": check.choice(item, "contributor", where, FundingStream.Contributor.choices),
                    "is_mandatory": check.boolean(item, "is_mandatory", where, default=True),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.streams, "funding_streams", lambda s: s["key"])
        self.stream_keys = {s["key"] for s in self.streams}

    def _sections(self):
        check = self.check
        self.sections = []
        for i, item in enumerate(check.seq(self.data, "sections", "(file)", required=True)):
            where = f"sections[{i}]"
            check.mapping(
                item,
                where,
                0,
                required=["key", "heading"],
                optional=[
                    "part",
                    "group_heading",
                    "number",
                    "prompt",
                    "guidance",
                    "table",
                    "national_condition",
                    "questions",
                    "phase",
                    "prefill_from",
                    "shareable",
                    "front_matter",
                ],
            )
            where = f"sections[{i}] ({item.get('key')})"
            part = item.get("part", 1)
            if part not in (1, 2):
                check.fail(f"{where}.part", check.line_of(item, "part"), f"part must be 1 or 2, not '{part}'")
            condition = item.get("national_condition")
            if condition is not None and condition not in self.condition_numbers:
                check.fail(
                    f"{where}.national_condition",
                    check.line_of(item, "national_condition"),
                    f"no national condition numbered {condition} in this round",
                )
            questions = []
            for j, q in enumerate(check.seq(item, "questions", where)):
                qwhere = f"{where}.questions[{j}]"
                check.mapping(
                    q, qwhere, item.line, required=["key", "label", "kind"], optional=["prompt", "guidance", "required"]
                )
                qline = check.line_of(q, "label")
                questions.append(
                    {
                        "key": check.slug(q, "key", qwhere, max_length=40),
                        "label": check.text(q, "label", qwhere),
                        "prompt": check.text(q, "prompt", qwhere),
                        "guidance": check.text(q, "guidance", qwhere),
                        "kind": check.choice(q, "kind", qwhere, Question.Kind.choices),
                        "required": check.boolean(q, "required", qwhere, default=True),
                        "order": j + 1,
                        "line": q.line,
                    }
                )
                if len(questions[-1]["label"]) > 250:
                    check.fail(f"{qwhere}.label", qline, "is longer than 250 characters")
            check.unique(questions, f"{where}.questions", lambda q: q["key"])
            self.sections.append(
                {
                    "key": check.slug(item, "key", where, max_length=20),
                    "part": part,
                    "group_heading": check.text(item, "group_heading", where, max_length=150),
                    "number": check.text(item, "number", where, max_length=10),
                    "heading": check.text(item, "heading", where, max_length=200),
                    "prompt": check.text(item, "prompt", where),
                    "guidance": check.text(item, "guidance", where),
                    "table": check.choice(item, "table", where, Section.Table.choices),
                    "national_condition": condition,
                    "questions": questions,
                    "order": i + 1,
                    "line": item.line,
                    # Checked against the round's phases and sections by _phases.
                    "phase": check.slug(item, "phase", where, max_length=40) if "phase" in item else None,
                    "phase_line": check.line_of(item, "phase"),
                    "prefill_from": check.slug(item, "prefill_from", where, max_length=20)
                    if "prefill_from" in item
                    else None,
                    "prefill_line": check.line_of(item, "prefill_from"),
                    "shareable": check.boolean(item, "shareable", where, default=False),
                    "front_matter": check.boolean(item, "front_matter", where, default=False),
                }
            )
        check.unique(self.sections, "sections", lambda s: s["key"])

    def _phases(self):
        """phases: the plan first, then later phases (a planning update) that list the sections they ask for.

        A section declared with `phase:` belongs to that phase alone and must be among its sections;
        its `prefill_from` names the plan's section its answers start from.
        """
        check = self.check
        self.phases = []
        for i, item in enumerate(check.seq(self.data, "phases", "(file)")):
            where = f"phases[{i}]"
            check.mapping(item, where, 0, required=["key", "name"], optional=["opens", "deadline", "sections"])
            where = f"phases[{i}] ({item.get('key')})"
            listed = check.seq(item, "sections", where)
            if i == 0 and "sections" in item:
                check.fail(
                    f"{where}.sections",
                    check.line_of(item, "sections"),
                    "the first phase is the plan: it asks for every section not declared with 'phase:', "
                    "so it lists no sections",
                )
            if i > 0 and not listed:
                check.fail(where, item.line, "missing required key 'sections' (the sections this phase asks for)")
            if i > 0 and "deadline" not in item:
                check.fail(where, item.line, "missing required key 'deadline'")
            self.phases.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "name": check.text(item, "name", where, max_length=150),
                    "opens_at": check.when(item, "opens", where),
                    "deadline": check.when(item, "deadline", where),
                    "sections": [str(k) for k in listed],
                    "sections_line": check.line_of(item, "sections"),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.phases, "phases", lambda p: p["key"])
        phase_keys = [p["key"] for p in self.phases]
        sections = {s["key"]: s for s in self.sections}
        for phase in self.phases:
            for key in phase["sections"]:
                if key not in sections:
                    check.fail(
                        f"phases ({phase['key']}).sections", phase["sections_line"], f"no section with key '{key}'"
                    )
            if len(set(phase["sections"])) != len(phase["sections"]):
                check.fail(
                    f"phases ({phase['key']}).sections", phase["sections_line"], "lists a section more than once"
                )
        for section in self.sections:
            where = f"sections ({section['key']})"
            if section["phase"] is not None:
                if section["phase"] not in phase_keys[1:]:
                    check.fail(
                        f"{where}.phase",
                        section["phase_line"],
                        f"no later phase '{section['phase']}' (expected one of: {', '.join(phase_keys[1:]) or 'none'})"
                        if section["phase"] not in phase_keys
                        else f"'{section['phase']}' is the first phase, the plan: leave 'phase:' out",
                    )
                phase = self.phases[phase_keys.index(section["phase"])]
                if section["key"] not in phase["sections"]:
                    check.fail(
                        f"{where}.phase",
                        section["phase_line"],
                        f"the section belongs to phase '{phase['key']}', but that phase's sections do not list it",
                    )
            if section["prefill_from"] is not None:
                source = sections.get(section["prefill_from"])
                if section["phase"] is None:
                    check.fail(
                        f"{where}.prefill_from",
                        section["prefill_line"],
                        "only a section declared with 'phase:' starts from another section's answers",
                    )
                if source is None or source["phase"] is not None:
                    check.fail(
                        f"{where}.prefill_from",
                        section["prefill_line"],
                        f"no section of the plan with key '{section['prefill_from']}'",
                    )

    def _metrics(self):
        check = self.check
        self.metrics = []
        for i, item in enumerate(check.seq(self.data, "metrics", "(file)")):
            where = f"metrics[{i}]"
            check.mapping(
                item,
                where,
                0,
                required=["key", "name", "definition", "unit", "periods"],
                optional=["numerator", "denominator", "decimal_places", "polarity"],
            )
            periods = [str(p) for p in check.seq(item, "periods", where, required=True)]
            unit = check.choice(item, "unit", where, UNIT_CHOICES)
            if not UNITS[unit].has_denominator and item.get("denominator"):
                check.fail(
                    f"{where}.denominator",
                    check.line_of(item, "denominator"),
                    f"a metric in the unit '{unit}' has no denominator: remove it",
                )
            places = None
            if item.get("decimal_places") is not None:
                places = check.integer(item, "decimal_places", where)
                if places > MAX_METRIC_PLACES:
                    check.fail(
                        f"{where}.decimal_places",
                        check.line_of(item, "decimal_places"),
                        f"expected a whole number from 0 to {MAX_METRIC_PLACES}, got '{places}'",
                    )
            self.metrics.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "name": check.text(item, "name", where, max_length=250),
                    "definition": check.text(item, "definition", where),
                    "unit": unit,
                    "numerator": check.text(item, "numerator", where, max_length=150),
                    "denominator": check.text(item, "denominator", where, max_length=150),
                    "decimal_places": places,
                    "polarity": check.choice(item, "polarity", where, [("", ""), *POLARITY_CHOICES]),
                    "periods": periods,
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.metrics, "metrics", lambda m: m["key"])

    def _capacity_demand(self):
        """capacity_demand: {periods, blocks: [{key, label, rows: [{key, label, pathway}]}], measures}.

        Shown by the one section with `table: capacity_demand`; each needs the other. A figure is
        stored by its row key and period, so row keys are unique across the whole table.
        """
        check = self.check
        shown_in = [s for s in self.sections if s["table"] == Section.Table.CAPACITY_DEMAND]
        if len(shown_in) > 1:
            check.fail(
                f"sections ({shown_in[1]['key']}).table",
                shown_in[1]["line"],
                f"only one section may show the capacity and demand table (section '{shown_in[0]['key']}' already does)",
            )
        item = self.data.get("capacity_demand")
        if item is None:
            self.capacity_demand = None
            if shown_in:
                check.fail(
                    f"sections ({shown_in[0]['key']}).table",
                    shown_in[0]["line"],
                    "shows the capacity and demand table, but the file has no capacity_demand "
                    "(add one with its periods and blocks)",
                )
            return
        where = "capacity_demand"
        check.mapping(
            item,
            where,
            check.line_of(self.data, "capacity_demand"),
            required=["periods", "blocks"],
            optional=["measures", "pathway_label"],
        )
        periods = check.seq(item, "periods", where, required=True)
        if not periods:
            check.fail(f"{where}.periods", check.line_of(item, "periods"), "list at least one period, e.g. Apr 2025")
        for period in periods:
            if isinstance(period, (dict, list)) or period in (None, ""):
                check.fail(f"{where}.periods", periods.line, f"expected a period label, got {_kind(period)}")
            if len(str(period)) > 60:
                check.fail(f"{where}.periods", periods.line, f"'{period}' is longer than 60 characters")
        check.unique([_Str(str(p), periods.line) for p in periods], f"{where}.periods", str)
        measures = item.get("measures") or _Map()
        mwhere = f"{where}.measures"
        check.mapping(measures, mwhere, check.line_of(item, "measures"), optional=["demand", "capacity", "gap"])
        blocks = []
        row_lines: dict[str, int] = {}
        for i, block in enumerate(check.seq(item, "blocks", where, required=True)):
            bwhere = f"{where}.blocks[{i}]"
            check.mapping(block, bwhere, item.line, required=["key", "label", "rows"])
            rows = []
            for j, row in enumerate(check.seq(block, "rows", bwhere, required=True)):
                rwhere = f"{bwhere}.rows[{j}]"
                check.mapping(row, rwhere, block.line, required=["key", "label"], optional=["pathway"])
                key = check.slug(row, "key", rwhere, max_length=40)
                if key in row_lines:
                    check.fail(
                        f"{rwhere}.key",
                        check.line_of(row, "key"),
                        f"row key '{key}' is used more than once (first on line {row_lines[key]}); "
                        "row keys must be unique across all blocks",
                    )
                row_lines[key] = check.line_of(row, "key")
                rows.append(
                    {
                        "key": key,
                        "label": check.text(row, "label", rwhere, max_length=250),
                        "pathway": check.text(row, "pathway", rwhere, max_length=40),
                    }
                )
            if not rows:
                check.fail(f"{bwhere}.rows", check.line_of(block, "rows"), "list at least one row (a service type)")
            blocks.append(
                {
                    "key": check.slug(block, "key", bwhere, max_length=40),
                    "label": check.text(block, "label", bwhere, max_length=150),
                    "rows": rows,
                    "line": block.line,
                }
            )
        if not blocks:
            check.fail(f"{where}.blocks", check.line_of(item, "blocks"), "list at least one block of rows")
        check.unique(blocks, f"{where}.blocks", lambda b: b["key"])
        if not shown_in:
            check.fail(
                where,
                check.line_of(self.data, "capacity_demand"),
                "no section shows this table (give one section `table: capacity_demand`)",
            )
        self.capacity_demand = {
            "periods": [str(p) for p in periods],
            "blocks": [_without(b, "line") for b in blocks],
            "demand_label": check.text(measures, "demand", mwhere, default="Demand", max_length=100),
            "capacity_label": check.text(measures, "capacity", mwhere, default="Capacity", max_length=100),
            "gap_label": check.text(measures, "gap", mwhere, default="Gap (capacity minus demand)", max_length=100),
            "pathway_label": check.text(item, "pathway_label", where, default="Pathway", max_length=100),
        }

    def _code_ref(self, item, key, where, list_name) -> str | None:
        code = item.get(key)
        if code in (None, ""):
            return None
        if (list_name, str(code)) not in self.code_keys:
            self.check.fail(
                f"{where}.{key}", self.check.line_of(item, key), f"no {list_name} code '{code}' in code_lists"
            )
        return str(code)

    def _ring_fences(self):
        check = self.check
        self.ring_fences = []
        for i, item in enumerate(check.seq(self.data, "ring_fences", "(file)")):
            where = f"ring_fences[{i}]"
            check.mapping(
                item,
                where,
                0,
                required=["key", "name"],
                optional=["description", "funding_stream", "area_of_spend", "commissioner", "share"],
            )
            stream = item.get("funding_stream")
            if stream is not None and stream not in self.stream_keys:
                check.fail(
                    f"{where}.funding_stream", check.line_of(item, "funding_stream"), f"no funding stream '{stream}'"
                )
            self.ring_fences.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "name": check.text(item, "name", where, max_length=200),
                    "description": check.text(item, "description", where),
                    "funding_stream": stream,
                    "area_of_spend": self._code_ref(item, "area_of_spend", where, CodeListEntry.List.AREA_OF_SPEND),
                    "commissioner": self._code_ref(item, "commissioner", where, CodeListEntry.List.COMMISSIONER),
                    "share": check.choice(item, "share", where, RingFence.Share.choices),
                    "line": item.line,
                }
            )
        check.unique(self.ring_fences, "ring_fences", lambda f: f["key"])

    def _allocations(self):
        """allocations: {ONS code: {year: {key: amount}}}; keys are minimum_pool, streams or ring-fences."""
        check = self.check
        allocations = self.data.get("allocations") or _Map()
        check.mapping(allocations, "allocations", check.line_of(self.data, "allocations"), optional=list(allocations))
        valid_keys = {MINIMUM_POOL_KEY} | self.stream_keys | {f["key"] for f in self.ring_fences}
        self.allocations = []
        for ons, by_year in allocations.items():
            where = f"allocations.{ons}"
            line = allocations.key_lines[ons]
            check.mapping(by_year, where, line, optional=self.years)
            for year, amounts in by_year.items():
                ywhere = f"{where}.{year}"
                check.mapping(amounts, ywhere, by_year.key_lines[year], optional=sorted(valid_keys))
                for key, amount in amounts.items():
                    self.allocations.append(
                        {
                            "ons_code": str(ons),
                            "year": str(year),
                            "key": key,
                            "amount": check.money(amount, f"{ywhere}.{key}", amounts.key_lines[key]),
                            # An unknown area is the ONS code's mistake: report the line of the code itself.
                            "area_line": line,
                        }
                    )

    def _icb_allocations(self):
        """icb_allocations: {ICB code: {year: {funding stream key: amount}}}, shared by the areas the ICB serves."""
        check = self.check
        allocations = self.data.get("icb_allocations") or _Map()
        line = check.line_of(self.data, "icb_allocations")
        check.mapping(allocations, "icb_allocations", line, optional=list(allocations))
        self.icb_allocations = []
        for code, by_year in allocations.items():
            where = f"icb_allocations.{code}"
            code_line = allocations.key_lines[code]
            check.mapping(by_year, where, code_line, optional=self.years)
            for year, amounts in by_year.items():
                ywhere = f"{where}.{year}"
                check.mapping(amounts, ywhere, by_year.key_lines[year], optional=sorted(self.stream_keys))
                for key, amount in amounts.items():
                    self.icb_allocations.append(
                        {
                            "code": str(code),
                            "year": str(year),
                            "stream": key,
                            "amount": check.money(amount, f"{ywhere}.{key}", amounts.key_lines[key]),
                            # The organisation is checked against the reference data when writing.
                            "code_line": code_line,
                        }
                    )

    def _icb_organisations(self) -> dict[str, Organisation]:
        """The ICB each icb_allocations code names; an unknown code or another kind of body is refused."""
        codes = {a["code"]: a["code_line"] for a in self.icb_allocations}
        found: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.filter(code__in=codes):
            found.setdefault(org.code, []).append(org)
        icbs = {}
        for code, line in codes.items():
            where = f"icb_allocations.{code}"
            orgs = found.get(code, [])
            if not orgs:
                self.check.fail(
                    where, line, f"no organisation with code '{code}' (add the ICB to fixtures/reference.yaml)"
                )
            icb = [o for o in orgs if o.kind == Organisation.Kind.ICB]
            if not icb:
                self.check.fail(
                    where,
                    line,
                    f"{orgs[0].name} ({code}) is of kind '{orgs[0].kind}', not an integrated care board "
                    f"(kind icb): only an ICB's allocation is shared between the areas it serves",
                )
            icbs[code] = icb[0]
        return icbs

    def _signoff_slots(self):
        check = self.check
        self.slots = []
        for i, item in enumerate(check.seq(self.data, "signoff_slots", "(file)")):
            where = f"signoff_slots[{i}]"
            check.mapping(
                item, where, 0, required=["code", "title"], optional=["organisation_kind", "by_label", "has_position"]
            )
            self.slots.append(
                {
                    "code": check.slug(item, "code", where, max_length=40),
                    "title": check.text(item, "title", where, max_length=200),
                    "organisation_kind": check.choice(
                        item, "organisation_kind", where, [("", "")] + list(Organisation.Kind.choices)
                    ),
                    "by_label": check.text(item, "by_label", where, default="By", max_length=100),
                    "has_position": check.boolean(item, "has_position", where, default=True),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.slots, "signoff_slots", lambda s: s["code"])

    def _kloes(self):
        check = self.check
        self.kloes = []
        for i, item in enumerate(check.seq(self.data, "kloes", "(file)")):
            where = f"kloes[{i}]"
            check.mapping(item, where, 0, required=["code", "title"], optional=["description"])
            self.kloes.append(
                {
                    "code": check.text(item, "code", where, max_length=20),
                    "title": check.text(item, "title", where, max_length=250),
                    "description": check.text(item, "description", where),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.kloes, "kloes", lambda k: k["code"])

    def _outcomes(self):
        check = self.check
        self.outcomes = []
        for i, item in enumerate(check.seq(self.data, "outcomes", "(file)")):
            where = f"outcomes[{i}]"
            check.mapping(item, where, 0, required=["code", "label"], optional=["is_approval", "requires_conditions"])
            self.outcomes.append(
                {
                    "code": check.slug(item, "code", where, max_length=40),
                    "label": check.text(item, "label", where, max_length=100),
                    "is_approval": check.boolean(item, "is_approval", where, default=False),
                    "requires_conditions": check.boolean(item, "requires_conditions", where, default=False),
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(self.outcomes, "outcomes", lambda o: o["code"])

    def _monitoring(self):
        """monitoring: the quarterly and year-end return approved plans make (periods, parts, questions)."""
        check = self.check
        self.monitoring = None
        if "monitoring" not in self.data:
            return
        m = check.mapping(
            self.data["monitoring"],
            "monitoring",
            check.line_of(self.data, "monitoring"),
            required=["name", "periods", "parts"],
            optional=["variance_percent", "amount_max"],
        )
        template = {"name": check.text(m, "name", "monitoring", max_length=150)}
        for key, low, high in (("variance_percent", 0, 100), ("amount_max", 1, 10**12)):
            if key in m:
                value = check.money(m[key], f"monitoring.{key}", check.line_of(m, key))
                if not low <= value <= high:
                    check.fail(f"monitoring.{key}", check.line_of(m, key), f"expected {low} to {high}, got {m[key]}")
                template[key] = value
        periods = []
        for i, item in enumerate(check.seq(m, "periods", "monitoring", required=True)):
            where = f"monitoring.periods[{i}]"
            check.mapping(
                item,
                where,
                0,
                required=["key", "name", "year", "share_of_year", "period_end", "deadline"],
                optional=["metric_periods"],
            )
            year = check.text(item, "year", where)
            if year not in self.years:
                check.fail(f"{where}.year", check.line_of(item, "year"), f"'{year}' is not one of the round's years")
            share = check.money(item["share_of_year"], f"{where}.share_of_year", check.line_of(item, "share_of_year"))
            if not 0 < share <= 100:
                check.fail(
                    f"{where}.share_of_year", check.line_of(item, "share_of_year"), "expected more than 0, up to 100"
                )
            period_end = check.when(item, "period_end", where, required=True)
            periods.append(
                {
                    "key": check.slug(item, "key", where, max_length=40),
                    "name": check.text(item, "name", where, max_length=100),
                    "year": year,
                    "share_of_year": share,
                    "period_end": period_end.date(),
                    "deadline": check.when(item, "deadline", where, required=True),
                    "metric_periods": [str(p) for p in check.seq(item, "metric_periods", where)],
                    "order": i + 1,
                    "line": item.line,
                }
            )
        check.unique(periods, "monitoring.periods", lambda p: p["key"])
        parts = []
        reports_on = [c for c, _ in ReturnPart.ReportsOn.choices]
        for i, item in enumerate(check.seq(m, "parts", "monitoring", required=True)):
            where = f"monitoring.parts[{i}]"
            check.mapping(
                item, where, 0, required=["key", "title"], optional=["description", "reports_on", "questions"]
            )
            where = f"monitoring.parts[{i}] ({item.get('key')})"
            part = {
                "key": check.slug(item, "key", where, max_length=40),
                "title": check.text(item, "title", where, max_length=150),
                "description": check.text(item, "description", where),
                "reports_on": check.choice(item, "reports_on", where, ReturnPart.ReportsOn.choices),
                "order": i + 1,
                "line": item.line,
                "questions": [],
            }
            listed = check.seq(item, "questions", where)
            if part["reports_on"] and listed:
                check.fail(
                    f"{where}.questions",
                    check.line_of(item, "questions"),
                    "a part that reports on the plan asks no questions of its own",
                )
            if not part["reports_on"] and not listed:
                check.fail(
                    where,
                    item.line,
                    f"give it questions, or reports_on (one of: {', '.join(r for r in reports_on if r)})",
                )
            for j, q in enumerate(listed):
                qwhere = f"{where}.questions[{j}]"
                check.mapping(q, qwhere, item.line, required=["key", "kind", "prompt"], optional=["hint"])
                part["questions"].append(
                    {
                        "key": check.slug(q, "key", qwhere, max_length=40),
                        "kind": check.choice(q, "kind", qwhere, ReturnQuestion.Kind.choices),
                        "prompt": check.text(q, "prompt", qwhere),
                        "hint": check.text(q, "hint", qwhere),
                        "order": j + 1,
                        "line": q.line,
                    }
                )
            check.unique(part["questions"], f"{where}.questions", lambda q: q["key"])
            parts.append(part)
        check.unique(parts, "monitoring.parts", lambda p: p["key"])
        check.unique([p for p in parts if p["reports_on"]], "monitoring.parts (reports_on)", lambda p: p["reports_on"])
        self.monitoring = {"template": template, "periods": periods, "parts": parts}

    def _table_columns(self, key: str, table: str, default) -> list[dict]:
        """The columns of the risks or documents table (rounds.columns); the row's own fields when not given."""
        check = self.check
        items = check.seq(self.data, key, "(file)")
        if key not in self.data:
            return default()
        if not items:
            check.fail(key, check.line_of(self.data, key), "list at least one column")
        columns = []
        for i, item in enumerate(items):
            where = f"{key}[{i}]"
            check.mapping(
                item,
                where,
                items.line,
                required=["key", "heading", "kind"],
                optional=["label", "hint", "code_list", "of", "required", "error"],
            )
            columns.append(
                TableColumn(
                    key=check.slug(item, "key", where, max_length=40),
                    heading=check.text(item, "heading", where, max_length=200),
                    kind=check.text(item, "kind", where),
                    label=check.text(item, "label", where, max_length=250),
                    hint=check.text(item, "hint", where),
                    code_list=check.text(item, "code_list", where),
                    of=tuple(str(f) for f in check.seq(item, "of", where)),
                    required=check.boolean(item, "required", where, default=False),
                    error=check.text(item, "error", where, max_length=200),
                )
            )
        code_lists = {c["list"] for c in self.codes}
        for index, name, message in check_columns(table, columns, code_lists):
            if index < len(items):
                item = items[index]
                check.fail(f"{key}[{index}] ({item.get('key')}).{name}", check.line_of(item, name), message)
            check.fail(key, check.line_of(self.data, key), message)
        return [c.as_json() for c in columns]

    # --- writing, in dependency order ---

    def write(self, report: LoadReport) -> PlanningRound:
        columns = ("risk_columns", "document_columns")
        before = PlanningRound.objects.filter(slug=self.round["slug"]).values_list(*columns).first()
        rnd = _upsert(
            report, PlanningRound, {"slug": self.round["slug"]}, {**_without(self.round, "slug"), "labels": self.labels}
        )
        if before is not None and before != (rnd.risk_columns, rnd.document_columns):
            # The table columns are part of the cached configuration (rounds.config): renew it.
            bump_config_version(rnd.pk)
        years = {
            label: _upsert(report, RoundYear, {"round": rnd, "label": label}, {"order": i + 1})
            for i, label in enumerate(self.years)
        }

        conditions = {}
        for c in self.conditions:
            cond = _upsert(
                report,
                NationalCondition,
                {"round": rnd, "number": c["number"]},
                {"title": c["title"], "description": c["description"]},
            )
            conditions[c["number"]] = cond
            for order, q in enumerate(c["questions"], start=1):
                _upsert(report, ConditionQuestion, {"condition": cond, "order": order}, q)

        units = {
            u["key"]: _upsert(
                report, OutputUnit, {"round": rnd, "key": u["key"]}, {"label": u["label"], "order": u["order"]}
            )
            for u in self.output_units
        }
        codes = {}
        for c in self.codes:  # parents come before their sub-types in self.codes
            parent = codes[(CodeListEntry.List.SCHEME_TYPE, c["parent"])] if c["parent"] else None
            codes[(c["list"], c["code"])] = _upsert(
                report,
                CodeListEntry,
                {"round": rnd, "list": c["list"], "code": c["code"]},
                {
                    "label": c["label"],
                    "order": c["order"],
                    "parent": parent,
                    "output_unit": units.get(c["output_unit"]),
                },
            )

        streams = {}
        for s in self.streams:
            streams[s["key"]] = _upsert(
                report, FundingStream, {"round": rnd, "key": s["key"]}, _without(s, "key", "line")
            )

        phases = {
            p["key"]: _upsert(
                report,
                RoundPhase,
                {"round": rnd, "key": p["key"]},
                _without(p, "key", "line", "sections", "sections_line"),
            )
            for p in self.phases
        }
        sections = self._write_sections(report, rnd, conditions, phases)
        for p in self.phases:
            phase = phases[p["key"]]
            wanted = {sections[key].pk for key in p["sections"]}
            if set(phase.sections.values_list("pk", flat=True)) != wanted:
                phase.sections.set(wanted)
                report.updated += 1
                report.changed_rows.append(f"RoundPhase {p['key']}: sections")

        for rule in self.split_rules:
            _upsert(report, SplitRule, {"round": rnd, "order": rule["order"]}, _without(rule, "order"))
        # Split rules are not rows plans point at, and a rule the file dropped must stop applying.
        for extra in SplitRule.objects.filter(round=rnd, order__gt=len(self.split_rules)):
            extra.delete()
            report.updated += 1
            report.changed_rows.append(f"SplitRule {extra.order}: removed")

        for m in self.metrics:
            _upsert(report, Metric, {"round": rnd, "key": m["key"]}, _without(m, "key", "line"))
        if self.capacity_demand is not None:
            _upsert(report, CapacityDemandTable, {"round": rnd}, self.capacity_demand)

        for f in self.ring_fences:
            _upsert(
                report,
                RingFence,
                {"round": rnd, "key": f["key"]},
                {
                    "name": f["name"],
                    "description": f["description"],
                    "funding_stream": streams.get(f["funding_stream"]),
                    "area_of_spend": codes.get((CodeListEntry.List.AREA_OF_SPEND, f["area_of_spend"])),
                    "commissioner": codes.get((CodeListEntry.List.COMMISSIONER, f["commissioner"])),
                    "share": f["share"],
                },
            )

        areas = {a.ons_code: a for a in HwbArea.objects.filter(ons_code__in={a["ons_code"] for a in self.allocations})}
        for a in self.allocations:
            if a["ons_code"] not in areas:
                self.check.fail(
                    f"allocations.{a['ons_code']}",
                    a["area_line"],
                    f"no HWB area with ONS code {a['ons_code']} (add it to fixtures/reference.yaml)",
                )
            _upsert(
                report,
                Allocation,
                {"round": rnd, "hwb_area": areas[a["ons_code"]], "year": years[a["year"]], "key": a["key"]},
                {"amount": a["amount"]},
            )

        icbs = self._icb_organisations()
        for a in self.icb_allocations:
            _upsert(
                report,
                IcbAllocation,
                {
                    "round": rnd,
                    "organisation": icbs[a["code"]],
                    "year": years[a["year"]],
                    "funding_stream": streams[a["stream"]],
                },
                {"amount": a["amount"]},
            )

        for s in self.slots:
            _upsert(report, SignOffSlot, {"round": rnd, "code": s["code"]}, _without(s, "code", "line"))
        for k in self.kloes:
            _upsert(report, KeyLineOfEnquiry, {"round": rnd, "code": k["code"]}, _without(k, "code", "line"))
        for o in self.outcomes:
            _upsert(report, OutcomeCategory, {"round": rnd, "code": o["code"]}, _without(o, "code", "line"))
        if self.monitoring is not None:
            self._write_monitoring(report, rnd, years)
        report.stale_rows += self._stale_rows(rnd)
        return rnd

    def _write_monitoring(self, report: LoadReport, rnd: PlanningRound, years: dict) -> None:
        _upsert(report, ReturnTemplate, {"round": rnd}, self.monitoring["template"])
        for p in self.monitoring["periods"]:
            values = {**_without(p, "key", "line"), "year": years[p["year"]]}
            _upsert(report, ReturnPeriod, {"round": rnd, "key": p["key"]}, values)
        for p in self.monitoring["parts"]:
            part = _upsert(report, ReturnPart, {"round": rnd, "key": p["key"]}, _without(p, "key", "line", "questions"))
            for q in p["questions"]:
                _upsert(report, ReturnQuestion, {"part": part, "key": q["key"]}, _without(q, "key", "line"))

    def _stale_rows(self, rnd: PlanningRound) -> list[str]:
        listed = {
            "year": (RoundYear.objects.filter(round=rnd), "label", set(self.years)),
            "national condition": (
                NationalCondition.objects.filter(round=rnd),
                "number",
                {c["number"] for c in self.conditions},
            ),
            "section": (Section.objects.filter(round=rnd), "key", {s["key"] for s in self.sections}),
            "metric": (rnd.metrics.all(), "key", {m["key"] for m in self.metrics}),
            "funding stream": (rnd.funding_streams.all(), "key", self.stream_keys),
            "output unit": (rnd.output_units.all(), "key", self.output_unit_keys),
            "ring-fence": (rnd.ring_fences.all(), "key", {f["key"] for f in self.ring_fences}),
            "sign-off slot": (rnd.signoff_slots.all(), "code", {s["code"] for s in self.slots}),
            "KLOE": (rnd.kloes.all(), "code", {k["code"] for k in self.kloes}),
            "outcome": (rnd.outcomes.all(), "code", {o["code"] for o in self.outcomes}),
            "phase": (rnd.phases.all(), "key", {p["key"] for p in self.phases}),
            "return period": (
                rnd.return_periods.all(),
                "key",
                {p["key"] for p in (self.monitoring or {}).get("periods", [])},
            ),
            "return part": (
                rnd.return_parts.all(),
                "key",
                {p["key"] for p in (self.monitoring or {}).get("parts", [])},
            ),
        }
        stale = []
        if self.capacity_demand is None and CapacityDemandTable.objects.filter(round=rnd).exists():
            stale.append("capacity and demand table")
        for kind, (queryset, field_name, keys) in listed.items():
            for value in queryset.exclude(**{f"{field_name}__in": keys}).values_list(field_name, flat=True):
                stale.append(f"{kind} {value}")
        for list_name, code in CodeListEntry.objects.filter(round=rnd).values_list("list", "code"):
            if (list_name, code) not in self.code_keys:
                stale.append(f"{list_name} code {code}")
        counts = {c["number"]: len(c["questions"]) for c in self.conditions}
        for number, order in ConditionQuestion.objects.filter(condition__round=rnd).values_list(
            "condition__number", "order"
        ):
            if number in counts and order > counts[number]:
                stale.append(f"condition {number} question {order}")
        wanted = {(s["key"], q["key"]) for s in self.sections for q in s["questions"]}
        for section_key, key in Question.objects.filter(section__round=rnd).values_list("section__key", "key"):
            if (section_key, key) not in wanted and section_key in {s["key"] for s in self.sections}:
                stale.append(f"question {section_key}/{key}")
        return stale

    def _write_sections(self, report: LoadReport, rnd: PlanningRound, conditions: dict, phases: dict) -> dict:
        # Sections are unique by (round, order). If a reload reorders them, or drops one, park the
        # moved and dropped ones on free numbers first so no step trips the constraint; dropped
        # sections (kept for the plans that use them) then follow the listed ones.
        existing = {s.key: s for s in Section.objects.filter(round=rnd)}
        listed = {s["key"] for s in self.sections}
        moved = [s["key"] for s in self.sections if s["key"] in existing and existing[s["key"]].order != s["order"]]
        dropped = sorted((key for key in existing if key not in listed), key=lambda key: existing[key].order)
        top = max([s.order for s in existing.values()] + [len(self.sections)]) + 1
        for offset, key in enumerate(moved + dropped):
            Section.objects.filter(pk=existing[key].pk).update(order=top + offset)
        written = {}
        # A section that starts from another's answers comes after it (only a plan section is a source).
        for s in sorted(self.sections, key=lambda s: s["prefill_from"] is not None):
            section = _upsert(
                report,
                Section,
                {"round": rnd, "key": s["key"]},
                {
                    **_without(
                        s,
                        "key",
                        "questions",
                        "line",
                        "national_condition",
                        "phase",
                        "phase_line",
                        "prefill_from",
                        "prefill_line",
                    ),
                    "national_condition": conditions.get(s["national_condition"]),
                    "phase": phases.get(s["phase"]),
                    "prefill_from": written.get(s["prefill_from"]),
                },
            )
            written[s["key"]] = section
            for q in s["questions"]:
                _upsert(report, Question, {"section": section, "key": q["key"]}, _without(q, "key", "line"))
        for offset, key in enumerate(dropped, start=len(self.sections) + 1):
            Section.objects.filter(pk=existing[key].pk).update(order=offset)
        if dropped:
            bump_config_version(rnd.pk)  # update() sends no signal, and the sections are cached (rounds.config)
        return written


def _without(d: dict, *keys) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


class _Str(str):
    def __new__(cls, value, line):
        obj = super().__new__(cls, value)
        obj.line = line
        return obj


@dataclass
class _Keyed:
    key: tuple
    line: int
