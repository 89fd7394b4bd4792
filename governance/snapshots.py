"""A plan's whole content as plain JSON, and the hash that signatures are bound to.

The snapshot is what a Submission stores and what version comparison diffs. It holds only
JSON types (money and rates as strings, dates as ISO strings), so the stored JSON is exactly
the canonical form the hash is taken over. It is built in a fixed number of queries.
"""

import hashlib
import json
from decimal import Decimal

from django.db.models import Prefetch

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Answer, ConditionResponse, Plan, RelatedDocument, Risk
from rounds.models import ConditionQuestion, Question, Section
from schemes.models import Scheme

from .models import SignOff

SNAPSHOT_FORMAT = 1


def _plain(value):
    """JSON-safe, and stable: Decimals keep their written form, dates become ISO strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _answer_value(answer: Answer | None, kind: str):
    if answer is None:
        return None
    if kind in (Question.Kind.NARRATIVE, Question.Kind.TEXT):
        return answer.text
    if kind == Question.Kind.DATE:
        return _plain(answer.date)
    if kind == Question.Kind.MONEY:
        return _plain(answer.money)
    return answer.confirmed


def _code(entry) -> str:
    return entry.label if entry is not None else ""


def plan_content(plan: Plan) -> dict:
    """Everything the plan says: answers, condition responses, documents, schemes, finance, metrics, risks."""
    sections = list(Section.objects.filter(round_id=plan.round_id).order_by("order"))
    questions_by_section: dict[int, list[Question]] = {}
    for q in Question.objects.filter(section__round_id=plan.round_id).order_by("section_id", "order"):
        questions_by_section.setdefault(q.section_id, []).append(q)
    answers = {a.question_id: a for a in Answer.objects.filter(plan=plan)}
    condition_questions: dict[int, list[ConditionQuestion]] = {}
    for cq in ConditionQuestion.objects.filter(condition__round_id=plan.round_id).order_by("condition_id", "order"):
        condition_questions.setdefault(cq.condition_id, []).append(cq)
    responses = {r.question_id: r for r in ConditionResponse.objects.filter(plan=plan)}

    section_rows = []
    for section in sections:
        row = {
            "key": section.key,
            "title": section.title,
            "part": section.part,
            "table": section.table,
            "answers": [
                {"key": q.key, "label": q.label, "kind": q.kind, "value": _answer_value(answers.get(q.pk), q.kind)}
                for q in questions_by_section.get(section.pk, [])
            ],
        }
        if section.national_condition_id:
            row["condition_responses"] = [
                {
                    "number": cq.number,
                    "prompt": cq.prompt,
                    "status": responses[cq.pk].status if cq.pk in responses else "",
                    "target_date": _plain(responses[cq.pk].target_date) if cq.pk in responses else None,
                    "narrative": responses[cq.pk].narrative if cq.pk in responses else "",
                }
                for cq in condition_questions.get(section.national_condition_id, [])
            ]
        section_rows.append(row)

    documents = [
        {
            "ref": d.ref,
            "title": d.title,
            "synopsis": d.synopsis,
            "url": d.url,
            "file": d.file.name if d.file else "",
            "original_filename": d.original_filename,
        }
        for d in RelatedDocument.objects.filter(plan=plan).order_by("order", "id")
    ]
    schemes = [
        {
            "reference": s.reference,
            "name": s.name,
            "scheme_type": _code(s.scheme_type),
            "sub_type": _code(s.sub_type),
            "description": s.description,
            "lead_commissioner": _code(s.lead_commissioner),
            "provider": s.provider,
            "area_of_spend": _code(s.area_of_spend),
            "is_new": s.is_new,
        }
        for s in Scheme.objects.filter(plan=plan)
        .select_related("scheme_type", "sub_type", "lead_commissioner", "area_of_spend")
        .order_by("order", "reference")
    ]
    income = [
        {
            "funding_stream": line.funding_stream.name,
            "funding_stream_key": line.funding_stream.key,
            "organisation": line.organisation.name,
            "year": line.year.label,
            "amount": _plain(line.amount),
            "note": line.note,
        }
        for line in IncomeLine.objects.filter(plan=plan)
        .select_related("funding_stream", "organisation", "year")
        .order_by("funding_stream__order", "organisation__name", "year__order")
    ]
    amounts = Prefetch("amounts", queryset=ExpenditureAmount.objects.select_related("year").order_by("year__order"))
    expenditure = [
        {
            "scheme": f"{line.scheme.reference} {line.scheme.name}",
            "scheme_type": _code(line.scheme_type),
            "area_of_spend": _code(line.area_of_spend),
            "commissioner": _code(line.commissioner),
            "percent_nhs": _plain(line.percent_nhs),
            "percent_la": _plain(line.percent_la),
            "provider": _code(line.provider),
            "funding_stream": line.funding_stream.name,
            "is_new": line.is_new,
            "amounts": {a.year.label: _plain(a.amount) for a in line.amounts.all()},
        }
        for line in ExpenditureLine.objects.filter(plan=plan)
        .select_related("scheme", "scheme_type", "area_of_spend", "commissioner", "provider", "funding_stream")
        .prefetch_related(amounts)
        .order_by("order", "id")
    ]
    planned = Prefetch("planned_values", queryset=PlannedValue.objects.order_by("order", "id"))
    metrics = [
        {
            "metric": a.metric.name if a.metric_id else a.local_name,
            "metric_key": a.metric.key if a.metric_id else "",
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
                for v in a.planned_values.all()
            ],
        }
        for a in MetricAmbition.objects.filter(plan=plan)
        .select_related("metric")
        .prefetch_related(planned)
        .order_by("order", "id")
    ]
    risks = [
        {
            "description": r.description,
            "rating": _code(r.rating),
            "mitigating_actions": r.mitigating_actions,
            "owner": r.owner,
            "concerns_nhs_providers": r.concerns_nhs_providers,
        }
        for r in Risk.objects.filter(plan=plan).select_related("rating").order_by("order", "id")
    ]
    return {
        "sections": section_rows,
        "documents": documents,
        "schemes": schemes,
        "income": income,
        "expenditure": expenditure,
        "metrics": metrics,
        "risks": risks,
    }


def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_content_hash(plan: Plan) -> str:
    """SHA-256 of the plan's canonical content: a signature is valid only while this is unchanged."""
    return sha256_hex(canonical_json(plan_content(plan)))


def signoff_rows(plan: Plan) -> list[dict]:
    return [
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
        for s in SignOff.objects.filter(plan=plan, voided_at__isnull=True)
        .select_related("slot")
        .order_by("slot__order")
    ]


def plan_snapshot(plan: Plan) -> dict:
    """The whole plan as submitted: who and what it is, its content and its valid signatures."""
    content = plan_content(plan)
    return {
        "format": SNAPSHOT_FORMAT,
        "plan": {
            "round": plan.round.slug,
            "round_name": plan.round.name,
            "ons_code": plan.hwb_area.ons_code,
            "hwb_area": plan.hwb_area.name,
            "version": plan.version,
        },
        "content_hash": sha256_hex(canonical_json(content)),
        "content": content,
        "signoffs": signoff_rows(plan),
    }
