"""The demo ships a submitted plan and one approved with conditions, reached through the portal's own workflow,
so the assurer's dashboard, the national view and progress page, the decision letter and versions have content."""

import pytest
from django.core.management import call_command

from accounts.models import User
from governance.models import PlanEvent, Submission
from plans.models import Plan

pytestmark = pytest.mark.django_db(transaction=True)

SOUTHAMPTON, BARKING = "E06000045", "E09000002"


def test_after_load_demo_the_assurers_and_the_national_admin_see_a_submitted_and_an_approved_plan(client, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "Demo workflow: Southampton (2014-15): signed off and submitted" in out
    assert "Demo workflow: Barking and Dagenham (2017-19): approved with conditions" in out

    submitted = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code=SOUTHAMPTON)
    approved = Plan.objects.get(round__slug="2017-19", hwb_area__ons_code=BARKING)
    assert submitted.status == Plan.Status.SUBMITTED
    assert approved.status == Plan.Status.APPROVED_WITH_CONDITIONS
    # Through the workflow: every signature, the submission with its files, the decision with conditions.
    for plan in (submitted, approved):
        submission = Submission.objects.get(plan=plan)
        assert submission.files_status == Submission.FilesStatus.DONE and submission.pdf and submission.workbook
        assert PlanEvent.objects.filter(plan=plan, action="submit").exists()
        assert plan.signoffs.filter(voided_at__isnull=True).count() == plan.round.signoff_slots.count()
    review = Submission.objects.get(plan=approved).reviews.get(decided_at__isnull=False)
    assert review.conditions.count() == 2

    client.force_login(User.objects.get(email="assurer.southeast@nhs.demo"))
    assert "Southampton" in client.get("/assurance/").content.decode()
    client.force_login(User.objects.get(email="assurer.london@nhs.demo"))
    page = client.get("/assurance/").content.decode()
    assert "Barking and Dagenham" in page and "Approved with conditions" in page

    # The one demo assurer of a first look sees both.
    client.force_login(User.objects.get(email="assurer@nhs.demo"))
    page = client.get("/assurance/").content.decode()
    assert "Southampton" in page and "Barking and Dagenham" in page and "Approved with conditions" in page

    client.force_login(User.objects.get(email="admin@bcf.demo"))
    page = client.get("/assurance/").content.decode()
    assert "Southampton" in page and "Barking and Dagenham" in page
    national = client.get("/national/?round=2017-19").content.decode()
    assert "1 submitted" in national
    progress = client.get("/national/rounds/2014-15/progress/").content.decode()
    assert "Southampton" in progress and "Submitted" in progress
    letter = client.get(f"/plans/2017-19/{BARKING}/governance/submissions/1/decision-letter.pdf")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    assert client.get(f"/plans/2017-19/{BARKING}/governance/versions/").status_code == 200

    # A second run moves nothing on.
    call_command("load_demo")
    assert Plan.objects.get(pk=submitted.pk).status == Plan.Status.SUBMITTED
    assert Submission.objects.filter(plan__in=[submitted, approved]).count() == 2
