"""One snapshot of a plan: read once, immutable, and the source of every file and hash of it.

`read_plan_snapshot` reads the plan's rows once (each table of the plan in one query; Part 2
through `finance.selectors.part_two_for_plan`) into frozen dataclasses. Everything about a plan
is rendered from that one object: the content its signatures bind to (`content()` and
`content_hash`), the JSON a Submission stores (`submission_json()`), the Part 1 PDF
(`governance.selectors.part1_document`) and the Part 2 workbook (`finance.workbook.workbook_bytes`
of `part_two`). A second serialiser of the same plan would drift from the first; there is none.

The content JSON holds only JSON types (money and rates as strings, dates as ISO strings), so the
stored JSON is exactly the canonical form the hash is taken over. Its shape is that of
SNAPSHOT_FORMAT 1, so signatures and submissions stored before this module are still verified.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from finance.selectors import PartTwo, PlanHeader, SchemeName, part_two_for_plan
from plans.models import Answer, Figure, Plan, RelatedDocument, SharedAnswer
from plans.selectors import plan_phase, plan_sections
from rounds.columns import TableColumn
from rounds.config import round_config
from rounds.models import CodeListEntry, Organisation, Question, RoundPhase, Section, SignOffSlot
from schemes.models import Scheme

from .models import SignOff

SNAPSHOT_FORMAT = 1
TEXT_KINDS = frozenset({Question.Kind.NARRATIVE, Question.Kind.TEXT})
AnswerValue = str | date | Decimal | bool | None


def _plain(value):
    """JSON-safe, and stable: Decimals keep their written form, dates become ISO strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _label(entry: CodeListEntry | None) -> str:
    return entry.label if entry is not None else ""


def answer_value(kind: str, text: str, on: date | None, money: Decimal | None, confirmed: bool | None) -> AnswerValue:
    """The one rule for an answer's value: what is stored for the question's kind."""
    if kind in TEXT_KINDS:
        return text
    if kind == Question.Kind.DATE:
        return on
    if kind == Question.Kind.MONEY:
        return money
    return confirmed


@dataclass(frozen=True, slots=True)
class AnswerRow:
    question: Question
    value: AnswerValue  # None when the question has no answer row; in a shared section, the local addendum
    updated_at: datetime | None
    # An aligned plan's shareable section: the group's shared text ("" when not yet written); None elsewhere.
    shared: str | None = None

    @property
    def answered(self) -> bool:
        """Something was given: a blank text counts as no answer."""
        return self.value is not None and not (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True, slots=True)
class SectionRow:
    section: Section
    answers: tuple[AnswerRow, ...]  # one per question of the section, in order


@dataclass(frozen=True, slots=True)
class DocumentRow:
    ref: str
    title: str
    synopsis: str
    url: str
    file: str
    original_filename: str
    values: dict  # the round's own columns (rounds.columns), by key


@dataclass(frozen=True, slots=True)
class FigureRow:
    """A figure of a narrative answer: its stored file (named by its SHA-256, never deleted) and alt text."""

    section_key: str
    question_key: str
    alt_text: str
    caption: str
    file: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class SchemeRow:
    id: int
    reference: str
    name: str
    scheme_type: CodeListEntry
    sub_type: CodeListEntry | None
    description: str
    lead_commissioner: CodeListEntry
    provider: str
    area_of_spend: CodeListEntry
    is_new: bool


@dataclass(frozen=True, slots=True)
class SignatureRow:
    """A valid (not voided) signature."""

    slot: SignOffSlot
    organisation_name: str
    signatory_name: str
    position: str
    signed_on: date | None
    content_hash: str
    under_delegation: bool
    delegating_body: str
    delegation_date: date | None
    delegation_minute_ref: str

    @property
    def slot_id(self) -> int:
        return self.slot.pk


@dataclass(frozen=True)
class PlanSnapshot:
    """The whole plan as read once: Part 1, schemes, Part 2 and its valid signatures."""

    plan: PlanHeader
    region_name: str
    round_labels: dict
    sections: tuple[SectionRow, ...]
    documents: tuple[DocumentRow, ...]
    schemes: tuple[SchemeRow, ...]
    part_two: PartTwo
    slots: tuple[SignOffSlot, ...]  # the round's sign-off slots, in order
    signatures: tuple[SignatureRow, ...]  # in slot order
    organisations: tuple[Organisation, ...]  # the area's, by name
    document_columns: tuple[TableColumn, ...] = ()  # the round's (rounds.columns)
    phase: RoundPhase | None = None  # the plan's phase; None for a round without phases
    group_name: str = ""  # the aligned plan group the plan is in, if any (plans.groups)
    figures: tuple[FigureRow, ...] = ()  # in question and figure order

    def figures_of(self, section_key: str, question_key: str) -> list[FigureRow]:
        return [f for f in self.figures if (f.section_key, f.question_key) == (section_key, question_key)]

    def content(self) -> dict:
        """Everything the plan says: answers, condition responses, documents, schemes, finance, metrics, risks."""
        return plan_content_of(self)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the plan's canonical content: a signature is valid only while this is unchanged."""
        return sha256_hex(canonical_json(self.content()))

    def submission_json(self) -> dict:
        """The whole plan as submitted: who and what it is, its content and its valid signatures."""
        plan = self.plan
        return {
            "format": SNAPSHOT_FORMAT,
            "plan": {
                "round": plan.round_slug,
                "round_name": plan.round_name,
                "ons_code": plan.ons_code,
                "hwb_area": plan.area_name,
                "version": plan.version,
                # Only a round with phases says which: the JSON of every other plan is as it always was.
                **({"phase": self.phase.key, "phase_name": self.phase.name} if self.phase else {}),
            },
            "content_hash": self.content_hash,
            "content": self.content(),
            "signoffs": [
                {
                    "slot": s.slot.code,
                    "slot_title": s.slot.title,
                    "organisation": s.organisation_name,
                    "signatory_name": s.signatory_name,
                    "position": s.position,
                    "signed_on": _plain(s.signed_on),
                    "content_hash": s.content_hash,
                    "under_delegation": s.under_delegation,
                    "delegating_body": s.delegating_body,
                    "delegation_date": _plain(s.delegation_date),
                    "delegation_minute_ref": s.delegation_minute_ref,
                }
                for s in self.signatures
            ],
        }


def read_plan_snapshot(plan: Plan) -> PlanSnapshot:
    """Read the plan once: one query per table of the plan, a fixed number however big it is.

    The plan's own row is read again with its round and area, so the snapshot's status and version
    are the database's, not those of an instance the caller may hold; the round's configuration
    comes from rounds.config.
    """
    plan = Plan.objects.select_related("round", "hwb_area__region").get(pk=plan.pk)
    config = round_config(plan.round_id, plan.round.config_version)
    sections = list(plan_sections(plan).prefetch_related("questions").order_by("order"))
    answers = {
        row[0]: row[1:]
        for row in Answer.objects.filter(plan_id=plan.pk)
        .order_by()
        .values_list("question_id", "text", "date", "money", "confirmed", "updated_at")
    }
    # An aligned plan's shareable sections hold the group's shared text beside the plan's own addendum.
    shared = (
        dict(SharedAnswer.objects.filter(group_id=plan.group_id).order_by().values_list("question_id", "text"))
        if plan.group_id
        else {}
    )
    section_rows = []
    for section in sections:
        rows = []
        for question in sorted(section.questions.all(), key=lambda q: (q.order, q.pk)):
            stored = answers.get(question.pk)
            value = answer_value(question.kind, *stored[:4]) if stored else None
            is_shared = bool(plan.group_id and section.shareable and question.kind in TEXT_KINDS)
            shared_text = shared.get(question.pk, "") if is_shared else None
            rows.append(AnswerRow(question, value, stored[4] if stored else None, shared_text))
        section_rows.append(SectionRow(section, tuple(rows)))

    document_fields = ("order", "id", "ref", "title", "synopsis", "url", "file", "original_filename", "values")
    documents = sorted(RelatedDocument.objects.filter(plan_id=plan.pk).order_by().values_list(*document_fields))
    codes = config.code_by_id
    scheme_fields = ("order", "reference", "id", "name", "scheme_type_id", "sub_type_id", "description")
    scheme_fields += ("lead_commissioner_id", "provider", "area_of_spend_id", "is_new")
    schemes = tuple(
        SchemeRow(
            id=s[2],
            reference=s[1],
            name=s[3],
            scheme_type=codes[s[4]],
            sub_type=codes.get(s[5]),
            description=s[6],
            lead_commissioner=codes[s[7]],
            provider=s[8],
            area_of_spend=codes[s[9]],
            is_new=s[10],
        )
        for s in sorted(Scheme.objects.filter(plan_id=plan.pk).order_by().values_list(*scheme_fields))
    )
    part_two = part_two_for_plan(plan, schemes={s.id: SchemeName(s.id, s.reference, s.name) for s in schemes})

    figure_fields = (
        "question__section__key",
        "question__key",
        "alt_text",
        "caption",
        "file",
        "sha256",
        "width",
        "height",
    )
    figures = tuple(
        FigureRow(*f)
        for f in Figure.objects.filter(plan_id=plan.pk)
        .order_by("question__section__order", "question__order", "order", "id")
        .values_list(*figure_fields)
    )

    slots = tuple(SignOffSlot.objects.filter(round_id=plan.round_id).order_by("order"))
    signature_fields = ("slot_id", "organisation_name", "signatory_name", "position", "signed_on", "content_hash")
    signature_fields += ("under_delegation", "delegating_body", "delegation_date", "delegation_minute_ref")
    signed = {
        row[0]: row[1:]
        for row in SignOff.objects.filter(plan_id=plan.pk, voided_at__isnull=True)
        .order_by()
        .values_list(*signature_fields)
    }
    return PlanSnapshot(
        plan=part_two.plan,
        region_name=plan.hwb_area.region.name,
        round_labels=plan.round.labels,
        sections=tuple(section_rows),
        documents=tuple(DocumentRow(*d[2:6], d[6] or "", d[7], d[8] or {}) for d in documents),
        document_columns=config.document_columns,
        schemes=schemes,
        part_two=part_two,
        slots=slots,
        signatures=tuple(SignatureRow(slot, *signed[slot.pk]) for slot in slots if slot.pk in signed),
        organisations=tuple(part_two.organisations),
        phase=plan_phase(plan),
        group_name=plan.group.name if plan.group_id else "",
        figures=figures,
    )


def plan_content_of(snapshot: PlanSnapshot) -> dict:
    """The snapshot's content as JSON types, in the shape signatures and submissions have always hashed."""
    part = snapshot.part_two
    condition_questions = {c.pk: list(c.questions.all()) for c in part.conditions}
    responses = part.condition_responses
    section_rows = []
    for row in snapshot.sections:
        section = row.section
        content = {
            "key": section.key,
            "title": section.title,
            "part": section.part,
            "table": section.table,
            "answers": [_answer_content(a) for a in row.answers],
        }
        if section.national_condition_id:
            content["condition_responses"] = [
                {
                    "number": cq.number,
                    "prompt": cq.prompt,
                    "status": responses[cq.pk].status if cq.pk in responses else "",
                    "target_date": _plain(responses[cq.pk].target_date) if cq.pk in responses else None,
                    "narrative": responses[cq.pk].narrative if cq.pk in responses else "",
                }
                for cq in condition_questions.get(section.national_condition_id, [])
            ]
        section_rows.append(content)
    return {
        # Only a grouped plan has the key, so every other plan's content and hash are what they always were.
        **({"group": snapshot.group_name} if snapshot.group_name else {}),
        "sections": section_rows,
        "documents": [
            {
                "ref": d.ref,
                "title": d.title,
                "synopsis": d.synopsis,
                "url": d.url,
                "file": d.file,
                "original_filename": d.original_filename,
                # The round's own columns sit beside the common ones (their keys never clash, rounds.columns).
                **d.values,
            }
            for d in snapshot.documents
        ],
        "schemes": [
            {
                "reference": s.reference,
                "name": s.name,
                "scheme_type": _label(s.scheme_type),
                "sub_type": _label(s.sub_type),
                "description": s.description,
                "lead_commissioner": _label(s.lead_commissioner),
                "provider": s.provider,
                "area_of_spend": _label(s.area_of_spend),
                "is_new": s.is_new,
            }
            for s in snapshot.schemes
        ],
        "income": [
            {
                "funding_stream": line.funding_stream.name,
                "funding_stream_key": line.funding_stream.key,
                "organisation": line.organisation.name,
                "year": line.year.label,
                "amount": _plain(line.amount),
                "note": line.note,
            }
            for line in part.income_lines
        ],
        "expenditure": [_expenditure_content(part, line) for line in part.expenditure_lines],
        "metrics": [
            {
                "metric": a.name,
                "metric_key": a.metric.key if a.metric is not None else "",
                "local_definition": a.local_definition,
                "local_unit": a.local_unit,
                "baseline_value": _plain(a.baseline_value),
                "baseline_period": a.baseline_period,
                "baseline_numerator": _plain(a.baseline_numerator),
                "baseline_denominator": _plain(a.baseline_denominator),
                "rationale": a.rationale,
                "planned_values": [
                    {
                        "period": v.period,
                        "value": _plain(v.value),
                        "numerator": _plain(v.numerator),
                        "denominator": _plain(v.denominator),
                    }
                    for v in part.planned[a.pk]
                ],
            }
            for a in part.ambitions
        ],
        "risks": [
            {
                "description": r.description,
                "rating": _label(r.rating),
                "mitigating_actions": r.mitigating_actions,
                "owner": r.owner,
                **r.values,
            }
            for r in part.risks
        ],
        # Only a round with a capacity and demand table has the key, so every other plan's content,
        # and the hash its signatures and submissions hold, is what it always was.
        **({"capacity_demand": capacity_content(part.capacity_demand)} if part.capacity_demand is not None else {}),
        # Likewise only a plan with figures has the key; each is bound by the SHA-256 of its stored bytes.
        **({"figures": [figure_content(f) for f in snapshot.figures]} if snapshot.figures else {}),
    }


def figure_content(figure: FigureRow) -> dict:
    return {
        "section": figure.section_key,
        "question": figure.question_key,
        "alt_text": figure.alt_text,
        "caption": figure.caption,
        "file": figure.file,
        "sha256": figure.sha256,
        "width": figure.width,
        "height": figure.height,
    }


def _answer_content(answer: AnswerRow) -> dict:
    content = {
        "key": answer.question.key,
        "label": answer.question.label,
        "kind": answer.question.kind,
        "value": _plain(answer.value),
    }
    # The group's shared text is part of each member's content: a change to it voids every member's signatures.
    if answer.shared is not None:
        content["shared"] = answer.shared
    return content


def _expenditure_content(part: PartTwo, line) -> dict:
    content = {
        "scheme": f"{line.scheme.reference} {line.scheme.name}",
        "scheme_type": _label(line.scheme_type),
        "area_of_spend": _label(line.area_of_spend),
        "commissioner": _label(line.commissioner),
        "percent_nhs": _plain(line.percent_nhs),
        "percent_la": _plain(line.percent_la),
        "provider": _label(line.provider),
        "funding_stream": line.funding_stream.name,
        "is_new": line.is_new,
        "amounts": {year: _plain(amount) for year, amount in part.amounts[line.pk].items()},
    }
    # Added only when present, so a plan signed before lines had them keeps its content hash.
    if line.sub_type is not None:
        content["sub_type"] = line.sub_type.label
    if outputs := part.outputs[line.pk]:
        content["output_unit"] = line.output_unit
        content["planned_outputs"] = {year: _plain(output) for year, output in outputs.items()}
    return content


def capacity_content(tables) -> list[dict]:
    """The capacity and demand figures as entered, block by block (totals and gaps are worked out from them)."""
    return [
        {
            "block": b.block.key,
            "label": b.block.label,
            "rows": [
                {
                    "key": r.row.key,
                    "service_type": r.row.label,
                    "pathway": r.row.pathway,
                    "figures": [{"period": c.label, "demand": c.demand, "capacity": c.capacity} for c in r.cells],
                }
                for r in b.rows
            ],
        }
        for b in tables.blocks
    ]


def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_content(plan: Plan) -> dict:
    """The plan's content as it is now (read_plan_snapshot(plan).content())."""
    return read_plan_snapshot(plan).content()


def plan_content_hash(plan: Plan) -> str:
    """SHA-256 of the plan's canonical content as it is now: a signature is valid only while it is unchanged."""
    return read_plan_snapshot(plan).content_hash


def plan_snapshot(plan: Plan) -> dict:
    """The whole plan as it is now, as a Submission stores it."""
    return read_plan_snapshot(plan).submission_json()
