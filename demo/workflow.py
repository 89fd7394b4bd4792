"""Take demo plans through the workflow with the portal's own services (fixtures/demo/workflow.yaml).

Runs after the demo plans are loaded and committed, one step at a time as people would, and only for
plans created by this load: a demo that people have been using is never moved on by a second run.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Membership, User
from governance import services
from governance.models import Submission
from governance.snapshots import plan_content_hash
from governance.tasks import render_submission_files
from plans.models import Plan, SectionProgress
from plans.selectors import plan_sections
from rounds.loader import read_yaml
from rounds.models import KeyLineOfEnquiry, OutcomeCategory, Section, SignOffSlot


class DemoWorkflowError(ValueError):
    """A workflow entry that does not fit the demo; the message names the plan."""


def _member(plan: Plan, role: str, **scope) -> User:
    membership = (
        Membership.objects.filter(role=role, **scope).select_related("user").order_by("pk").first()
        if scope
        else Membership.objects.filter(role=role, hwb_area=plan.hwb_area).select_related("user").order_by("pk").first()
    )
    if membership is None:
        raise DemoWorkflowError(f"{plan}: the demo has no {role} for it ({scope or plan.hwb_area})")
    return membership.user


def run(path, created: list[Plan]) -> list[str]:
    """Move each listed plan that this load created; returns what was done, for the command to print."""
    done = []
    if not path.exists():
        return done
    by_key = {(p.round.slug, p.hwb_area.ons_code): p for p in created}
    for item in read_yaml(path)["plans"] or []:
        plan = by_key.get((str(item["round"]), str(item["hwb_area"])))
        if plan is not None:
            done.append(_move(plan, item))
    return done


def _move(plan: Plan, item: dict) -> str:
    commissioner = _member(plan, Membership.Role.COMMISSIONER)
    for section in plan_sections(plan).exclude(table=Section.Table.SIGNOFF):
        SectionProgress.objects.update_or_create(
            plan=plan,
            section=section,
            defaults={"status": SectionProgress.Status.COMPLETED, "updated_by": commissioner},
        )
    services.send_for_signoff(user=commissioner, plan=plan, comment="Ready for the signatories.")
    for slot in SignOffSlot.objects.filter(round_id=plan.round_id).order_by("order"):
        signer = _member(plan, Membership.Role.SIGNATORY, hwb_area=plan.hwb_area, signoff_slot_code=slot.code)
        services.sign_plan(
            user=signer,
            plan=plan,
            slot_code=slot.code,
            signature=services.Signature(signatory_name=signer.get_full_name(), position=signer.job_title),
            seen_content_hash=plan_content_hash(plan),
        )
    submission = services.submit_plan(user=commissioner, plan=plan)
    submission.refresh_from_db()
    if submission.files_status != Submission.FilesStatus.DONE:
        # With a broker configured the worker may not be running: render here, as the worker would.
        render_submission_files.apply(args=(submission.pk,))
    label = f"{plan.hwb_area.name} ({plan.round.slug})"
    if item.get("to") == "submitted":
        return f"{label}: signed off and submitted"

    assurer = _member(plan, Membership.Role.ASSURER, region=plan.hwb_area.region)
    kloes = KeyLineOfEnquiry.objects.filter(round_id=plan.round_id)
    services.rate_kloes(user=assurer, plan=plan, ratings={k.pk: (item.get("rating", "met"), "") for k in kloes})
    outcome = OutcomeCategory.objects.filter(round_id=plan.round_id, code=item["outcome"]).first()
    if outcome is None:
        raise DemoWorkflowError(f"{plan}: round {plan.round.slug} has no outcome '{item['outcome']}'")
    today = timezone.localdate()
    conditions = [
        services.Condition(text=c["text"], due_date=today + datetime.timedelta(days=int(c["due_in_days"])))
        for c in item.get("conditions") or []
    ]
    services.decide(
        user=assurer, plan=plan, outcome=outcome, summary=str(item.get("summary", "")).strip(), conditions=conditions
    )
    return f"{label}: {outcome.label.lower()}"
