"""Reads for the workflow pages: a plan's sign-off and assurance status, the assurer's and national views.

Each function makes a fixed number of queries, however many plans, lines or events there are.
"""

import hashlib
import math
from collections import defaultdict
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum, prefetch_related_objects
from django.utils import timezone

from accounts.models import User
from accounts.permissions import area_ids_of, assured_region_ids
from finance.models import ExpenditureAmount, IncomeLine
from plans.fragments import content_key
from plans.models import Plan
from plans.permissions import AREA_READER_ROLES
from plans.selectors import ASSURER_VISIBLE_STATUSES, plan_sections, plans_for_user
from rounds.models import PlanningRound, Region, ReturnPeriod, RoundPhase, Section, SignOffSlot

from . import submission_files, workflow
from .models import KloeRating, PlanEvent, Review, ReviewCondition, SectionComment, SignOff, Submission


def days_late(submitted_at, deadline) -> int:
    """Whole days (rounded up) after the deadline; 0 when on time."""
    if submitted_at is None or submitted_at <= deadline:
        return 0
    return math.ceil((submitted_at - deadline).total_seconds() / 86400)


def decided_review(submission: Submission | None) -> Review | None:
    if submission is None:
        return None
    return (
        Review.objects.filter(submission=submission, decided_at__isnull=False)
        .select_related("outcome", "assurer")
        .prefetch_related(Prefetch("conditions", queryset=ReviewCondition.objects.order_by("due_date", "id")))
        .order_by("-decided_at")
        .first()
    )


def plan_status_page(user: User, plan: Plan) -> dict:
    """Sign-off slots and signatures, what the user may do next, submissions, outcome and the audit trail."""
    slots = list(SignOffSlot.objects.filter(round_id=plan.round_id).order_by("order"))
    signoffs = {s.slot_id: s for s in SignOff.objects.filter(plan=plan, voided_at__isnull=True).select_related("slot")}
    # Roles are read several times below; fetch the memberships once.
    prefetch_related_objects([user], "memberships")
    my_slots = workflow.slot_codes_for(user, plan)
    submissions = list(Submission.objects.filter(plan=plan).select_related("submitted_by").order_by("-version"))
    latest = submissions[0] if submissions else None
    decisions = {
        r.submission_id: r
        for r in Review.objects.filter(submission__plan=plan, decided_at__isnull=False).select_related("outcome")
    }
    review = decided_review(latest)
    # Phases (the plan, then its planning update) when the round has them: what each submission was.
    phases = {
        p.pk: p for p in RoundPhase.objects.filter(round_id=plan.round_id).select_related("round").order_by("order")
    }
    first = next(iter(phases.values()), None)
    current = phases.get(plan.phase_id, first)
    following = next((p for p in phases.values() if current and p.order > current.order), None)
    transitions = {t.name for t in workflow.available(user, plan)}
    if following is None:
        transitions.discard("start_next_phase")
    slot_rows = [
        {
            "slot": slot,
            "signoff": signoffs.get(slot.pk),
            "can_sign": plan.status == Plan.Status.READY_FOR_SIGNOFF
            and slot.code in my_slots
            and slot.pk not in signoffs,
        }
        for slot in slots
    ]
    return {
        "slots_to_sign": [row for row in slot_rows if row["can_sign"]],
        "slots": slot_rows,
        "transitions": transitions,
        "phase": current,
        "next_phase": following,
        "deadline": current.effective_deadline if current else plan.round.final_deadline,
        "roles": workflow.roles_for(user, plan),
        "submissions": [
            {
                "submission": s,
                "review": decisions.get(s.pk),
                "phase": phases.get(s.phase_id, first),
                "days_late": days_late(
                    s.submitted_at,
                    phases.get(s.phase_id, first).effective_deadline if first else plan.round.final_deadline,
                ),
                "files": submission_files.progress(s),
            }
            for s in submissions
        ],
        "latest": latest,
        "review": review,
        "comments": section_comments(plan),
        "events": [
            _labelled(event)
            for event in PlanEvent.objects.filter(plan=plan)
            .select_related("actor")
            .order_by("-created_at", "-id")[:100]
        ],
    }


EVENT_LABELS = {
    **{name: t.label for name, t in workflow.TRANSITIONS.items()},
    "signed": "Signed",
    "signatures_voided": "Signatures removed",
    "transition_refused": "Refused",
    "kloes_rated": "Key lines of enquiry rated",
    "section_commented": "Comment on a section",
    "decide": "Outcome recorded",
    "submission_files_retried": "Submitted PDF and workbook asked for again",
}


def _status_label(status: str) -> str:
    return Plan.Status(status).label if status in Plan.Status.values else status


def _labelled(event: PlanEvent) -> PlanEvent:
    event.label = EVENT_LABELS.get(event.action, event.action.replace("_", " ").capitalize())
    event.from_label = _status_label(event.from_status)
    event.to_label = _status_label(event.to_status)
    return event


def section_comments(plan: Plan, section: Section | None = None) -> list[SectionComment]:
    """Assurers' comments on the plan's sections, for commissioners to act on."""
    comments = SectionComment.objects.filter(plan=plan).select_related("section", "author")
    if section is not None:
        comments = comments.filter(section=section)
    return list(comments.order_by("section__order", "created_at"))


def review_page(plan: Plan) -> dict:
    """The latest submission with its open (or decided) review, ratings by KLOE and the round's outcomes."""
    submission = Submission.objects.filter(plan=plan).select_related("submitted_by").order_by("-version").first()
    review = (
        Review.objects.filter(submission=submission).select_related("outcome").order_by("-created_at").first()
        if submission
        else None
    )
    ratings = {r.kloe_id: r for r in KloeRating.objects.filter(review=review)} if review is not None else {}
    kloes = list(plan.round.kloes.order_by("order"))
    return {
        "submission": submission,
        "review": review,
        "kloes": [{"kloe": k, "rating": ratings.get(k.pk)} for k in kloes],
        "outcomes": list(plan.round.outcomes.order_by("order")),
        "sections": list(plan_sections(plan).order_by("order")),
        "comments": section_comments(plan),
        "days_late": days_late(submission.submitted_at, plan.round.final_deadline) if submission else 0,
        "files": submission_files.progress(submission) if submission else None,
    }


def assurance_rows_key(rows: list[dict]) -> str:
    """A key for the dashboard's table rows: every value a row shows or links by (plans.fragments)."""
    return content_key(
        [
            (
                row["plan"].pk,
                row["plan"].status,
                row["plan"].round.slug,
                row["plan"].round.name,
                row["plan"].round.final_deadline,
                row["plan"].hwb_area.ons_code,
                row["plan"].hwb_area.name,
                row["plan"].group.name if row["plan"].group_id else None,
                row["submitted_at"],
                row["days_late"],
                row["own_area"],
                row["may_review"],
            )
            for row in rows
        ]
    )


def round_list() -> list[PlanningRound]:
    """Every round, the latest deadline first, with only what the dashboards show of it: reading
    each round's JSON labels and table columns cost the dashboards more than their plans."""
    return list(
        PlanningRound.objects.order_by("-final_deadline").only("slug", "name", "final_deadline", "config_version")
    )


def assurance_dashboard(user: User, *, round_slug: str = "", status: str = "") -> dict:
    """Submitted plans the user may assure (their region's; every region's for national admins)."""
    latest_submission = (
        Submission.objects.filter(plan=OuterRef("pk")).order_by("-submitted_at").values("submitted_at")[:1]
    )
    rounds = round_list()
    round_by_id = {r.pk: r for r in rounds}
    # Each plan's round comes from the rounds the page lists anyway, not from a join: building the
    # joined query and its objects cost more Python than the page's whole SQL.
    plans = (
        plans_for_user(user)
        .filter(status__in=ASSURER_VISIBLE_STATUSES)
        .select_related("hwb_area", "group")
        # The latest submission's time as a subquery: an aggregate would group by every selected column.
        .annotate(submitted_at=Subquery(latest_submission))
        .order_by("hwb_area__name")
    )
    if round_slug:
        plans = plans.filter(round_id__in=[r.pk for r in rounds if r.slug == round_slug])
    if status:
        plans = plans.filter(status=status)
    # A round set up since the rounds were read has no submitted plans yet; skipping one costs nothing.
    plans = [plan for plan in plans if plan.round_id in round_by_id]
    for plan in plans:
        Plan.round.field.set_cached_value(plan, round_by_id[plan.round_id])
    plans.sort(key=lambda p: p.round.final_deadline)  # stable: by area name within a round
    # The regions the user assures, from the memberships read once per request (accounts.permissions).
    assured = sorted(assured_region_ids(user))
    regions = list(Region.objects.filter(pk__in=assured).order_by("name")) if assured else []
    # An assurer does not review the plans of an area they hold a role in (plans.permissions).
    own_area_ids = area_ids_of(user, AREA_READER_ROLES)
    region_ids = {r.pk for r in regions}
    rows = [
        {
            "plan": p,
            "submitted_at": p.submitted_at,
            "days_late": days_late(p.submitted_at, p.round.final_deadline),
            "own_area": p.hwb_area_id in own_area_ids,
            "may_review": p.hwb_area.region_id in region_ids and p.hwb_area_id not in own_area_ids,
        }
        for p in plans
    ]
    # Every round's return periods as (key, name), in one query (a prefetch cost this page twice as much;
    # whole rows, with their JSON, twice as much again).
    periods = defaultdict(list)
    for round_id, key, name in ReturnPeriod.objects.order_by("order").values_list("round_id", "key", "name"):
        periods[round_id].append((key, name))
    return {
        "rows": rows,
        "rows_key": assurance_rows_key(rows),
        "rounds": rounds,
        # Each round that has return periods, with them: the page links to each period's roll-up of returns.
        "return_periods": [(r, periods[r.pk]) for r in rounds if periods[r.pk]],
        "statuses": [(s, Plan.Status(s).label) for s in ASSURER_VISIBLE_STATUSES],
        "regions": regions,
        "round_slug": round_slug,
        "status": status,
    }


def _bars(rows: list[dict], key: str) -> list[dict]:
    """Each row with its share of the largest value, for a CSS bar width (0-100)."""
    top = max((r[key] for r in rows), default=Decimal(0)) or Decimal(1)
    for r in rows:
        r["percent"] = int(round(r[key] / top * 100))
    return rows


# The sums are kept this long at most, in case a line is changed outside the plan workflow.
NATIONAL_MONEY_SECONDS = 600


def submitted_money(planning_round: PlanningRound) -> tuple[int, dict]:
    """How many plans are submitted, with their pooled budget by region and spend by scheme type.

    Adding up every submitted plan's lines is most of the national view's time (about 20 ms of SQL
    at 150 areas), and those lines cannot change while the plan stays submitted: changing them
    reopens it, which changes its status and, on resubmission, its version. So the sums are kept in
    the cache under a digest of the submitted plans' ids, versions, statuses, last saves and regions
    (an area moved to another region moves its money), and the round's configuration version.
    """
    visible = Plan.objects.filter(round=planning_round, status__in=ASSURER_VISIBLE_STATUSES)
    plans = list(visible.order_by("pk").values_list("pk", "version", "status", "updated_at", "hwb_area__region_id"))
    digest = hashlib.sha256(repr(plans).encode()).hexdigest()
    # The round's configuration version changes with its code lists (a scheme type renamed).
    key = f"national-money:{planning_round.pk}:{planning_round.config_version}:{digest}"
    money = cache.get(key)
    if money is None:
        submitted = Q(plan__round=planning_round, plan__status__in=ASSURER_VISIBLE_STATUSES)
        money = {
            "pooled": {
                row["plan__hwb_area__region_id"]: row["total"]
                for row in IncomeLine.objects.filter(submitted)
                .values("plan__hwb_area__region_id")
                .annotate(total=Sum("amount"))
                .order_by()
            },
            "spend": [
                (row["line__scheme_type__label"], row["total"])
                for row in ExpenditureAmount.objects.filter(
                    line__plan__round=planning_round, line__plan__status__in=ASSURER_VISIBLE_STATUSES
                )
                .values("line__scheme_type__label")
                .annotate(total=Sum("amount"))
                .order_by("-total", "line__scheme_type__label")
            ],
        }
        cache.set(key, money, NATIONAL_MONEY_SECONDS)
    return len(plans), money


def national_dashboard(planning_round: PlanningRound) -> dict:
    """Plans by status and region; pooled budget by region and spend by scheme type of submitted plans."""
    plans = Plan.objects.filter(round=planning_round)
    regions = list(Region.objects.order_by("name"))
    counts = defaultdict(int)
    for row in plans.values("hwb_area__region_id", "status").annotate(n=Count("id")).order_by():
        counts[(row["hwb_area__region_id"], row["status"])] = row["n"]
    statuses = list(Plan.Status)
    by_region = [
        {
            "region": region,
            "counts": [counts[(region.pk, s)] for s in statuses],
            "total": sum(counts[(region.pk, s)] for s in statuses),
        }
        for region in regions
    ]
    status_totals = [sum(counts[(r.pk, s)] for r in regions) for s in statuses]

    submitted_plans, money = submitted_money(planning_round)
    pooled_rows = _bars(
        [{"label": r.name, "amount": money["pooled"][r.pk]} for r in regions if r.pk in money["pooled"]], "amount"
    )
    spend_rows = _bars([{"label": label, "amount": total} for label, total in money["spend"]], "amount")
    shown = [(r["region"].name, r["counts"], r["total"]) for r in by_region]
    return {
        "round": planning_round,
        # The table and the two charts are kept by what they show (plans.fragments): any change is a new key.
        "tables_key": content_key(statuses, shown, status_totals, submitted_plans, pooled_rows, spend_rows),
        "statuses": [s.label for s in statuses],
        "by_region": by_region,
        "status_totals": status_totals,
        "plan_total": sum(status_totals),
        "pooled_rows": pooled_rows,
        "pooled_total": sum((r["amount"] for r in pooled_rows), Decimal(0)),
        "spend_rows": spend_rows,
        "spend_total": sum((r["amount"] for r in spend_rows), Decimal(0)),
        "submitted_count": submitted_plans,
        # The round's return periods: the national pages link to each period's roll-up of returns.
        "return_periods": list(planning_round.return_periods.order_by("order").values_list("key", "name", "deadline")),
        "now": timezone.now(),
    }
