"""The Part 1 PDF's sign-off table says what the plan's sign-off page says (issue 14, item 14)."""

import html
import re

from django.urls import reverse

from accounts import models as am
from governance.pdf import render_plan_pdf
from plans import models as pm
from rounds import models as rm
from tests.governance.test_pdf import body_text, plain


def _web_organisations(client, plan: pm.Plan) -> dict[str, str]:
    """Slot title → the organisation the sign-off section page shows for it."""
    section = rm.Section.objects.get(round=plan.round, table=rm.Section.Table.SIGNOFF)
    page = client.get(
        reverse("plans:section", args=[plan.round.slug, plan.hwb_area.ons_code, section.key])
    ).content.decode()
    found = re.findall(
        r'<h2 class="govuk-heading-m">([^<]+)</h2>\s*<dl class="govuk-summary-list">\s*'
        r'<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Organisation</dt>'
        r'<dd class="govuk-summary-list__value">([^<]*)</dd>',
        page,
    )
    return {plain(title): plain(html.unescape(name)) for title, name in found}


def _pdf_rows(pdf: bytes, plan: pm.Plan) -> dict[str, str]:
    """Slot title → the text of its row in the PDF's sign-off table."""
    text = body_text(pdf, plan)
    titles = [slot.title for slot in plan.round.signoff_slots.order_by("order")]
    starts = [text.index(title) for title in titles]
    ends = [*starts[1:], starts[-1] + len(titles[-1]) + 200]
    return {title: text[start + len(title) : end] for title, start, end in zip(titles, starts, ends, strict=True)}


def test_pdf_signoff_table_shows_each_organisation_and_the_chairs_position_as_the_web_page_does(client, demo_data):
    # Bath's plan is not signed yet; Plymouth's is, by the board's chair too.
    for ons_code, viewer in (("E06000022", "viewer@bathnes.demo"), ("E06000026", "viewer@plymouth.demo")):
        client.force_login(am.User.objects.get(email=viewer))
        plan = pm.Plan.objects.select_related("round", "hwb_area").get(
            round__slug="2014-15", hwb_area__ons_code=ons_code
        )
        organisations = _web_organisations(client, plan)
        rows = _pdf_rows(render_plan_pdf(plan), plan)
        assert organisations.keys() == rows.keys()
        for title, organisation in organisations.items():
            assert organisation and organisation != "Not recorded", (plan, title)
            assert rows[title].startswith(f" {organisation} "), (plan, title, rows[title])
        chair = plan.round.signoff_slots.get(code="hwb_chair")
        assert not chair.has_position
        assert "Not required" not in rows[chair.title]
        assert "Chair of Health and Wellbeing Board" in rows[chair.title], rows[chair.title]
