"""Importing a return workbook: the preview lists exactly the changed cells, confirm applies them all or nothing."""

from decimal import Decimal

import pytest

from monitoring import services
from monitoring.models import ReturnAnswer
from monitoring.selectors import return_content_hash
from tests.monitoring.conftest_wb import (
    BUDGET,
    CONDITIONS,
    FINANCE,
    METRICS,
    NARRATIVE,
    build_return_cast,
    confirm_url,
    exported,
    import_url,
    upload,
    xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rc(db):
    return build_return_cast()


def lines(ret):
    return list(ret.lines.order_by("kind", "order"))


def test_round_trip_preview_shows_exactly_the_two_changed_actuals_and_confirm_stores_them(
    rc, client, django_assert_max_num_queries
):
    first, second = lines(rc.ret)[:2]
    wb = exported(rc.ret)
    ws = wb[FINANCE]
    ws["H2"] = 1234.5
    ws["H3"] = 98765
    client.force_login(rc.commissioner)
    with django_assert_max_num_queries(40):
        response = upload(client, rc.ret, xlsx(wb))
    assert response.status_code == 200
    changes = response.context["changes"]
    assert [(c.sheet, c.cell, c.row, c.old, c.new) for c in changes] == [
        (FINANCE, "H2", first.label, "(blank)", "1,234.50"),
        (FINANCE, "H3", second.label, "(blank)", "98,765.00"),
    ]
    body = response.content.decode()
    assert "The workbook changes 2 cells of the return." in body

    response = client.post(confirm_url(rc.ret))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.actual, second.actual) == (Decimal("1234.50"), Decimal("98765.00"))
    assert first.version == 2 and second.version == 2
    assert "return_import" not in client.session


def test_an_unchanged_workbook_previews_no_changes_and_confirm_changes_nothing(rc, client):
    before = return_content_hash(rc.ret)
    client.force_login(rc.commissioner)
    response = upload(client, rc.ret, xlsx(exported(rc.ret)))
    assert response.status_code == 200
    assert response.context["changes"] == []
    assert "Importing it will change nothing" in response.content.decode()
    client.post(confirm_url(rc.ret))
    assert return_content_hash(rc.ret) == before
    assert not ReturnAnswer.objects.filter(ret=rc.ret).exists()


def test_every_kind_of_sheet_imports_conditions_metrics_and_answers(rc, client):
    wb = exported(rc.ret)
    wb[CONDITIONS]["E2"] = "No"
    wb[CONDITIONS]["F2"] = "31/12/2017"
    wb[CONDITIONS]["G2"] = "Agreement signed in December."
    wb[CONDITIONS]["E3"] = "yes"
    wb[METRICS]["G2"] = 512.25
    wb[METRICS]["H2"] = "No"
    wb[METRICS]["I2"] = "Winter pressures."
    wb[BUDGET]["D2"] = "Yes"
    wb[NARRATIVE]["F2"] = "Good progress."
    wb[NARRATIVE]["D3"] = "Yes"
    client.force_login(rc.commissioner)
    response = upload(client, rc.ret, xlsx(wb))
    assert response.status_code == 200, response.context.get("errors")
    cells = {(c.sheet, c.cell) for c in response.context["changes"]}
    assert cells == {
        (CONDITIONS, "E2"),
        (CONDITIONS, "F2"),
        (CONDITIONS, "G2"),
        (CONDITIONS, "E3"),
        (METRICS, "G2"),
        (METRICS, "H2"),
        (METRICS, "I2"),
        (BUDGET, "D2"),
        (NARRATIVE, "F2"),
        (NARRATIVE, "D3"),
    }
    assert client.post(confirm_url(rc.ret)).status_code == 302
    c1, c2 = rc.ret.conditions.order_by("number")
    assert (c1.met, str(c1.expected_date), c1.explanation) == (False, "2017-12-31", "Agreement signed in December.")
    assert c2.met is True
    metric = rc.ret.metrics.order_by("order").first()
    assert (metric.actual, metric.on_track, metric.reason) == (Decimal("512.25"), False, "Winter pressures.")
    answers = {a.question.key: a for a in ReturnAnswer.objects.filter(ret=rc.ret).select_related("question")}
    assert answers["s75-in-place"].yes is True
    assert answers["progress"].text == "Good progress."
    assert answers["data-confirmed"].yes is True


def test_an_edit_between_preview_and_confirm_fails_the_confirm_and_writes_nothing(rc, client):
    first, second = lines(rc.ret)[:2]
    wb = exported(rc.ret)
    wb[FINANCE]["H2"] = 1000
    client.force_login(rc.commissioner)
    assert upload(client, rc.ret, xlsx(wb)).status_code == 200
    # Someone else saves the second line (a row the workbook leaves as it was) after the preview.
    services.save_lines(
        user=rc.commissioner,
        ret=rc.ret,
        changes=[services.LineChange(second.pk, second.version, Decimal(5), None, "")],
    )
    before = return_content_hash(rc.ret)
    response = client.post(confirm_url(rc.ret))
    assert response.status_code == 409
    assert "Someone changed the return after you checked the workbook" in response.content.decode()
    assert return_content_hash(rc.ret) == before
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.actual is None and second.actual == Decimal(5)
    assert "return_import" not in client.session


def test_confirm_without_a_preview_asks_for_the_upload_again(rc, client):
    client.force_login(rc.commissioner)
    response = client.post(confirm_url(rc.ret))
    assert response.status_code == 302 and response["Location"] == import_url(rc.ret)


def test_the_upload_page_renders_within_a_query_bound(rc, client, django_assert_max_num_queries):
    client.force_login(rc.commissioner)
    with django_assert_max_num_queries(15):
        response = client.get(import_url(rc.ret))
    assert response.status_code == 200
    assert "Import a return workbook" in response.content.decode()


def test_a_workbook_exported_after_an_import_imports_again_with_no_changes(rc, client):
    wb = exported(rc.ret)
    wb[FINANCE]["H2"] = 1234.56
    wb[FINANCE]["K2"] = "=SUM(A1:A9) is text here"
    wb[CONDITIONS]["E2"] = "No"
    wb[CONDITIONS]["F2"] = "31/12/2017"
    wb[CONDITIONS]["G2"] = "Soon."
    wb[METRICS]["G2"] = 7.125
    wb[BUDGET]["D2"] = "No"
    wb[BUDGET]["E2"] = "01/04/2018"
    wb[BUDGET]["F2"] = "Being drafted."
    client.force_login(rc.commissioner)
    assert upload(client, rc.ret, xlsx(wb)).status_code == 200
    assert client.post(confirm_url(rc.ret)).status_code == 302
    line = lines(rc.ret)[0]
    assert line.explanation == "=SUM(A1:A9) is text here"
    # The new export holds real dates, pence and formula-like text: read back, they change nothing.
    again = exported(rc.ret)
    assert again[FINANCE]["K2"].data_type == "s"
    response = upload(client, rc.ret, xlsx(again))
    assert response.status_code == 200
    assert response.context["changes"] == []
