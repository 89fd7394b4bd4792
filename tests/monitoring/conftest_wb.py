"""An approved plan with a started return, and helpers to export, edit and upload its workbook (workbook tests)."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Return
from monitoring.selectors import return_content_hash
from monitoring.workbook import return_workbook_bytes
from rounds.models import ReturnPart, ReturnPeriod, ReturnQuestion, ReturnTemplate, RoundYear
from tests import factories as f
from tests.governance.conftest import submit
from tests.governance.phased_plans import approve
from tests.governance.workflow_plans import Cast, build_workflow_plan

FINANCE = "Income and expenditure"
CONDITIONS = "National conditions"
METRICS = "Metrics"
BUDGET = "Budget arrangements"
NARRATIVE = "Progress and variances"


def add_return_template(rnd) -> dict[str, ReturnPeriod]:
    """The 2017-19 fixture's quarterly template, in short: two periods and its five parts."""
    ReturnTemplate.objects.create(round=rnd, name="Quarterly reporting template", variance_percent=10)
    year = RoundYear.objects.get(round=rnd, label="2017/18")
    periods = {}
    for order, (key, name, share, end) in enumerate(
        [
            ("q1-2017-18", "Quarter 1 2017/18", 25, datetime.date(2017, 6, 30)),
            ("q2-2017-18", "Quarter 2 2017/18", 50, datetime.date(2017, 9, 30)),
        ],
        start=1,
    ):
        periods[key] = ReturnPeriod.objects.create(
            round=rnd,
            key=key,
            name=name,
            year=year,
            share_of_year=share,
            period_end=end,
            deadline=timezone.make_aware(datetime.datetime.combine(end, datetime.time(12))) + datetime.timedelta(20),
            metric_periods=[f"Q{order} 2017/18", "2017/18"],
            order=order,
        )
    budget = ReturnPart.objects.create(round=rnd, key="budget", title=BUDGET, order=1)
    ReturnQuestion.objects.create(
        part=budget, key="s75-in-place", kind="yes_no", prompt="Is the section 75 agreement in place?", order=1
    )
    ReturnPart.objects.create(round=rnd, key="conditions", title=CONDITIONS, reports_on="conditions", order=2)
    ReturnPart.objects.create(round=rnd, key="finance", title=FINANCE, reports_on="finance", order=3)
    ReturnPart.objects.create(round=rnd, key="metrics", title=METRICS, reports_on="metrics", order=4)
    narrative = ReturnPart.objects.create(round=rnd, key="narrative", title=NARRATIVE, order=5)
    ReturnQuestion.objects.create(
        part=narrative, key="progress", kind="narrative", prompt="Describe progress.", order=1
    )
    ReturnQuestion.objects.create(
        part=narrative, key="data-confirmed", kind="confirm", prompt="I confirm the figures are true.", order=2
    )
    for number, title in ((1, "Plans to be jointly agreed"), (2, "NHS contribution to social care maintained")):
        f.NationalConditionFactory(round=rnd, number=number, title=title)
    return periods


@dataclass
class ReturnCast:
    cast: Cast
    ret: Return
    periods: dict[str, ReturnPeriod]

    @property
    def commissioner(self):
        return self.cast.commissioner


def build_return_cast() -> ReturnCast:
    cast = build_workflow_plan()
    periods = add_return_template(cast.plan.round)
    submit(cast)
    approve(cast)
    ret = services.start_return(user=cast.commissioner, plan=cast.plan, period=periods["q1-2017-18"])
    return ReturnCast(cast, ret, periods)


def exported(ret: Return) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(return_workbook_bytes(ret)))


def xlsx(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def kwargs(ret: Return) -> dict:
    return {"round_slug": ret.plan.round.slug, "ons_code": ret.plan.hwb_area.ons_code, "period_key": ret.period.key}


def import_url(ret: Return) -> str:
    return reverse("monitoring:import", kwargs=kwargs(ret))


def confirm_url(ret: Return) -> str:
    return reverse("monitoring:import_confirm", kwargs=kwargs(ret))


def export_url(ret: Return) -> str:
    return reverse("monitoring:export", kwargs=kwargs(ret))


def upload(client, ret: Return, data: bytes, name: str = "return.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(import_url(ret), {"workbook": SimpleUploadedFile(name, data)})


def refused(client, ret: Return, data: bytes) -> list[str]:
    """Upload the workbook, assert it was refused and changed nothing; the errors as text."""
    before = return_content_hash(ret)
    response = upload(client, ret, data)
    assert response.status_code == 400, response.status_code
    assert "The workbook was not imported" in response.content.decode()
    ret.refresh_from_db()
    assert return_content_hash(ret) == before
    assert "return_import" not in client.session
    return [str(e) for e in response.context["errors"]]


def money(value) -> Decimal:
    return Decimal(str(value))
