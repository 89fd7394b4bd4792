"""One write path per table: finance writes schemes through schemes.services, inside the line's own
transaction and under the plan's lock (issue 15). Each test here failed before that."""

import io
import threading
import time
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse

from finance import services, workbook
from finance.models import ExpenditureLine, IncomeLine
from plans.models import Plan
from schemes.models import Scheme

KW = {"round_slug": "2017-19", "ons_code": "E09000002"}


@pytest.mark.django_db
def test_a_failed_line_save_leaves_no_scheme_behind(bd_plan, client):
    """A stale edit naming a new scheme is refused, and the scheme it named is not created either."""
    plan, user = bd_plan
    client.force_login(user)
    line = ExpenditureLine.objects.filter(plan=plan).first()
    opened = line.version
    ExpenditureLine.objects.filter(pk=line.pk).update(version=opened + 1)  # a colleague saved first
    schemes_before = set(Scheme.objects.filter(plan=plan).values_list("reference", flat=True))
    response = client.post(
        reverse("finance:expenditure_change", kwargs={**KW, "pk": line.pk}),
        {
            "scheme_reference": "BD99",
            "scheme_name": "A scheme typed with the stale line",
            "scheme_type": line.scheme_type_id,
            "area_of_spend": line.area_of_spend_id,
            "commissioner": line.commissioner_id,
            "provider": line.provider_id,
            "funding_stream": line.funding_stream_id,
            "is_new": "new",
            "version": opened,
        },
    )
    assert response.status_code == 409
    assert set(Scheme.objects.filter(plan=plan).values_list("reference", flat=True)) == schemes_before
    line.refresh_from_db()
    assert line.scheme.reference != "BD99"


@pytest.mark.django_db(transaction=True)
def test_a_line_cannot_be_written_after_a_concurrent_submission(bd_plan):
    """The permission check runs on the locked plan row: a save that waited for a submission's lock
    sees the plan as submitted, and writes nothing. Real PostgreSQL row locks, two connections."""
    plan, user = bd_plan
    organisation = IncomeLine.objects.filter(plan=plan).first().organisation
    used = set(IncomeLine.objects.filter(plan=plan).values_list("funding_stream_id", "organisation_id", "year_id"))
    stream, year = next(
        (stream, year)
        for stream in plan.round.funding_streams.all()
        for year in plan.round.years.all()
        if (stream.pk, organisation.pk, year.pk) not in used
    )
    plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)  # loaded while still a draft
    locked, done = threading.Event(), threading.Event()

    def submit_in_another_connection():
        try:
            with transaction.atomic():
                Plan.objects.select_for_update().get(pk=plan.pk)
                locked.set()
                time.sleep(1)  # the save below is now waiting for this lock
                Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
        finally:
            connection.close()
            done.set()

    submitter = threading.Thread(target=submit_in_another_connection)
    submitter.start()
    assert locked.wait(10)
    lines_before = IncomeLine.objects.filter(plan=plan).count()
    with pytest.raises(PermissionDenied):
        services.save_income_line(
            user=user,
            plan=plan,
            funding_stream=stream,
            organisation=organisation,
            year=year,
            amount=Decimal("12345"),
            note="written after the submission",
        )
    submitter.join(10)
    assert done.is_set()
    assert IncomeLine.objects.filter(plan=plan).count() == lines_before
    assert not IncomeLine.objects.filter(plan=plan, note="written after the submission").exists()


@pytest.mark.django_db
def test_workbook_import_matches_scheme_references_ignoring_case(bd_plan):
    """A workbook naming scheme "bd02" means the plan's scheme BD02, as the schemes page does."""
    plan, user = bd_plan
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    expenditure = wb["Expenditure"]
    row = next(r for r in range(1, expenditure.max_row + 1) if expenditure.cell(row=r, column=2).value == "BD02")
    line_id = expenditure.cell(row=row, column=1).value
    expenditure.cell(row=row, column=2).value = "bd02"
    expenditure.cell(row=row, column=13).value = 1_935_000  # and a figure changed, so the line is written
    buffer = io.BytesIO()
    wb.save(buffer)
    schemes_before = list(Scheme.objects.filter(plan=plan).order_by("pk").values_list("pk", "reference"))

    changes = services.apply_workbook_import(user=user, plan=plan, data=buffer.getvalue())

    assert changes
    assert list(Scheme.objects.filter(plan=plan).order_by("pk").values_list("pk", "reference")) == schemes_before
    line = ExpenditureLine.objects.get(pk=line_id)
    assert line.scheme.reference == "BD02"
    assert line.amounts.get(year__label="2018/19").amount == Decimal("1935000.00")
