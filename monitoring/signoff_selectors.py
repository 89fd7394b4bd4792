"""Reads for a return's sign-off, submission, PDF and review: one snapshot, and the document drawn from it.

`return_snapshot` is what a submission stores and hashes; `return_document` turns a snapshot into
what the PDF and the assurer's review show (variances, lines beyond the round's threshold), so the
submitted PDF and the review page read the same object.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import Membership, User
from accounts.permissions import active
from rounds.models import OutcomeCategory, ReturnPart, ReturnQuestion, SignOffSlot

from . import permissions, selectors
from .models import Return, ReturnComment, ReturnReview, ReturnSignOff, ReturnSubmission

S = Return.Status
SNAPSHOT_SCHEMA = 1


def return_snapshot(ret: Return) -> dict:
    """The return as submitted: its content (what signatures bind to) and a header saying whose and when."""
    plan = ret.plan
    content = selectors.return_content(ret)
    signatures = [
        {
            "slot": s.slot.code,
            "slot_title": s.slot.title,
            "signatory_name": s.signatory_name,
            "position": s.position,
            "signed_on": s.signed_on.isoformat(),
            "content_hash": s.content_hash,
        }
        for s in ReturnSignOff.objects.filter(ret=ret, voided_at__isnull=True)
        .select_related("slot")
        .order_by("slot__order")
    ]
    return {
        "schema": SNAPSHOT_SCHEMA,
        "header": {
            "area": {"ons_code": plan.hwb_area.ons_code, "name": plan.hwb_area.name},
            "round": {"slug": plan.round.slug, "name": plan.round.name},
            "period": {
                "key": ret.period.key,
                "name": ret.period.name,
                "period_end": ret.period.period_end.isoformat(),
                "deadline": ret.period.deadline.isoformat(),
            },
            "version": ret.version,
            "plan_version": ret.approved_submission.version,
            "content_sha256": selectors.return_content_hash(ret),
            "signatures": signatures,
        },
        "content": content,
    }


def _dec(text) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def _day(text) -> datetime.date | None:
    return None if not text else datetime.date.fromisoformat(text)


def return_document(ret: Return, snapshot: dict, *, status_label: str = "") -> dict:
    """What the PDF and the review page show of a snapshot, by part, with variances worked out."""
    template = selectors.template_for(ret)
    threshold = template.variance_percent
    content, header = snapshot["content"], snapshot["header"]
    lines = []
    for x in content["lines"]:
        planned, actual = _dec(x["planned"]), _dec(x["actual"])
        variance = selectors.variance_percent(planned, actual)
        beyond = actual is not None and (variance is None or abs(variance) > threshold)
        lines.append(
            {
                **x,
                "planned": planned,
                "actual": actual,
                "forecast": _dec(x["forecast"]),
                "planned_year": _dec(x["planned_year"]),
                "variance": variance,
                "beyond": beyond,
            }
        )
    totals = {}
    for kind in ("income", "expenditure"):
        rows = [x for x in lines if x["kind"] == kind]
        totals[kind] = {
            "planned": sum((x["planned"] for x in rows), Decimal(0)),
            "actual": sum((x["actual"] or Decimal(0) for x in rows), Decimal(0)),
        }
    metrics = [{**m, "ambition": _dec(m["ambition"]), "actual": _dec(m["actual"])} for m in content["metrics"]]
    conditions = [{**c, "expected_date": _day(c["expected_date"])} for c in content["conditions"]]
    answers = {(a["part"], a["question"]): {**a, "date": _day(a["date"])} for a in content["answers"]}
    parts = []
    for part in ReturnPart.objects.filter(round_id=ret.plan.round_id).prefetch_related("questions").order_by("order"):
        entry = {"key": part.key, "title": part.title, "description": part.description, "reports_on": part.reports_on}
        if part.reports_on == ReturnPart.ReportsOn.FINANCE:
            entry["lines"] = lines
            entry["totals"] = totals
        elif part.reports_on == ReturnPart.ReportsOn.CONDITIONS:
            entry["conditions"] = conditions
        elif part.reports_on == ReturnPart.ReportsOn.METRICS:
            entry["metrics"] = metrics
        else:
            entry["answers"] = [{"question": q, "answer": answers.get((part.key, q.key))} for q in part.questions.all()]
        parts.append(entry)
    return {
        "header": header,
        "status_label": status_label,
        "threshold": threshold,
        "parts": parts,
        "lines_beyond": [x for x in lines if x["beyond"]],
        "conditions_not_met": [c for c in conditions if c["met"] is False],
        "metrics_off_track": [m for m in metrics if m["on_track"] is False],
        "kinds": ReturnQuestion.Kind,
    }


def live_document(ret: Return) -> dict:
    """The return as it is now, for its PDF (its current signatures in the header)."""
    return return_document(ret, return_snapshot(ret), status_label=ret.get_status_display())


# --- What stops the next step ----------------------------------------------------------------------------------


def valid_signoffs(ret: Return, content_hash: str | None = None) -> dict[int, ReturnSignOff]:
    """Signatures, by slot id, that are not voided and still match the return's content."""
    content_hash = content_hash or selectors.return_content_hash(ret)
    return {
        s.slot_id: s
        for s in ReturnSignOff.objects.filter(ret=ret, voided_at__isnull=True).select_related("slot")
        if s.content_hash == content_hash
    }


def slots_for(ret: Return) -> list[SignOffSlot]:
    return list(SignOffSlot.objects.filter(round_id=ret.plan.round_id).order_by("order"))


def unsigned_slots(ret: Return, content_hash: str | None = None) -> list[SignOffSlot]:
    signed = valid_signoffs(ret, content_hash)
    return [slot for slot in slots_for(ret) if slot.pk not in signed]


def signoff_problems(ret: Return) -> list[str]:
    """What stops the return being sent for sign-off: unfinished parts and their problems."""
    problems = [
        f"Complete the part ‘{item['part'].title}’"
        for item in selectors.task_list(ret)
        if item["status"] != "completed"
    ]
    for part_problems in selectors.return_problems(ret).values():
        problems += [p.message for p in part_problems]
    if not SignOffSlot.objects.filter(round_id=ret.plan.round_id).exists():
        problems.append("This round has no sign-off slots set up; ask a national administrator.")
    return problems


def submission_problems(ret: Return) -> list[str]:
    return [f"Get the return signed: {slot.title}" for slot in unsigned_slots(ret)]


def latest_submission(ret: Return) -> ReturnSubmission | None:
    return ReturnSubmission.objects.filter(ret=ret).order_by("-version").first()


def signoff_page(user: User, ret: Return) -> dict:
    """The sign-off page: content hash, each slot and who signed it, and what this user may do now."""
    content_hash = selectors.return_content_hash(ret)
    signed = {
        s.slot_id: s for s in ReturnSignOff.objects.filter(ret=ret, voided_at__isnull=True).select_related("slot")
    }
    held = (
        set(
            user.memberships.filter(role=Membership.Role.SIGNATORY, hwb_area_id=ret.plan.hwb_area_id).values_list(
                "signoff_slot_code", flat=True
            )
        )
        if active(user)
        else set()
    )
    waiting = ret.status == S.READY_FOR_SIGNOFF
    slots = [
        {
            "slot": slot,
            "signoff": signed.get(slot.pk),
            "can_sign": waiting and slot.pk not in signed and slot.code in held,
        }
        for slot in slots_for(ret)
    ]
    commissioner = permissions.is_commissioner_of_area(user, ret)
    page = {
        "content_hash": content_hash,
        "slots": slots,
        "slots_to_sign": [row for row in slots if row["can_sign"]],
        "is_commissioner": commissioner,
        "can_send": commissioner and ret.status == S.DRAFT,
        "can_withdraw": commissioner and ret.status in (S.READY_FOR_SIGNOFF, S.SIGNED_OFF),
        "can_submit": commissioner and ret.status == S.SIGNED_OFF,
        "submissions": list(ReturnSubmission.objects.filter(ret=ret).order_by("-version")),
        "review": ReturnReview.objects.filter(submission__ret=ret, decided_at__isnull=False)
        .select_related("outcome")
        .order_by("-decided_at")
        .first(),
        "comments": comments_for(ret),
    }
    if page["can_send"]:
        page["problems"] = signoff_problems(ret)
    elif page["can_submit"]:
        page["problems"] = submission_problems(ret)
    return page


def comments_for(ret: Return) -> list[ReturnComment]:
    """The assurers' comments on the return, by part, for its commissioners (and the review page)."""
    return list(
        ReturnComment.objects.filter(ret=ret).select_related("part", "author").order_by("part__order", "created_at")
    )


def review_page(ret: Return) -> dict:
    submission = latest_submission(ret)
    document = return_document(ret, submission.snapshot, status_label="Submitted") if submission else None
    return {
        "submission": submission,
        "doc": document,
        "comments": comments_for(ret),
        "outcomes": list(OutcomeCategory.objects.filter(round_id=ret.plan.round_id).order_by("order")),
        "parts": list(ReturnPart.objects.filter(round_id=ret.plan.round_id).order_by("order")),
        "review": ReturnReview.objects.filter(submission__ret=ret, decided_at__isnull=False)
        .select_related("outcome", "assurer")
        .order_by("-decided_at")
        .first(),
    }


def returns_awaiting_review(user: User) -> QuerySet[Return]:
    """Submitted returns of the assurer's regions they may review (none in areas where they hold a role)."""
    if not active(user):
        return Return.objects.none()
    regions = user.memberships.filter(role=Membership.Role.ASSURER).values("region_id")
    own_areas = user.memberships.filter(role__in=permissions.plan_rules.AREA_READER_ROLES).values("hwb_area_id")
    return (
        Return.objects.filter(status=S.SUBMITTED, plan__hwb_area__region_id__in=regions)
        .exclude(plan__hwb_area_id__in=own_areas)
        .select_related("plan__round", "plan__hwb_area__region", "period")
        .order_by("period__deadline", "plan__hwb_area__name")
    )
