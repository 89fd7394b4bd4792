"""Importing a Word plan in Chromium (issue 19): upload, place an unmatched paragraph, import.

The document is built by the test with python-docx in the 2025-26 national template's headings:
narrative sections, numbered lists (one typed from 2), a risk register table and a supporting
documents table. After the commissioner moves the one paragraph that matched nothing to the
carers question, the saved answers, risks and documents equal the document's content.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import Membership
from plans.models import Answer, RelatedDocument, Risk
from rounds.models import PlanningRound, Question
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import DEMO_PASSWORD, HwbAreaFactory, MembershipFactory, PlanFactory
from tests.plans.word_documents import APPROACH, DOCUMENT_ROWS, RISK_ROWS, UNPLACED, national_template_2025

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_commissioner_imports_a_word_plan_and_places_an_unmatched_paragraph(page, live_server, tmp_path):
    call_command("load_round", "2025-26", verbosity=0)
    plan = PlanFactory(round=PlanningRound.objects.get(slug="2025-26"), hwb_area=HwbAreaFactory(name="Wordshire"))
    commissioner = MembershipFactory(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER).user
    carers = Question.objects.get(section__round=plan.round, key="carers")
    document = tmp_path / "wordshire-bcf-plan.docx"
    document.write_bytes(national_template_2025())

    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/")
    page.get_by_role("link", name="Import from a Word document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from a Word document")
    assert_no_axe_violations(page, "word import upload")
    page.get_by_label("Upload your Word plan").set_input_files(str(document))
    page.get_by_role("button", name="Check the document").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check where each part of the document goes")
    expect(page.locator("#unmatched-count")).to_have_text("1 part matched nothing in this plan.")
    assert_no_axe_violations(page, "word import preview")
    stray = page.locator(".govuk-summary-card", has_text=UNPLACED)
    expect(stray).to_contain_text("Matched nothing")
    stray.locator("select").select_option(str(carers.pk))
    page.get_by_role("button", name="Import the document").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The Word document was imported")
    answers = dict(Answer.objects.filter(plan=plan).values_list("question__key", "text"))
    assert answers == {
        "approach": f"{APPROACH}\n\n1. Integrated neighbourhood teams\n2. One assessment for each person",
        "prevention": "Prevention is \\*\\*first\\*\\*.\n\n2. Falls prevention in every care home\n\n3. Social prescribing",
        "carers": f"Carers get a break through the respite service.\n\n{UNPLACED}",
    }
    risks = [
        [r.description, str(r.values["likelihood"]), str(r.values["impact"]), r.mitigating_actions, r.owner]
        for r in Risk.objects.filter(plan=plan).order_by("order")
    ]
    assert risks == RISK_ROWS
    documents = [[d.title, d.synopsis, d.url] for d in RelatedDocument.objects.filter(plan=plan)]
    assert documents == DOCUMENT_ROWS
