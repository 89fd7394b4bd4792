"""Check your answers grouped by the round's parts and headings, change links that come back, optional front matter."""

import re

import pytest
from django.urls import reverse

from governance.selectors import part1_document
from governance.services import incomplete_sections
from governance.snapshots import read_plan_snapshot
from plans.models import Answer, Plan, SectionProgress
from plans.selectors import check_answers, plan_for_task_list
from rounds.models import Section
from tests import factories as f
from tests.plans.authoring import build_round, plan_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    authoring = build_round()
    # Optional opening matter before everything else, as the 2023-25 and 2025-26 rounds have.
    foreword = f.SectionFactory(
        round=authoring.round, key="foreword", order=0, heading="Foreword", group_heading="About this plan"
    )
    foreword.front_matter = True
    foreword.save(update_fields=["front_matter"])
    f.QuestionFactory(section=foreword, key="foreword", label="Foreword", kind="narrative", order=1, required=False)
    authoring.sections["foreword"] = foreword
    # Income is on the national template's Part 2, as in the shipped rounds.
    Section.objects.filter(pk=authoring.sections["income"].pk).update(part=2)
    return authoring


def url(a, name, **kwargs):
    return reverse(name, kwargs={**plan_kwargs(a.plan), **kwargs})


def section_url(a, key):
    return url(a, "plans:section", section_key=key)


def _answer(a, section_key, text):
    question = a.sections[section_key].questions.get()
    return Answer.objects.create(plan=a.plan, question=question, text=text)


def test_check_answers_groups_sections_under_part_and_group_headings(client, a, django_assert_max_num_queries):
    client.force_login(a.commissioner)
    with django_assert_max_num_queries(18):
        html = client.get(url(a, "plans:check_answers")).content.decode()
    headings = re.findall(r'<h([23]) class="govuk-heading-[lms][^"]*" id="([^"]+)"', html)
    assert ("2", "part-1") in headings and ("2", "part-2") in headings and ("2", "part-1-group-1") in headings
    # Each group heading once, in template order, under its part: "a)" no longer repeats without context.
    group_titles = re.findall(r'<h2 class="govuk-heading-m app-check__group" id="[^"]+">([^<]+)</h2>', html)
    assert group_titles == ["1) PLAN DETAILS", "VISION AND SCHEMES", "2) NATIONAL CONDITIONS", "3) RISKS", "PART 2"]
    part_1, part_2 = html.index('id="part-1"'), html.index('id="part-2"')
    assert part_1 < html.index(">1) PLAN DETAILS<", part_1) < part_2 < html.index(">PART 2<", part_2)
    assert '<h3 class="govuk-heading-s" id="section-1a-heading">a) Summary of Plan' in html


def test_contents_list_links_to_every_part_group_and_section_anchor(client, a):
    client.force_login(a.commissioner)
    html = client.get(url(a, "plans:check_answers")).content.decode()
    start = html.index('id="contents-heading"')
    contents = html[start : html.index("</nav>", start)]
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert targets[:2] == ["part-1", "part-1-group-1"]
    for target in targets:
        assert f'id="{target}"' in html, target
    for key in ("1a", "1c", "vision-a", "2c", "3", "income"):
        assert f"section-{key}" in targets


def test_change_links_carry_next_check_to_section_pages_only(client, a):
    client.force_login(a.commissioner)
    html = client.get(url(a, "plans:check_answers")).content.decode()
    assert f'href="{section_url(a, "1c")}?next=check#id_q_provider_engagement"' in html
    assert f'href="{section_url(a, "2c")}?next=check"' in html
    # Income is another app's page, which does not read ?next: its link stays as it was.
    assert "?next=check" not in re.search(r'id="section-income".*?</section>', html, re.S).group(0)


def test_saving_after_change_returns_to_the_section_in_check_your_answers(client, a):
    client.force_login(a.commissioner)
    page = client.get(section_url(a, "1c") + "?next=check").content.decode()
    assert '<input type="hidden" name="next" value="check">' in page
    assert "Save and return to check your answers" in page
    back = url(a, "plans:check_answers") + "#section-1c"
    assert f'href="{back}"' in page
    data = {"q_provider_engagement": "Providers co-wrote it.", "v_q_provider_engagement": "0", "next": "check"}
    response = client.post(section_url(a, "1c"), {**data, "action": "continue"})
    assert response.status_code == 302 and response.url == back
    response = client.post(section_url(a, "1c"), {**data, "v_q_provider_engagement": "1", "action": "complete"})
    assert response.status_code == 302 and response.url == back
    response = client.post(section_url(a, "1c"), {**data, "v_q_provider_engagement": "2", "action": "draft"})
    assert response.status_code == 302 and response.url == section_url(a, "1c") + "?next=check"


@pytest.mark.parametrize("value", ["https://evil.example/", "//evil.example", "/plans/", "CHECK"])
def test_any_other_next_is_ignored(client, a, value):
    client.force_login(a.commissioner)
    page = client.get(section_url(a, "1c") + f"?next={value}").content.decode()
    assert 'name="next"' not in page and "evil" not in page
    data = {"q_provider_engagement": "Text", "v_q_provider_engagement": "0", "action": "continue", "next": value}
    response = client.post(section_url(a, "1c"), data)
    assert response.status_code == 302 and response.url == url(a, "plans:section", section_key="1e")


def test_front_matter_is_first_and_optional_in_the_task_list(a):
    task_list = plan_for_task_list(a.plan)
    first = task_list["groups"][0]
    assert first["heading"] == "About this plan"
    assert first["items"][0]["section"].key == "foreword" and first["items"][0]["label"] == "Optional"
    # The count is of the sections the plan must complete.
    assert task_list["total"] == 9


def test_front_matter_never_blocks_completion_or_sign_off(a):
    required = [s for s in a.sections.values() if s.key != "foreword" and s.table != Section.Table.SIGNOFF]
    for section in required:
        SectionProgress.objects.create(plan=a.plan, section=section, status="completed")
    assert incomplete_sections(a.plan) == []
    summary = check_answers(a.plan)
    assert summary["incomplete"] == [i for i in summary["incomplete"] if i["section"].key == "1b"]
    assert summary["required"] == 9


def test_front_matter_appears_in_check_answers_only_when_answered(client, a):
    client.force_login(a.commissioner)
    html = client.get(url(a, "plans:check_answers")).content.decode()
    assert 'id="section-foreword"' not in html and "About this plan" not in html
    _answer(a, "foreword", "Our chair introduces the plan.")
    html = client.get(url(a, "plans:check_answers")).content.decode()
    foreword = re.search(r'id="section-foreword".*?</section>', html, re.S).group(0)
    assert "Our chair introduces the plan." in foreword and "Optional" in foreword
    assert html.index("About this plan") < html.index("1) PLAN DETAILS", html.index('id="part-1"'))
    incomplete = html[html.index("Sections still to complete") : html.index("</ul>")]
    assert "Foreword" not in incomplete


def test_shipped_rounds_open_with_optional_front_matter(shipped_rounds):
    for slug in ("2023-25", "2025-26"):
        sections = list(Section.objects.filter(round__slug=slug).order_by("order"))
        front = [s.key for s in sections if s.front_matter]
        assert front == ["foreword", "introduction", "local-picture"]
        assert [s.key for s in sections[:3]] == front
        for section in sections[:3]:
            assert [(q.kind, q.required) for q in section.questions.all()] == [("narrative", False)]
    plan = f.PlanFactory(round=Section.objects.get(round__slug="2025-26", key="foreword").round)
    assert "foreword" not in {s.key for s in incomplete_sections(plan)}
    assert Plan.objects.filter(pk=plan.pk).exists()


def test_front_matter_is_in_the_part_1_pdf_only_when_answered(a):
    def keys():
        document = part1_document(read_plan_snapshot(a.plan))
        return [s["key"] for g in document["groups"] for s in g["sections"]]

    assert "foreword" not in keys()
    _answer(a, "foreword", "Our chair introduces the plan.")
    assert keys()[0] == "foreword"
