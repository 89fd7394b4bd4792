"""The demo's 2014-15 plans in the states open data cares about: Plymouth approved, Bath and North East
Somerset approved with conditions, Southampton submitted and still in assurance; each submitted one
with a stored Part 1 PDF and, when decided, its assurer's review."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Membership, User
from governance.models import Review, Submission
from plans.models import Plan
from rounds.models import PlanningRound
from tests.factories import MembershipFactory

APPROVED_ONS, CONDITIONS_ONS, SUBMITTED_ONS = "E06000026", "E06000022", "E06000045"


def pdf_bytes(plan: Plan) -> bytes:
    return f"%PDF-1.4 Part 1 of {plan.hwb_area.name} v{plan.version}".encode()


def submit(plan: Plan, status: str, *, decided_at=None) -> Submission:
    """Put the plan in `status` with a submission of its version whose files are stored, as the workflow would."""
    Plan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    commissioner = plan.hwb_area.memberships.filter(role=Membership.Role.COMMISSIONER).first().user
    submission = Submission.objects.create(
        plan=plan,
        version=plan.version,
        snapshot={"area": plan.hwb_area.name},
        snapshot_sha256="0" * 64,
        pdf=ContentFile(pdf_bytes(plan), name="part1.pdf"),
        pdf_sha256="1" * 64,
        workbook=ContentFile(b"PK\x03\x04", name="part2.xlsx"),
        workbook_sha256="2" * 64,
        files_status=Submission.FilesStatus.DONE,
        submitted_by=commissioner,
        submitted_at=timezone.now() - timedelta(days=10),
    )
    if decided_at is not None:
        assurer = User.objects.filter(memberships__role=Membership.Role.ASSURER).first()
        Review.objects.create(
            submission=submission, assurer=assurer, summary="Assurer's private notes", decided_at=decided_at
        )
    return submission


@dataclass
class OpenRound:
    round: PlanningRound
    approved: Plan
    with_conditions: Plan
    submitted: Plan
    national_admin: User
    approved_at: object


@pytest.fixture
def open_round(demo_data):
    return build_open_round()


def build_open_round() -> OpenRound:
    """On the demo data (demo_data): the round's plans in the states above, and a national administrator."""
    planning_round = PlanningRound.objects.get(slug="2014-15")
    plans = {p.hwb_area.ons_code: p for p in Plan.objects.filter(round=planning_round).select_related("hwb_area")}
    approved_at = timezone.now() - timedelta(days=2)
    submit(plans[APPROVED_ONS], Plan.Status.APPROVED, decided_at=approved_at)
    submit(plans[CONDITIONS_ONS], Plan.Status.APPROVED_WITH_CONDITIONS, decided_at=approved_at)
    submit(plans[SUBMITTED_ONS], Plan.Status.IN_ASSURANCE)
    admin = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user
    for p in plans.values():
        p.refresh_from_db()
    return OpenRound(
        planning_round, plans[APPROVED_ONS], plans[CONDITIONS_ONS], plans[SUBMITTED_ONS], admin, approved_at
    )


def personal_data() -> list[str]:
    """Every user's name and email address: none may appear in anything public."""
    found = []
    for full_name, email in User.objects.values_list("full_name", "email"):
        found += [s for s in (full_name, email) if s]
    return found


def assert_no_personal_data(text: str) -> None:
    assert "@" not in text, "an email address (or an @) is in a public response"
    leaked = [s for s in personal_data() if s in text]
    assert not leaked, f"personal data in a public response: {leaked}"
