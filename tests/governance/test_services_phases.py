"""Round phases: an approved plan moves to its planning update, which is signed off, submitted and assured.

The cast's 2017-19 plan is given two phases: the plan, and a planning update that asks for one
section of its own (pre-filled from the plan's vision) and the plan's expenditure.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from governance import services
from governance.models import PlanEvent, Review, SignOff, Submission
from governance.snapshots import canonical_json, sha256_hex
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from plans.selectors import plan_sections
from rounds.models import Section
from tests.governance.conftest import sign_all, submit, submit_signed
from tests.governance.phased_plans import (
    add_update_phase,
    approve,
    approve_with_update_phase,
    approved_2023_25_plan,
    fill_update,
)

S = Plan.Status


@pytest.fixture
def approved(cast):
    return approve_with_update_phase(cast)


def test_an_approved_plan_moves_to_its_planning_update_as_a_new_draft_version(approved):
    cast, update, first = approved

    services.start_next_phase(user=cast.national_admin, plan=cast.plan)

    plan = Plan.objects.get(pk=cast.plan.pk)
    assert (plan.status, plan.version, plan.phase) == (S.DRAFT, 2, update)
    assert {s.key for s in plan_sections(plan)} == {"update", "expenditure"}
    # Pre-filled from the approved plan: the update's own section copies the vision, the expenditure is the plan's own.
    own = Section.objects.get(round=plan.round, key="update")
    assert plan.answers.get(question__section=own, question__key="vision").text == (
        "People in Barking and Dagenham live well at home."
    )
    assert not plan.answers.filter(question__section=own, question__key="changes").exists()
    progress = dict(SectionProgress.objects.filter(plan=plan).values_list("section__key", "status"))
    assert progress["expenditure"] == progress["update"] == SectionProgress.Status.IN_PROGRESS
    # The plan's signatures signed the approved plan, not the update.
    assert not SignOff.objects.filter(plan=plan, voided_at__isnull=True).exists()
    event = PlanEvent.objects.filter(plan=plan, action="start_next_phase").get()
    assert (event.actor, event.from_status, event.to_status) == (cast.national_admin, S.APPROVED, S.DRAFT)
    assert event.detail["phase"] == "update-2024-25"
    # The approved submission is untouched.
    kept = Submission.objects.get(pk=first.pk)
    assert (kept.version, kept.phase, kept.snapshot_sha256, kept.pdf_sha256) == (
        1,
        None,
        first.snapshot_sha256,
        first.pdf_sha256,
    )


def test_only_a_national_admin_moves_a_plan_to_its_update(approved):
    cast, _, _ = approved
    for user in (cast.commissioner, cast.assurer, cast.signatories["hwb"], cast.viewer, cast.foreign_commissioner):
        with pytest.raises(PermissionDenied):
            services.start_next_phase(user=user, plan=cast.plan)
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.phase) == (S.APPROVED, None)
    assert PlanEvent.objects.filter(plan=cast.plan, action="transition_refused").count() == 5


def test_a_plan_that_is_not_approved_does_not_move_to_its_update(cast):
    add_update_phase(cast.plan.round)
    with pytest.raises(PermissionDenied, match="while the plan is draft"):
        services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    submit(cast)
    with pytest.raises(PermissionDenied, match="while the plan is submitted"):
        services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.phase, cast.plan.version) == (S.SUBMITTED, None, 1)


def test_a_round_without_a_later_phase_has_nothing_to_move_to(cast):
    submit(cast)
    approve(cast)
    with pytest.raises(ValidationError, match="no later phase"):
        services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.version) == (S.APPROVED, 1)


def test_a_signature_of_the_update_is_void_after_an_edit_in_the_update(approved):
    cast, _, _ = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    fill_update(cast)
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast, slots=("hwb",))
    signature = SignOff.objects.get(plan=cast.plan, voided_at__isnull=True)
    assert signature.content_hash == services.plan_content_hash(cast.plan)

    own = Section.objects.get(round=cast.plan.round, key="update")
    changes = cast.plan.answers.get(question__section=own, question__key="changes")
    plan_services.save_section(
        user=cast.commissioner,
        plan=cast.plan,
        section=own,
        answers={"changes": plan_services.AnswerEdit("Three more reablement teams.", changes.version)},
    )

    cast.plan.refresh_from_db()
    signature.refresh_from_db()
    assert cast.plan.status == S.DRAFT and signature.voided_at is not None


def test_the_update_is_submitted_and_assured_and_both_submissions_are_kept(approved):
    cast, update, first = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    fill_update(cast)
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)

    second = submit_signed(cast)
    approve(cast)

    assert cast.plan.status == S.APPROVED
    assert (second.version, second.phase) == (2, update)
    assert second.files_status == Submission.FilesStatus.DONE
    assert second.snapshot["plan"]["phase_name"] == "2024/25 planning update"
    assert [s["key"] for s in second.snapshot["content"]["sections"]] == ["update", "expenditure"]
    assert second.snapshot["signoffs"] and all(
        s["content_hash"] == second.snapshot["content_hash"] for s in second.snapshot["signoffs"]
    )
    # Both submissions are there, each with its own files and hashes; the first exactly as it was approved.
    kept = {s.version: s for s in Submission.objects.filter(plan=cast.plan)}
    assert set(kept) == {1, 2}
    assert kept[1].snapshot == first.snapshot
    assert sha256_hex(canonical_json(kept[1].snapshot)) == first.snapshot_sha256
    assert "phase" not in kept[1].snapshot["plan"] or kept[1].snapshot["plan"]["phase"] == "plan"
    for submission in kept.values():
        with submission.pdf.open("rb") as pdf:
            assert sha256_hex(pdf.read()) == submission.pdf_sha256
    assert [
        r.submission.version for r in Review.objects.filter(submission__plan=cast.plan).order_by("submission__version")
    ] == [1, 2]


def test_the_update_is_late_after_its_own_deadline(approved):
    cast, update, _ = approved
    update.deadline = timezone.now() - datetime.timedelta(days=1)
    update.save()
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    fill_update(cast)
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    assert submit_signed(cast).is_late is True


def test_approved_plans_move_by_themselves_when_the_update_opens(approved):
    cast, update, _ = approved
    update.opens_at = timezone.now() + datetime.timedelta(days=1)
    update.save()
    assert services.open_due_phases() == []

    moved = services.open_due_phases(now=timezone.now() + datetime.timedelta(days=2))

    assert [p.pk for p in moved] == [cast.plan.pk]
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.phase) == (S.DRAFT, update)
    assert PlanEvent.objects.get(plan=cast.plan, action="start_next_phase").actor is None
    assert services.open_due_phases(now=timezone.now() + datetime.timedelta(days=2)) == []


def test_the_portal_opens_due_phases_daily(approved):
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    from governance import tasks

    migration = importlib.import_module("governance.migrations.0012_open_phases_schedule")
    migration.create(apps, None)
    migration.create(apps, None)
    task = PeriodicTask.objects.get(name="Open planning updates")
    assert (task.task, task.crontab.hour, str(task.crontab.timezone)) == (
        "governance.tasks.open_due_phases",
        "6",
        "Europe/London",
    )
    cast, update, _ = approved
    update.opens_at = timezone.now() - datetime.timedelta(hours=1)
    update.save()
    assert tasks.open_due_phases() == 1
    cast.plan.refresh_from_db()
    assert cast.plan.phase == update


def test_a_2023_25_plan_moves_to_its_2024_25_planning_update(db):
    cast, update = approved_2023_25_plan()
    assert update.name == "2024/25 planning update"

    services.start_next_phase(user=cast.national_admin, plan=cast.plan)

    plan = Plan.objects.get(pk=cast.plan.pk)
    assert (plan.status, plan.version, plan.phase) == (S.DRAFT, 2, update)
    assert [s.key for s in plan_sections(plan).order_by("order")] == [
        "update-changes",
        "update-cd",
        "p2-income",
        "p2-expenditure",
        "p2-metrics",
    ]
    changes = plan.answers.get(question__section__key="update-changes", question__key="summary")
    assert changes.text == "Home first: people stay well and independent at home."
    assert services.phase_deadline(plan) == update.deadline


def test_in_the_update_the_approved_plans_other_tables_stay_as_they_were(approved):
    """The update asks for the expenditure but not the income: an income change is refused, and writes nothing."""
    from decimal import Decimal

    from finance import services as finance_services
    from finance.models import IncomeLine

    cast, _, _ = approved
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)
    line = IncomeLine.objects.filter(plan=cast.plan).order_by("id").first()
    before = line.amount

    with pytest.raises(PermissionDenied, match="2024/25 planning update does not ask for this part of the plan"):
        finance_services.save_income_line(
            user=cast.commissioner,
            plan=cast.plan,
            line=line,
            version=line.version,
            funding_stream=line.funding_stream,
            organisation=line.organisation,
            year=line.year,
            amount=before + Decimal("1000.00"),
        )

    line.refresh_from_db()
    assert line.amount == before
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT


def test_the_updates_pdf_names_its_phase_and_shows_its_sections(approved):
    from governance.pdf import render_part1_html

    cast, _, _ = approved
    assert '<th scope="row">Phase</th><td>Plan</td>' in render_part1_html(cast.plan)
    services.start_next_phase(user=cast.national_admin, plan=cast.plan)

    html = render_part1_html(cast.plan)

    assert '<th scope="row">Phase</th><td>2024/25 planning update</td>' in html
    assert "What has changed" in html and "Vision for health and care services" not in html
