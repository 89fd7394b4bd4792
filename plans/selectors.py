"""Reads for plan pages. Every plan a view shows is fetched through these, scoped to the user."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Membership, Plan, Section, SectionProgress, User

# Assurers see a plan only once it has been submitted to them.
ASSURER_VISIBLE_STATUSES = [
    Plan.Status.SUBMITTED,
    Plan.Status.IN_ASSURANCE,
    Plan.Status.APPROVED,
    Plan.Status.APPROVED_WITH_CONDITIONS,
    Plan.Status.NOT_APPROVED,
]
AREA_ROLES = [Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY, Membership.Role.VIEWER]


def is_national_admin(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.memberships.filter(role=Membership.Role.NATIONAL_ADMIN).exists()
    )


def plans_for_user(user: User) -> QuerySet[Plan]:
    """Every plan the user may read: their areas' plans, their region's submitted plans, or all."""
    if not user.is_authenticated:
        return Plan.objects.none()
    if is_national_admin(user):
        return Plan.objects.all()
    area_ids = user.memberships.filter(role__in=AREA_ROLES).values("hwb_area_id")
    region_ids = user.memberships.filter(role=Membership.Role.ASSURER).values("region_id")
    return Plan.objects.filter(
        Q(hwb_area_id__in=area_ids) | Q(hwb_area__region_id__in=region_ids, status__in=ASSURER_VISIBLE_STATUSES)
    )


def get_plan_for_user(user: User, *, round_slug: str, ons_code: str) -> Plan:
    """The one scoped getter for a plan: 404 for anything outside the user's reach."""
    try:
        return (
            plans_for_user(user)
            .select_related("round", "hwb_area__region")
            .get(round__slug=round_slug, hwb_area__ons_code=ons_code)
        )
    except Plan.DoesNotExist:
        raise Http404("No such plan") from None


# Editing a plan awaiting or holding signatures is allowed: the edit voids the signatures and
# returns it to Draft (governance.receivers). Submitted and later plans are read-only.
EDITABLE_STATUSES = [Plan.Status.DRAFT, Plan.Status.READY_FOR_SIGNOFF, Plan.Status.SIGNED_OFF]


def can_edit_plan(user: User, plan: Plan) -> bool:
    """Commissioners of the plan's area edit it until it is submitted."""
    return (
        plan.status in EDITABLE_STATUSES
        and user.memberships.filter(role=Membership.Role.COMMISSIONER, hwb_area_id=plan.hwb_area_id).exists()
    )


def plan_list_for_user(user: User) -> list[Plan]:
    """The "Your plans" list with completed-section counts, in two queries."""
    return list(
        plans_for_user(user)
        .select_related("round", "hwb_area")
        .annotate(
            sections_total=Count("round__sections", distinct=True),
            sections_completed=Count(
                "section_progress",
                filter=Q(section_progress__status=SectionProgress.Status.COMPLETED),
                distinct=True,
            ),
        )
        .order_by("-round__final_deadline", "hwb_area__name")
    )


def plan_for_task_list(plan: Plan) -> dict:
    """Sections of the plan's round in template order, each with its status, grouped by heading."""
    sections = list(Section.objects.filter(round_id=plan.round_id).order_by("order"))
    statuses = dict(SectionProgress.objects.filter(plan=plan).values_list("section_id", "status"))
    groups: list[dict] = []
    completed = 0
    for section in sections:
        status = statuses.get(section.pk, SectionProgress.Status.NOT_STARTED)
        completed += status == SectionProgress.Status.COMPLETED
        heading = section.group_heading or section.heading
        if not groups or groups[-1]["heading"] != heading:
            groups.append({"heading": heading, "items": []})
        groups[-1]["items"].append(
            {"section": section, "status": status, "label": SectionProgress.Status(status).label}
        )
    return {"groups": groups, "completed": completed, "total": len(sections)}
