"""An assurer's comment on a Part 2 section is on the page the task list links that section to (issue 14, item 15)."""

import pytest

from accounts.models import User
from governance.models import SectionComment
from plans.models import Plan
from plans.selectors import section_url
from rounds.models import Section

pytestmark = pytest.mark.django_db
PART_TWO_TABLES = [Section.Table.SCHEMES, Section.Table.INCOME, Section.Table.EXPENDITURE, Section.Table.METRICS]


def test_assurer_comments_on_part_two_sections_are_on_the_pages_the_task_list_links(demo_data, client):
    plan = Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code="E09000002")
    assurer = User.objects.get(email="assurer.london@nhs.demo")
    commissioner = User.objects.get(email="commissioner@barking-dagenham.demo")
    sections = {s.table: s for s in Section.objects.filter(round=plan.round, table__in=PART_TWO_TABLES)}
    assert set(sections) == set(PART_TWO_TABLES)
    for table, section in sections.items():
        SectionComment.objects.create(plan=plan, section=section, author=assurer, text=f"Assurer on **{table}**.")
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)

    for reader in (commissioner, assurer):
        client.force_login(reader)
        task_list = client.get(f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/").content.decode()
        for table, section in sections.items():
            link = section_url(plan, section)
            assert f'href="{link}"' in task_list
            html = client.get(link).content.decode()
            assert "Comments from your assurer" in html, (reader.email, link)
            assert f"Assurer on <strong>{table}</strong>." in html, (reader.email, link)
            # Each page shows the comments on its own section only.
            others = [t for t in sections if t != table]
            assert not any(f"Assurer on <strong>{t}</strong>." in html for t in others)
