"""The workflow pages: who sees what, and the steps through the forms."""

import datetime
import json
import math
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from finance.models import ExpenditureLine, IncomeLine
from finance.services import save_expenditure_line, save_income_line
from governance.models import KloeRating, PlanEvent, SectionComment, SignOff
from plans.models import Plan, SectionProgress
from plans.services import complete_section
from rounds.models import HwbArea, KeyLineOfEnquiry, OutcomeCategory, Region, Section
from tests.governance.conftest import submit

S = Plan.Status


TODAY = timezone.localdate()
DUE = TODAY + datetime.timedelta(days=90)  # a condition falls due after the decision


def _date_fields(name: str, date: datetime.date) -> dict[str, str]:
    return {f"{name}_day": str(date.day), f"{name}_month": str(date.month), f"{name}_year": str(date.year)}


def url(view, plan, **kwargs):
    return reverse(
        f"governance:{view}", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs}
    )


PLAN_PAGES = [
    ("plan_status", {}),
    ("review", {}),
    ("versions", {}),
    ("download", {"version": 1, "kind": "pdf"}),
    ("download", {"version": 1, "kind": "json"}),
    ("download", {"version": 1, "kind": "xlsx"}),
    ("decision_letter", {"version": 1}),
    ("submission_progress", {"version": 1}),
    ("sign", {"slot_code": "hwb"}),
    ("submit", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PLAN_PAGES)
def test_another_areas_commissioner_gets_404_on_every_plan_page(client, submitted, name, kwargs):
    cast, _ = submitted
    client.force_login(cast.foreign_commissioner)
    response = client.get(url(name, cast.plan, **kwargs))
    assert response.status_code == 404
    assert b"Barking" not in response.content


@pytest.mark.parametrize(("name", "kwargs"), PLAN_PAGES)
def test_another_regions_assurer_gets_404_on_every_plan_page(client, submitted, name, kwargs):
    cast, _ = submitted
    client.force_login(cast.foreign_assurer)
    response = client.get(url(name, cast.plan, **kwargs))
    assert response.status_code == 404
    assert b"Barking" not in response.content


def test_foreign_users_cannot_post_a_step(client, cast):
    for user in (cast.foreign_commissioner, cast.foreign_assurer):
        client.force_login(user)
        response = client.post(url("transition", cast.plan, name="send_for_signoff"))
        assert response.status_code == 404
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT


def test_assurer_does_not_see_a_draft_plan(client, cast):
    client.force_login(cast.assurer)
    assert client.get(url("plan_status", cast.plan)).status_code == 404


def test_another_regions_assurer_sees_none_of_the_plans_on_their_dashboard(client, submitted):
    cast, _ = submitted
    client.force_login(cast.foreign_assurer)
    response = client.get(reverse("governance:assurance_dashboard"))
    assert response.status_code == 200
    assert b"Barking" not in response.content


def test_commissioner_sends_for_signoff_and_signatory_signs_through_the_pages(client, cast):
    client.force_login(cast.commissioner)
    response = client.post(url("transition", cast.plan, name="send_for_signoff"), follow=True)
    assert "The plan has been sent for sign-off" in response.content.decode()
    chair = cast.signatories["hwb"]
    client.force_login(chair)
    page = client.get(url("plan_status", cast.plan)).content.decode()
    assert url("sign", cast.plan, slot_code="hwb") in page
    assert url("sign", cast.plan, slot_code="council") not in page
    # The form says which content it showed; the signature binds to that.
    shown = client.get(url("sign", cast.plan, slot_code="hwb")).context["form"]["content_hash"].value()
    response = client.post(
        url("sign", cast.plan, slot_code="hwb"),
        {
            "content_hash": shown,
            "signatory_name": "Cllr Maureen Worby",
            "position": "Chair",
            **_date_fields("signed_on", TODAY),
            "under_delegation": "yes",
            "delegating_body": "",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "Enter the body that delegated the sign-off" in body
    response = client.post(
        url("sign", cast.plan, slot_code="hwb"),
        {
            "content_hash": shown,
            "signatory_name": "Cllr Maureen Worby",
            "position": "Chair",
            **_date_fields("signed_on", TODAY),
            "under_delegation": "no",
        },
    )
    assert response.status_code == 302
    signoff = SignOff.objects.get(plan=cast.plan, slot__code="hwb")
    assert (signoff.signatory_name, signoff.signed_on) == ("Cllr Maureen Worby", TODAY)


def test_a_signatory_cannot_open_another_slots_form(client, cast):
    client.force_login(cast.signatories["hwb"])
    assert client.get(url("sign", cast.plan, slot_code="council")).status_code == 403


def test_submission_downloads_match_their_stored_hashes(client, submitted):
    import hashlib

    cast, submission = submitted
    client.force_login(cast.commissioner)
    for kind, digest in (("pdf", submission.pdf_sha256), ("xlsx", submission.workbook_sha256)):
        response = client.get(url("download", cast.plan, version=1, kind=kind))
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == digest
    response = client.get(url("download", cast.plan, version=1, kind="json"))
    assert hashlib.sha256(response.content).hexdigest() == submission.snapshot_sha256
    assert json.loads(response.content)["plan"]["ons_code"] == "E09000002"


def test_assurer_reviews_through_the_page_and_commissioner_sees_outcome_and_section_comment(
    client, submitted, django_assert_max_num_queries
):
    cast, _ = submitted
    client.force_login(cast.assurer)
    with django_assert_max_num_queries(30):
        assert client.get(url("review", cast.plan)).status_code == 200
    kloes = list(KeyLineOfEnquiry.objects.filter(round=cast.plan.round))
    data = {"action": "rate"}
    for kloe in kloes:
        data[f"rating_{kloe.pk}"] = "met"
        data[f"comment_{kloe.pk}"] = f"{kloe.code} is well evidenced."
    assert client.post(url("review", cast.plan), data).status_code == 302
    assert KloeRating.objects.filter(review__submission__plan=cast.plan).count() == len(kloes)
    vision = Section.objects.get(round=cast.plan.round, key="vision")
    client.post(
        url("review", cast.plan), {"action": "comment", "section": vision.pk, "text": "Say more about housing."}
    )
    assert SectionComment.objects.filter(plan=cast.plan, section=vision).exists()
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved-with-conditions")
    response = client.post(url("review", cast.plan), {"action": "decide", "outcome": outcome.pk, "summary": "Good."})
    assert "Enter at least one condition" in response.content.decode()
    response = client.post(
        url("review", cast.plan),
        {
            "action": "decide",
            "outcome": outcome.pk,
            "summary": "Good.",
            "condition_1": "Agree the DFG plan with housing",
            **_date_fields("condition_1_due", DUE),
        },
    )
    assert response.status_code == 302
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.APPROVED_WITH_CONDITIONS

    client.force_login(cast.commissioner)
    with django_assert_max_num_queries(25):
        page = client.get(url("plan_status", cast.plan)).content.decode()
    assert "Approved with conditions" in page
    assert "Agree the DFG plan with housing" in page and f"{DUE:%-d %B %Y}" in page
    assert "Say more about housing." in page
    letter = client.get(url("decision_letter", cast.plan, version=1))
    assert letter["Content-Type"] == "application/pdf" and letter.content.startswith(b"%PDF-")


def test_commissioner_cannot_open_the_review_page(client, submitted):
    cast, _ = submitted
    client.force_login(cast.commissioner)
    assert client.get(url("review", cast.plan)).status_code == 403


def test_versions_compare_section_by_section_and_line_by_line(client, submitted):
    from governance import services

    cast, _ = submitted
    services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Say more about the vision.")
    answer = cast.plan.answers.get(question__key="vision")
    answer.text = "People in Barking and Dagenham live well at home.\nAnd stay out of hospital."
    answer.save()
    submit(cast)
    client.force_login(cast.commissioner)
    page = client.get(url("versions", cast.plan) + "?from=1&to=2").content.decode()
    assert "Version 1 compared with version 2" in page
    assert "<ins>And stay out of hospital.</ins>" in page
    assert "Vision for health and care services" in page
    assert "Governance" not in page.split("Version 1 compared with version 2")[1]  # unchanged sections hidden


def test_submit_page_lists_what_blocks_submission(client, cast):
    from governance import services
    from tests.governance.conftest import sign_all
    from tests.governance.test_services_signatures_void import _change_expenditure_amount

    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    client.force_login(cast.commissioner)
    assert "Submit the plan" in client.get(url("submit", cast.plan)).content.decode()
    _change_expenditure_amount(cast)  # voids the signatures: the plan is back in draft
    page = client.get(url("submit", cast.plan)).content.decode()
    assert "It is draft" in page
    assert PlanEvent.objects.filter(plan=cast.plan, action="void_signatures").exists()


def test_assurance_dashboard_lists_region_plans_with_days_late_and_filters(client, submitted):
    cast, _ = submitted
    client.force_login(cast.assurer)
    page = client.get(reverse("governance:assurance_dashboard")).content.decode()
    assert "Barking and Dagenham" in page and "Submitted" in page
    page = client.get(reverse("governance:assurance_dashboard") + "?status=approved").content.decode()
    assert "Barking and Dagenham" not in page


def test_assurance_dashboard_dates_a_plan_by_its_latest_submission(client, submitted):
    """A resubmitted plan is dated, and counted late, by its latest submission (a subquery, issue 21)."""
    from governance.models import Submission

    cast, submission = submitted
    deadline = cast.plan.round.final_deadline
    latest = max(submission.submitted_at, deadline) + datetime.timedelta(days=4, hours=2)
    Submission.objects.create(
        plan=cast.plan,
        version=submission.version + 1,
        snapshot={},
        snapshot_sha256="0" * 64,
        submitted_by=cast.commissioner,
        submitted_at=latest,
    )
    client.force_login(cast.assurer)
    page = client.get(reverse("governance:assurance_dashboard")).content.decode()
    row = page.split("Barking and Dagenham", 1)[1].split("</tr>", 1)[0]
    shown = [f"{timezone.localtime(when):%-d %b %Y}" for when in (latest, submission.submitted_at)]
    assert shown[0] in row and shown[1] not in row
    late = math.ceil((latest - deadline).total_seconds() / 86400)  # part of a day counts as a whole one
    assert late >= 5 and f'govuk-tag--red">{late}</strong>' in row


def test_assurance_dashboard_rows_are_kept_by_what_they_show_so_a_change_by_any_path_is_shown(client, submitted):
    """The table's rows are kept per process by a hash of what they show (assurance_rows_key): a change
    that bypasses the services (a bulk update, an area renamed by the reference import) is still shown."""
    cast, _ = submitted
    client.force_login(cast.assurer)
    dashboard = reverse("governance:assurance_dashboard")
    assert "Barking and Dagenham" in client.get(dashboard).content.decode()
    HwbArea.objects.filter(pk=cast.plan.hwb_area_id).update(name="Barking & Dagenham (renamed)")
    Plan.objects.filter(pk=cast.plan.pk).update(status=S.APPROVED)
    row = client.get(dashboard).content.decode().split("Barking &amp; Dagenham (renamed)", 1)[1].split("</tr>", 1)[0]
    assert "Approved" in row and "Submitted" not in row
    # The assurer's link to review is gone once the plan is decided: it links to the plan's status page.
    assert url("review", cast.plan) not in row


def test_the_assurance_dashboard_does_not_send_an_assurer_to_review_their_own_areas_plan(client, submitted):
    from accounts.models import Membership

    cast, _ = submitted
    Membership.objects.create(user=cast.commissioner, role=Membership.Role.ASSURER, region=cast.plan.hwb_area.region)
    client.force_login(cast.commissioner)
    page = client.get(reverse("governance:assurance_dashboard")).content.decode()
    assert "Barking and Dagenham" in page
    assert "You have a role in this area, so another assurer reviews its plan" in page
    assert url("review", cast.plan) not in page and url("plan_status", cast.plan) in page
    assert "Review this plan" not in client.get(url("plan_status", cast.plan)).content.decode()


def test_national_pages_are_for_national_admins_only(client, submitted):
    cast, _ = submitted
    for user in (cast.commissioner, cast.assurer):
        client.force_login(user)
        assert client.get(reverse("governance:national_dashboard")).status_code == 403
        response = client.get(reverse("monitoring:national_dataset", kwargs={"round_slug": cast.plan.round.slug}))
        assert response.status_code == 403


def test_national_dashboard_shows_status_by_region_and_charts(client, submitted, django_assert_max_num_queries):
    cast, _ = submitted
    client.force_login(cast.national_admin)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("governance:national_dashboard") + f"?round={cast.plan.round.slug}").content.decode()
    assert "London" in page
    assert "£21,758,000" not in page  # the pooled budget is both years together
    assert "£45,994,000" in page  # 21,758,000 + 24,236,000
    assert "<svg" in page and "Intermediate Care Services" in page


def test_the_national_sums_follow_a_plan_returned_changed_and_resubmitted(client, submitted):
    """The national view keeps its sums in the cache: they must never outlive the plans they add up."""
    cast, _ = submitted
    national = reverse("governance:national_dashboard") + f"?round={cast.plan.round.slug}"
    client.force_login(cast.national_admin)
    client.get(reverse("plans:your_plans"))  # the signed-in user is read once, then cached (accounts.backends)
    with CaptureQueriesContext(connection) as first:
        assert "£45,994,000" in client.get(national).content.decode()
    with CaptureQueriesContext(connection) as again:
        assert "£45,994,000" in client.get(national).content.decode()
    assert len(again) == len(first) - 2  # the two sums came from the cache

    client.force_login(cast.assurer)
    client.post(url("review", cast.plan), {"action": "return", "comment": "Check the DFG figure."})
    client.force_login(cast.national_admin)
    assert "£45,994,000" not in client.get(national).content.decode()  # returned: no longer submitted

    # £1,000 more income from one stream, and £1,000 more spent from it, in the same year.
    cast.plan.refresh_from_db()
    line = IncomeLine.objects.filter(plan=cast.plan).order_by("pk").first()
    save_income_line(
        user=cast.commissioner,
        plan=cast.plan,
        line=line,
        version=line.version,
        funding_stream=line.funding_stream,
        organisation=line.organisation,
        year=line.year,
        amount=line.amount + 1000,
        note=line.note,
    )
    spend = (
        ExpenditureLine.objects.filter(plan=cast.plan, funding_stream=line.funding_stream, amounts__year=line.year)
        .select_related("scheme")
        .first()
    )
    amounts = {a.year: a.amount for a in spend.amounts.select_related("year")}
    amounts[line.year] += 1000
    save_expenditure_line(
        user=cast.commissioner,
        plan=cast.plan,
        line=spend,
        version=spend.version,
        scheme_reference=spend.scheme.reference,
        scheme_type=spend.scheme_type,
        sub_type=spend.sub_type,
        area_of_spend=spend.area_of_spend,
        commissioner=spend.commissioner,
        percent_nhs=spend.percent_nhs,
        percent_la=spend.percent_la,
        provider=spend.provider,
        funding_stream=spend.funding_stream,
        is_new=spend.is_new,
        amounts=amounts,
        outputs={a.year: a.planned_output for a in spend.amounts.select_related("year")},
    )
    for progress in SectionProgress.objects.filter(plan=cast.plan).exclude(status=SectionProgress.Status.COMPLETED):
        complete_section(user=cast.commissioner, plan=cast.plan, section=progress.section)
    submit(cast)
    client.force_login(cast.national_admin)
    assert "£45,995,000" in client.get(national).content.decode()


def test_the_national_sums_follow_an_area_moved_to_another_region(client, submitted):
    cast, _ = submitted
    national = reverse("governance:national_dashboard") + f"?round={cast.plan.round.slug}"
    client.force_login(cast.national_admin)
    before = client.get(national).context["pooled_rows"]
    north = Region.objects.create(name="North East and Yorkshire", code="Y63")
    HwbArea.objects.filter(pk=cast.plan.hwb_area_id).update(region=north)  # as the reference import does
    after = client.get(national).context["pooled_rows"]
    assert [r["amount"] for r in before] == [r["amount"] for r in after]
    assert [r["label"] for r in after] == ["North East and Yorkshire"] != [r["label"] for r in before]


def test_national_tables_are_kept_by_what_they_show_so_a_change_by_any_path_is_shown(client, submitted):
    """The status table and the charts are kept per process by a hash of what they show (tables_key):
    a region renamed, or a plan's status changed, outside the services is shown on the next page."""
    cast, _ = submitted
    national = reverse("governance:national_dashboard") + f"?round={cast.plan.round.slug}"
    client.force_login(cast.national_admin)
    assert "£45,994,000" in client.get(national).content.decode()
    Region.objects.filter(pk=cast.plan.hwb_area.region_id).update(name="London (renamed)")
    Plan.objects.filter(pk=cast.plan.pk).update(status=S.APPROVED)
    page = client.get(national).content.decode()
    table = page.split('id="status-by-region"', 1)[1].split("</table>", 1)[0]
    row = table.split("London (renamed)", 1)[1].split("</tr>", 1)[0]
    counts = [int(cell) for cell in re.findall(r'numeric">(\d+)</td>', row)]
    statuses = [label for label in re.findall(r'numeric">([^<]+)</th>', table) if label != "Total"]
    assert counts[statuses.index(S.APPROVED.label)] == 1 and counts[statuses.index(S.SUBMITTED.label)] == 0
    assert "£45,994,000" in page  # an approved plan's money still counts


def test_signing_a_plan_not_awaiting_signoff_redirects_with_a_message(client, cast):
    client.force_login(cast.signatories["hwb"])
    response = client.get(url("sign", cast.plan, slot_code="hwb"), follow=True)
    assert "not waiting for sign-off" in response.content.decode()
    assert not SignOff.objects.exists()


def test_assurer_returns_a_plan_and_commissioner_reopens_a_rejected_one_through_the_pages(client, submitted):
    cast, _ = submitted
    client.force_login(cast.assurer)
    response = client.post(url("review", cast.plan), {"action": "return", "comment": ""})
    assert "Enter what needs to change" in response.content.decode()
    response = client.post(url("review", cast.plan), {"action": "return", "comment": "Add the DFG plan."})
    assert response.status_code == 302
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.version) == (S.DRAFT, 2)

    submit(cast)
    client.force_login(cast.assurer)
    data = {"action": "rate"}
    for kloe in KeyLineOfEnquiry.objects.filter(round=cast.plan.round):
        data[f"rating_{kloe.pk}"] = "not_met"
    client.post(url("review", cast.plan), data)
    not_approved = OutcomeCategory.objects.get(round=cast.plan.round, code="not-approved")
    client.post(url("review", cast.plan), {"action": "decide", "outcome": not_approved.pk})
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.NOT_APPROVED

    client.force_login(cast.commissioner)
    page = client.get(url("plan_status", cast.plan)).content.decode()
    assert "Start a new version to resubmit" in page
    client.post(url("transition", cast.plan, name="reopen_for_resubmission"))
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.version) == (S.DRAFT, 3)


def test_an_assurer_cannot_comment_on_a_plan_before_it_is_submitted(cast):
    from django.core.exceptions import PermissionDenied

    from governance import services

    vision = Section.objects.get(round=cast.plan.round, key="vision")
    with pytest.raises(PermissionDenied):
        services.comment_on_section(user=cast.assurer, plan=cast.plan, section=vision, text="Too early.")
    assert not SectionComment.objects.exists()
    assert PlanEvent.objects.filter(action="transition_refused", actor=cast.assurer).exists()


def test_assurance_dashboard_costs_the_same_for_more_plans(
    client, submitted, django_assert_num_queries, django_assert_max_num_queries
):
    from tests import factories as f

    cast, _ = submitted
    client.force_login(cast.assurer)
    client.get(reverse("plans:your_plans"))  # the signed-in user is read once, then cached (accounts.backends)
    dashboard = reverse("governance:assurance_dashboard")
    with django_assert_max_num_queries(12) as one:
        client.get(dashboard)
    for i in range(4):
        area = f.HwbAreaFactory(ons_code=f"E0900010{i}", name=f"London area {i}", region=cast.plan.hwb_area.region)
        f.PlanFactory(round=cast.plan.round, hwb_area=area, status=S.SUBMITTED)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(dashboard).content.decode()
    assert "London area 3" in page


def test_assurance_dashboard_lists_plans_by_round_deadline_then_area_and_filters_by_round(db):
    """Each plan's round comes from the page's own list of rounds, not a join (issue 21): the order
    (earliest deadline first, then area name) and the round filter are as before."""
    from accounts.models import Membership
    from governance.dashboards import assurance_dashboard
    from tests import factories as f

    region = f.RegionFactory()
    now = timezone.now()
    later = f.PlanningRoundFactory(final_deadline=now + datetime.timedelta(days=60))
    earlier = f.PlanningRoundFactory(final_deadline=now + datetime.timedelta(days=10))
    areas = [f.HwbAreaFactory(name=name, region=region) for name in ("Wirral", "Bolton", "Merton")]
    for planning_round in (later, earlier):
        for area in areas:
            f.PlanFactory(round=planning_round, hwb_area=area, status=Plan.Status.SUBMITTED)
    f.PlanFactory(round=earlier, hwb_area=f.HwbAreaFactory(name="Aldershot", region=region))  # a draft: not listed
    assurer = f.UserFactory()
    Membership.objects.create(user=assurer, role=Membership.Role.ASSURER, region=region)

    listed = [(row["plan"].round.slug, row["plan"].hwb_area.name) for row in assurance_dashboard(assurer)["rows"]]
    names = ["Bolton", "Merton", "Wirral"]
    assert listed == [(earlier.slug, n) for n in names] + [(later.slug, n) for n in names]
    only_later = assurance_dashboard(assurer, round_slug=later.slug)["rows"]
    assert [(row["plan"].round.slug, row["plan"].hwb_area.name) for row in only_later] == [
        (later.slug, n) for n in names
    ]
    assert assurance_dashboard(assurer, round_slug="no-such-round")["rows"] == []
