"""Each metric unit is worked out, checked and shown in its own way: on the metrics page, in the PDF,
in the Part 2 workbook and through its import, and in the national dataset (rounds.units)."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from finance import workbook
from finance.selectors import part_two_for_plan
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from governance.dataset import national_dataset
from governance.pdf import render_plan_pdf
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Plan
from rounds.units import UNITS, Measure
from tests import factories as f
from tests.finance.demo_plans import build_barking_and_dagenham, build_plymouth
from tests.governance.test_pdf import page_texts
from tests.recalculation import recalculate_with_libreoffice

KW = {"round_slug": "2017-19", "ons_code": "E09000002"}

# What a reader sees for each figure of the plan below, in its metric's own unit.
SHOWN = {
    "count baseline": "12,345",
    "count planned": "5,180",
    "rate baseline": "672.3 per 100,000",  # worked out: 130 / 19,337 × 100,000
    "rate planned": "1,234.5 per 100,000",
    "percentage baseline": "80.5%",  # worked out: 805 / 1,000 × 100 (once shown as "80500.0")
    "percentage planned": "82.0%",
    "days baseline": "4.2 days",  # worked out: 420 days / 100 people
    "days planned": "3.9 days",
    "local baseline": "64.5%",
}


def build_plan_in_every_unit():
    """B&D's 2017–19 plan (a count and a rate metric) with a percentage, a days and a local metric added."""
    plan, user = build_barking_and_dagenham()
    rnd = plan.round
    nel, residential = rnd.metrics.get(key="nel"), rnd.metrics.get(key="residential")
    reablement = f.MetricFactory(
        round=rnd,
        key="reablement",
        name="Still at home 91 days after discharge into reablement",
        unit="percentage",
        numerator="At home 91 days after discharge",
        denominator="Discharged into reablement (Oct–Dec)",
        polarity="higher",
        periods=["2017/18", "2018/19"],
        order=3,
    )
    delay = f.MetricFactory(
        round=rnd,
        key="delay",
        name="Average discharge delay",
        unit="days",
        polarity="lower",
        periods=["2017/18", "2018/19"],
        order=4,
    )
    count = f.MetricAmbitionFactory(plan=plan, metric=nel, baseline_value=Decimal(12345), baseline_period="2016/17")
    f.PlannedValueFactory(ambition=count, period="2017/18", value=Decimal(5180), order=0)
    rate = MetricAmbition.objects.get(plan=plan, metric=residential)
    rate.baseline_value = None  # worked out from 130 and 19,337
    rate.save()
    f.PlannedValueFactory(ambition=rate, period="2017/18", value=Decimal("1234.5"), order=0)
    percentage = f.MetricAmbitionFactory(
        plan=plan, metric=reablement, baseline_numerator=Decimal(805), baseline_denominator=Decimal(1000)
    )
    f.PlannedValueFactory(ambition=percentage, period="2017/18", value=Decimal(82), order=0)
    days = f.MetricAmbitionFactory(
        plan=plan, metric=delay, baseline_numerator=Decimal(420), baseline_denominator=Decimal(100)
    )
    f.PlannedValueFactory(ambition=days, period="2017/18", value=Decimal("3.9"), order=0)
    f.MetricAmbitionFactory(
        plan=plan, local_name="People who feel safe", local_unit="percentage", baseline_value=Decimal("64.5"), order=9
    )
    return Plan.objects.get(pk=plan.pk), user


@pytest.fixture
def unit_plan(db):
    return build_plan_in_every_unit()


def figures(plan) -> list[tuple]:
    """Every stored figure of the plan's metrics, to show nothing changed."""
    ambitions = MetricAmbition.objects.filter(plan=plan).order_by("pk")
    values = PlannedValue.objects.filter(ambition__plan=plan).order_by("pk")
    return [
        *ambitions.values_list(
            "pk", "version", "local_unit", "baseline_value", "baseline_numerator", "baseline_denominator"
        ),
        *values.values_list("pk", "period", "value", "numerator", "denominator"),
    ]


# --- The definitions ----------------------------------------------------------------------


def test_each_unit_is_worked_out_and_shown_its_own_way():
    rate, percentage, count, days = (Measure(UNITS[c], UNITS[c].decimal_places) for c in UNITS)
    assert rate.format(rate.compute(Decimal(240), Decimal(19440))) == "1,234.6 per 100,000"
    assert percentage.format(percentage.compute(Decimal(805), Decimal(1000))) == "80.5%"
    assert count.compute(Decimal(1234), None) == Decimal(1234) and count.format(Decimal(1234)) == "1,234"
    assert days.format(days.compute(Decimal(420), Decimal(100))) == "4.2 days"
    assert Measure(UNITS["percentage"], 2).format(Decimal("80.456")) == "80.46%"
    assert rate.number_format == '#,##0.0" per 100,000"'
    assert percentage.number_format == '#,##0.0"%"'
    assert count.number_format == "#,##0"
    assert days.number_format == '#,##0.0" days"'


def test_each_unit_refuses_what_cannot_be_true_in_its_own_words():
    percentage, count = Measure(UNITS["percentage"], 1), Measure(UNITS["count"], 0)
    (error,) = percentage.check(Decimal(101), None, None, what="2017/18")
    assert (error.field, error.message) == ("value", "Enter a percentage for 2017/18 of 100 or less")
    (error,) = percentage.check(None, Decimal(12), Decimal(10), what="the baseline")
    assert error.field == "numerator" and "a percentage cannot be more than 100" in error.message
    (error,) = percentage.check(Decimal(70), Decimal(805), Decimal(1000), what="the baseline")
    assert "(70.0%) does not match its numerator and denominator, which give 80.5%" in error.message
    assert percentage.check(Decimal("80.5"), Decimal(805), Decimal(1000), what="the baseline") == []
    (error,) = count.check(Decimal(5), None, Decimal(7), what="2017/18")
    assert error.message == "Leave the denominator for 2017/18 blank: a count has no denominator"
    (error,) = count.check(Decimal("5.5"), None, None, what="2017/18")
    assert error.message == "Enter a count for 2017/18 as a whole number"


# --- The metrics page and form ------------------------------------------------------------


def test_metrics_page_shows_each_figure_in_its_metrics_unit(unit_plan, client, django_assert_max_num_queries):
    plan, user = unit_plan
    client.force_login(user)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("metrics:ambitions", kwargs=KW))
    html = response.content.decode()
    for shown in SHOWN.values():
        assert shown in html, shown
    assert "80500" not in html
    assert "higher is better" in html and "lower is better" in html
    assert "numerator: At home 91 days after discharge" in html


def test_count_metric_form_asks_for_no_numerator_or_denominator(unit_plan, client):
    plan, user = unit_plan
    client.force_login(user)
    html = client.get(reverse("metrics:ambition", kwargs={**KW, "metric_key": "nel"})).content.decode()
    assert 'name="baseline_value"' in html and 'name="planned_0_value"' in html
    assert "denominator" not in html.lower().split("<form", 1)[1]
    html = client.get(reverse("metrics:ambition", kwargs={**KW, "metric_key": "reablement"})).content.decode()
    assert "Denominator (Discharged into reablement (Oct–Dec))" in html
    assert "Numerator (At home 91 days after discharge)" in html


def test_percentage_over_100_is_refused_and_nothing_saved(unit_plan, client):
    plan, user = unit_plan
    client.force_login(user)
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="reablement")
    before = figures(plan)
    response = client.post(
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "reablement"}),
        {
            "version": ambition.version,
            "baseline_numerator": "805",
            "baseline_denominator": "1000",
            "planned_0_value": "120",
            "planned_1_numerator": "900",
            "planned_1_denominator": "800",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a percentage for 2017/18 of 100 or less" in html
    assert "The numerator for 2018/19 is more than its denominator: a percentage cannot be more than 100" in html
    assert figures(plan) == before


def test_a_value_left_blank_is_worked_out_from_its_numerator_and_denominator(unit_plan, client):
    plan, user = unit_plan
    client.force_login(user)
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="delay")
    response = client.post(
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "delay"}),
        {
            "version": ambition.version,
            "baseline_numerator": "420",
            "baseline_denominator": "100",
            "planned_0_numerator": "380",
            "planned_0_denominator": "100",
            "planned_1_value": "9.9",
            "planned_1_numerator": "380",
            "planned_1_denominator": "100",
        },
    )
    assert response.status_code == 400  # 9.9 days is not 380 / 100
    assert "The value for 2018/19 (9.9 days) does not match its numerator and denominator, which give 3.8 days" in (
        response.content.decode()
    )
    response = client.post(
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "delay"}),
        {
            "version": ambition.version,
            "baseline_numerator": "420",
            "baseline_denominator": "100",
            "planned_0_numerator": "380",
            "planned_0_denominator": "100",
        },
    )
    assert response.status_code == 302
    html = client.get(reverse("metrics:ambitions", kwargs=KW)).content.decode()
    assert "3.8 days" in html and "-9.5%" in html  # 4.2 to 3.8 days


def test_local_metric_is_checked_in_the_unit_chosen_for_it(unit_plan, client):
    plan, user = unit_plan
    client.force_login(user)
    local = MetricAmbition.objects.get(plan=plan, metric__isnull=True)
    response = client.post(
        reverse("metrics:local_change", kwargs={**KW, "pk": local.pk}),
        {
            "version": local.version,
            "local_name": local.local_name,
            "local_unit": "count",
            "baseline_value": "3",
            "baseline_denominator": "9",
        },
    )
    assert response.status_code == 400
    assert "Leave the denominator for the baseline blank: a count has no denominator" in response.content.decode()
    response = client.post(
        reverse("metrics:local_change", kwargs={**KW, "pk": local.pk}),
        {
            "version": local.version,
            "local_name": local.local_name,
            "local_unit": "percentage",
            "baseline_value": "164.5",
        },
    )
    assert "Enter a percentage for the baseline of 100 or less" in response.content.decode()


# --- The PDF ------------------------------------------------------------------------------


def test_pdf_shows_each_figure_in_its_metrics_unit(unit_plan):
    plan, _ = unit_plan
    text = " ".join(" ".join(page_texts(render_plan_pdf(plan))).split())
    for shown in SHOWN.values():
        assert shown in text, shown
    assert "80500" not in text
    assert "Percentage; higher is better" in text and "Days; lower is better" in text


# --- The workbook and its import ----------------------------------------------------------


def metric_row(ws, name: str, kind: str) -> int:
    return next(
        r
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=2).value == name and ws.cell(row=r, column=4).value == kind
    )


def test_workbook_shows_each_unit_with_its_number_format_and_worked_out_value(unit_plan, tmp_path):
    plan, _ = unit_plan
    data = workbook.render_plan_workbook(plan)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Metrics"]
    assert ws["I1"].value == "Value from numerator and denominator"
    expected = {  # metric: (unit column, number format, baseline value cell, worked-out formula's factor)
        "Non-elective admissions": ("Count", "#,##0", 12345),
        "Permanent admissions of older people to residential care": (
            "Rate per 100,000 population",
            '#,##0.0" per 100,000"',
            None,
        ),
        "Still at home 91 days after discharge into reablement": ("Percentage", '#,##0.0"%"', None),
        "Average discharge delay": ("Days", '#,##0.0" days"', None),
        "People who feel safe": ("Percentage", '#,##0.0"%"', Decimal("64.5")),
    }
    for name, (unit, number_format, value) in expected.items():
        r = metric_row(ws, name, workbook.BASELINE)
        assert ws.cell(row=r, column=3).value == unit
        assert ws.cell(row=r, column=6).number_format == number_format
        assert ws.cell(row=r, column=9).number_format == number_format
        assert ws.cell(row=r, column=6).value == (None if value is None else value)
    r = metric_row(ws, "Still at home 91 days after discharge into reablement", workbook.BASELINE)
    assert ws.cell(row=r, column=9).value == f'=IF(AND(ISNUMBER(G{r}),ISNUMBER(H{r}),H{r}>0),G{r}/H{r}*100,"")'

    # As a user opening it sees it: each worked-out value and change, recalculated by LibreOffice.
    shown = recalculate_with_libreoffice(data, tmp_path)["Metrics"]

    def cell(name, kind, column):
        return shown.cell(row=metric_row(shown, name, kind), column=column).value

    assert cell("Still at home 91 days after discharge into reablement", workbook.BASELINE, 9) == pytest.approx(80.5)
    assert cell("Still at home 91 days after discharge into reablement", workbook.PLANNED, 10) == pytest.approx(
        (82 - 80.5) / 80.5 * 100
    )
    assert cell("Average discharge delay", workbook.BASELINE, 9) == pytest.approx(4.2)
    assert cell("Permanent admissions of older people to residential care", workbook.BASELINE, 9) == pytest.approx(
        130 / 19337 * 100000
    )


def test_workbook_round_trips_through_import_with_no_change_in_any_unit(unit_plan):
    plan, user = unit_plan
    before = figures(plan)
    history = MetricAmbition.history.count() + PlannedValue.history.count()
    data = workbook.render_plan_workbook(plan)
    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []
    assert apply_workbook_import(user=user, plan=plan, data=data) == []
    assert figures(plan) == before
    assert MetricAmbition.history.count() + PlannedValue.history.count() == history


def test_workbook_import_refuses_figures_that_do_not_fit_their_unit(unit_plan):
    plan, _ = unit_plan
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    ws = wb["Metrics"]
    percentage = metric_row(ws, "Still at home 91 days after discharge into reablement", workbook.PLANNED)
    ws.cell(row=percentage, column=6).value = 180
    count = metric_row(ws, "Non-elective admissions", workbook.PLANNED)
    ws.cell(row=count, column=8).value = 1000
    local = metric_row(ws, "People who feel safe", workbook.BASELINE)
    ws.cell(row=local, column=3).value = "Percent"
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(WorkbookRejected) as rejected:
        read_workbook(buffer.getvalue(), plan)
    errors = {(e.sheet, e.cell): e.message for e in rejected.value.errors}
    assert errors[("Metrics", f"F{percentage}")] == "Enter a percentage for 2017/18 of 100 or less"
    assert errors[("Metrics", f"H{count}")] == "Leave the denominator for 2017/18 blank: a count has no denominator"
    assert errors[("Metrics", f"C{local}")].startswith("Enter the local metric's unit as one of: Rate per 100,000")


def test_workbook_import_sets_a_local_metrics_unit_from_its_unit_cell(unit_plan):
    plan, user = unit_plan
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    ws = wb["Metrics"]
    r = ws.max_row + 1
    for c, value in enumerate([None, "Carers' breaks", "Count", workbook.BASELINE, "2016/17", 412], start=1):
        ws.cell(row=r, column=c).value = value
    buffer = io.BytesIO()
    wb.save(buffer)
    apply_workbook_import(user=user, plan=plan, data=buffer.getvalue())
    local = MetricAmbition.objects.get(plan=plan, local_name="Carers' breaks")
    assert local.local_unit == "count" and local.baseline_shown == "412"


# --- The national dataset -----------------------------------------------------------------


def test_national_dataset_gives_each_metric_its_unit_and_number_format(unit_plan):
    plan, _ = unit_plan
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    ws = openpyxl.load_workbook(io.BytesIO(national_dataset(plan.round)))["Metrics"]
    header = [c.value for c in ws[1]]
    rows = {
        (row[header.index("Metric")].value, row[header.index("Planned period")].value): row
        for row in ws.iter_rows(min_row=2)
    }
    baseline = rows[("Still at home 91 days after discharge into reablement", "2017/18")]
    assert baseline[header.index("Unit")].value == "Percentage"
    assert baseline[header.index("Baseline value")].value == pytest.approx(80.5)  # worked out
    assert baseline[header.index("Baseline value")].number_format == '#,##0.0"%"'
    assert baseline[header.index("Planned value")].number_format == '#,##0.0"%"'
    count = rows[("Non-elective admissions", "2017/18")]
    assert count[header.index("Planned value")].value == 5180
    assert count[header.index("Planned value")].number_format == "#,##0"


def test_other_areas_commissioner_cannot_see_the_figures(unit_plan, client):
    _, outsider = build_plymouth()
    client.force_login(outsider)
    response = client.get(reverse("metrics:ambitions", kwargs=KW))
    assert response.status_code == 404 and b"80.5%" not in response.content
