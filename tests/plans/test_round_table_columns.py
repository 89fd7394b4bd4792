"""The risk register's and the documents table's columns come from the round file (rounds.columns).

The made-up 2030-31 round scores risks likelihood x impact, with a choice column and a yes/no column of
its own and no rating: risks are entered on the web form, shown with their computed score on the page,
in the PDF and in the workbook, and come back through the workbook's import.
"""

import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from finance.selectors import part_two_for_plan
from finance.services import apply_workbook_import
from finance.workbook import workbook_bytes
from finance.workbook_import import WorkbookRejected
from governance.pdf import render_plan_pdf
from plans import models as pm
from rounds.loader import RoundFixtureError, load_round
from tests import factories as f
from tests.governance.test_pdf import body_text

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"

pytestmark = pytest.mark.django_db


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "2030-31.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "original, replacement, where, expected",
    [
        (
            'label: "Likelihood (1 rare to 5 almost certain)", kind: score',
            'label: "Likelihood (1 rare to 5 almost certain)", kind: stars',
            "risk_columns[2] (likelihood).kind",
            "'stars' is not a kind of risks column",
        ),
        (
            "kind: choice, code_list: risk_rating}",
            "kind: choice, code_list: risk_colour}",
            "risk_columns[1] (category).code_list",
            "no code list 'risk_colour' in this round's code_lists",
        ),
        (
            "of: [likelihood, impact]",
            "of: [likelihood, severity]",
            "risk_columns[4] (score).of",
            "refers to 'severity', which is not a column of this table",
        ),
        (
            "of: [likelihood, impact]",
            "of: [likelihood, owner]",
            "risk_columns[4] (score).of",
            "refers to 'owner', which is not a score column",
        ),
        (
            "{key: owner, heading: Owner, kind: text}",
            "{key: owner, heading: Owner, kind: narrative}",
            "risk_columns[6] (owner).kind",
            "'owner' is kept in the row's own field and must be text",
        ),
        (
            "{key: title, heading: Document, kind: text, required: true}",
            "{key: name, heading: Document, kind: text, required: true}",
            "document_columns",
            "the documents columns must include 'title'",
        ),
        (
            "{key: owner, heading: Owner, kind: text}",
            "{key: owner, heading: Owner, kind: text, colour: red}",
            "risk_columns[6].colour",
            "unknown key 'colour'",
        ),
    ],
    ids=[
        "unknown-kind",
        "unknown-code-list",
        "product-of-unknown-column",
        "product-of-text",
        "field-kind",
        "no-title",
        "unknown-key",
    ],
)
def test_a_mistake_in_the_columns_is_refused_with_file_line_and_key(tmp_path, original, replacement, where, expected):
    base = (TEST_ROUNDS / "2030-31.yaml").read_text()
    assert original in base
    broken = base.replace(original, replacement, 1)
    path = write(tmp_path, broken)
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if replacement in row)

    with pytest.raises(RoundFixtureError) as error:
        load_round(path)

    message = str(error.value)
    assert message.startswith(f"{path}, line ")
    assert f"{where}: " in message and expected in message
    if where != "document_columns":
        assert f"line {line}:" in message
    assert not pm.Plan.objects.exists()


def test_a_round_without_columns_gets_the_rows_own_fields(tmp_path):
    base = (TEST_ROUNDS / "2030-31.yaml").read_text()
    without = base[: base.index("# A register scored likelihood x impact")]
    rnd = load_round(write(tmp_path, without))
    assert [c.key for c in rnd.table_columns("risks")] == ["description", "rating", "mitigating_actions", "owner"]
    assert [c.key for c in rnd.table_columns("documents")] == ["ref", "title", "synopsis", "url", "file"]


def test_shipped_rounds_keep_their_column_titles_in_their_labels():
    rnd = load_round(Path("fixtures/rounds/2014-15.yaml"))
    risks = {c.key: c for c in rnd.table_columns("risks")}
    assert risks["mitigating_actions"].heading == rnd.labels["risks_column_actions"] == "Mitigating Actions"
    assert risks["concerns_nhs_providers"].kind == "yes_no" and risks["concerns_nhs_providers"].required
    documents = {c.key: c for c in rnd.table_columns("documents")}
    assert documents["synopsis"].heading == rnd.labels["documents_column_synopsis"]


@pytest.fixture
def scored(db):
    rnd = load_round(TEST_ROUNDS / "2030-31.yaml")
    area = f.HwbAreaFactory(ons_code="E06000026")
    plan = f.PlanFactory(round=rnd, hwb_area=area)
    commissioner = f.UserFactory()
    f.MembershipFactory(user=commissioner, hwb_area=area)
    return rnd, plan, commissioner


def _url(plan, name, **kwargs):
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})


def test_a_scored_risk_is_entered_and_its_score_shown_not_typed(client, scored):
    rnd, plan, commissioner = scored
    client.force_login(commissioner)
    form = client.get(_url(plan, "plans:risk_add")).content.decode()
    assert "Likelihood (1 rare to 5 almost certain)" in form and "Has this risk been escalated to the ICB?" in form
    assert 'name="score"' not in form and 'name="rating"' not in form  # computed, and no rating in this round

    refused = client.post(_url(plan, "plans:risk_add"), {"description": "Winter demand", "likelihood": "4"})
    assert refused.status_code == 400 and "Select impact" in refused.content.decode()

    amber = rnd.code_entries.get(list="risk_rating", code="amber")
    response = client.post(
        _url(plan, "plans:risk_add"),
        {
            "description": "Winter demand outstrips discharge capacity",
            "category": "amber",
            "likelihood": "4",
            "impact": "3",
            "mitigating_actions": "Surge beds agreed with the ICB.",
            "owner": "Director of Adult Social Care",
            "escalated": "yes",
        },
    )
    assert response.status_code == 302
    risk = pm.Risk.objects.get(plan=plan)
    assert risk.rating is None
    assert risk.values == {"category": "amber", "likelihood": 4, "impact": 3, "escalated": True}

    section = rnd.sections.get(table="risks")
    page = client.get(_url(plan, "plans:section", section_key=section.key)).content.decode()
    for heading in ("Likelihood", "Impact", "Risk score", "Escalated to the ICB"):
        assert f'<th scope="col" class="govuk-table__header">{heading}</th>' in page
    print(page[page.find("<table") : page.find("</table>")])
    assert '<td class="govuk-table__cell">12</td>' in page and amber.label in page

    text = body_text(render_plan_pdf(plan), plan)
    assert "Risk score" in text and "12" in text and "Winter demand outstrips discharge capacity" in text


def test_scored_risks_round_trip_through_the_workbook(scored):
    rnd, plan, commissioner = scored
    first = pm.Risk.objects.create(
        plan=plan, description="Winter demand", values={"likelihood": 4, "impact": 3, "escalated": True}, order=1
    )
    second = pm.Risk.objects.create(
        plan=plan, description="Workforce gaps", values={"likelihood": 2, "impact": 5, "category": "red"}, order=2
    )
    data = workbook_bytes(part_two_for_plan(plan))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Risks"]
    headings = [c.value for c in ws[1]]
    assert headings == [
        "Risk ID",
        "Risk",
        "Category",
        "Likelihood",
        "Impact",
        "Risk score",
        "Mitigations",
        "Owner",
        "Escalated to the ICB",
    ]
    assert [ws.cell(row=2, column=c).value for c in (1, 2, 3, 4, 5)] == [first.pk, "Winter demand", None, 4, 3]
    assert ws["F2"].value == '=IF(AND(ISNUMBER(D2),ISNUMBER(E2)),D2*E2,"")'  # shown, never typed
    assert ws["C3"].value == "Red" and ws["I2"].value == "Yes"

    # The unchanged workbook imports with no change.
    assert apply_workbook_import(user=commissioner, plan=plan, data=data) == []

    # Offline: the first risk is rescored, the second removed, a third added.
    ws["D2"] = 5
    ws.delete_rows(3)
    for column, value in zip(
        "BCDEGHI", ["Care market fragility", "Amber", 3, 3, "Fee review.", "Commissioning lead", "No"], strict=True
    ):
        ws[f"{column}3"] = value
    buffer = io.BytesIO()
    wb.save(buffer)

    changes = apply_workbook_import(user=commissioner, plan=plan, data=buffer.getvalue())

    assert {(c.kind, c.sheet) for c in changes} == {("changed", "Risks"), ("removed", "Risks"), ("added", "Risks")}
    risks = list(pm.Risk.objects.filter(plan=plan).order_by("order"))
    assert [(r.description, r.values) for r in risks] == [
        ("Winter demand", {"likelihood": 5, "impact": 3, "escalated": True}),
        ("Care market fragility", {"category": "amber", "likelihood": 3, "impact": 3, "escalated": False}),
    ]
    assert risks[1].mitigating_actions == "Fee review." and risks[1].owner == "Commissioning lead"
    assert risks[0].pk == first.pk and not pm.Risk.objects.filter(pk=second.pk).exists()


def test_a_score_out_of_range_in_the_workbook_is_refused_at_its_cell(scored):
    rnd, plan, commissioner = scored
    pm.Risk.objects.create(plan=plan, description="Winter demand", values={"likelihood": 4, "impact": 3})
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(part_two_for_plan(plan))))
    wb["Risks"]["D2"] = 9
    wb["Risks"]["C2"] = "Purple"
    buffer = io.BytesIO()
    wb.save(buffer)

    with pytest.raises(WorkbookRejected) as rejected:
        apply_workbook_import(user=commissioner, plan=plan, data=buffer.getvalue())

    errors = {(e.sheet, e.cell): e.message for e in rejected.value.errors}
    assert "from 1 to 5" in errors[("Risks", "D2")]
    assert "'Purple' is not a category" in errors[("Risks", "C2")]
    assert pm.Risk.objects.get(plan=plan).values == {"likelihood": 4, "impact": 3}


def test_document_columns_of_the_round_are_entered_and_shown(client, scored):
    rnd, plan, commissioner = scored
    # The made-up round lists no documents section; one is added so the table has a page and a place in the PDF.
    section = f.SectionFactory(round=rnd, key="evidence", heading="Evidence", table="documents", order=50)
    client.force_login(commissioner)
    form = client.get(_url(plan, "plans:document_add")).content.decode()
    assert "When was it published?" in form and 'name="ref"' not in form  # this round has no reference column
    response = client.post(
        _url(plan, "plans:document_add"),
        {"title": "Neighbourhood strategy", "synopsis": "Our plan.", "published_on": "March 2030", "url": ""},
    )
    assert response.status_code == 302
    document = pm.RelatedDocument.objects.get(plan=plan)
    assert document.values == {"published_on": "March 2030"}
    page = client.get(_url(plan, "plans:section", section_key=section.key)).content.decode()
    assert '<th scope="col" class="govuk-table__header">Published</th>' in page and "March 2030" in page
    text = body_text(render_plan_pdf(plan), plan)
    assert "Neighbourhood strategy" in text and "March 2030" in text


@pytest.mark.parametrize("slug", ["2023-25", "2025-26"])
def test_current_rounds_score_risks_likelihood_by_impact(slug):
    rnd = load_round(Path(f"fixtures/rounds/{slug}.yaml"))
    risks = {c.key: c for c in rnd.table_columns("risks")}
    assert risks["likelihood"].kind == risks["impact"].kind == "score"
    assert risks["score"].kind == "product" and risks["score"].of == ("likelihood", "impact")
    assert "rating" not in risks and "concerns_nhs_providers" not in risks
    assert [c.key for c in rnd.table_columns("documents")] == ["title", "synopsis", "url", "file"]
