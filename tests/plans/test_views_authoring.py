"""The authoring pages: task list, section pages, tables, conflicts, history and check your answers."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from plans import services
from plans.models import Answer, Plan, RelatedDocument, Risk, SectionProgress
from rounds.config import round_config
from tests.plans.authoring import SECRET, build_round, plan_kwargs
from tests.plans.test_services_authoring import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    return build_round()


def url(a, name, plan=None, **kwargs):
    return reverse(name, kwargs={**plan_kwargs(plan or a.plan), **kwargs})


def section_url(a, key, plan=None):
    return url(a, "plans:section", plan, section_key=key)


def _status(a, key):
    progress = SectionProgress.objects.filter(plan=a.plan, section=a.sections[key]).first()
    return progress.status if progress else "not_started"


def _title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def test_task_list_links_every_section_in_order_with_status_and_count(client, a, django_assert_max_num_queries):
    SectionProgress.objects.create(plan=a.plan, section=a.sections["1a"], status="completed")
    client.force_login(a.commissioner)
    round_config(a.plan.round_id)  # read once per process and round version; measured warm
    with django_assert_max_num_queries(15):
        response = client.get(url(a, "plans:plan_overview"))
    html = response.content.decode()
    assert "1 of 9 sections completed" in html
    positions = [html.index(s.title) for s in sorted(a.sections.values(), key=lambda s: s.order)]
    assert positions == sorted(positions)
    assert section_url(a, "1c") in html
    assert section_url(a, "3") in html
    assert url(a, "plans:check_answers") in html


def test_section_page_renders_the_rounds_fields(client, a, django_assert_max_num_queries):
    client.force_login(a.commissioner)
    with django_assert_max_num_queries(24):
        response = client.get(section_url(a, "1a"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "1) PLAN DETAILS" in html and "a) Summary of Plan" in html
    assert "Guidance for Summary of Plan." in html
    assert 'data-autosave-form data-form-key="section:1a"' in html
    assert 'name="q_date_agreed_day"' in html and 'name="q_date_agreed_year"' in html
    assert 'class="govuk-input__prefix" aria-hidden="true">£' in html
    assert "Save and continue" in html and "Save as draft" in html and "Mark this section as completed" in html
    narrative = client.get(section_url(a, "1c")).content.decode()
    assert 'class="govuk-textarea app-markdown-input' in narrative and "data-markdown" in narrative


def test_save_as_draft_saves_and_stays(client, a):
    client.force_login(a.commissioner)
    response = client.post(
        section_url(a, "1c"),
        {"q_provider_engagement": "Providers co-wrote the plan.", "v_q_provider_engagement": "0", "action": "draft"},
    )
    assert response.status_code == 302 and response.url == section_url(a, "1c")
    assert Answer.objects.get(plan=a.plan).text == "Providers co-wrote the plan."
    assert _status(a, "1c") == "in_progress"


def test_save_and_continue_goes_to_the_next_section(client, a):
    client.force_login(a.commissioner)
    response = client.post(
        section_url(a, "1c"), {"q_provider_engagement": "Text", "v_q_provider_engagement": "0", "action": "continue"}
    )
    assert response.url == section_url(a, "1e")


def test_completing_with_missing_answers_shows_errors_and_keeps_the_typing(client, a):
    client.force_login(a.commissioner)
    response = client.post(
        section_url(a, "1a"),
        {
            "q_local_authority": "Torbay <Council>",
            "q_date_agreed_day": "31",
            "q_date_agreed_month": "2",
            "q_date_agreed_year": "2014",
            "q_total_pool": "-5",
            "action": "complete",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert _title(response).startswith("Error: ")
    assert "There is a problem" in html
    assert '<a href="#id_q_date_agreed">The date must be a real date' in html
    assert '<a href="#id_q_total_pool">Enter an amount of £0 or more</a>' in html
    assert 'aria-describedby=" id_q_total_pool-error"' in html or 'id_q_total_pool-error"' in html
    assert 'value="Torbay &lt;Council&gt;"' in html
    assert 'value="31"' in html and 'value="-5"' in html
    assert not Answer.objects.filter(plan=a.plan).exists()
    assert _status(a, "1a") == "not_started"


def test_completing_a_full_section_marks_it_completed(client, a):
    client.force_login(a.commissioner)
    response = client.post(
        section_url(a, "1a"),
        {
            "q_local_authority": "Torbay Council",
            "q_date_agreed_day": "27",
            "q_date_agreed_month": "3",
            "q_date_agreed_year": "2014",
            "q_total_pool": "£12,500,000.50",
            "action": "complete",
        },
    )
    assert response.status_code == 302
    assert _status(a, "1a") == "completed"
    assert str(Answer.objects.get(question__key="total_pool").money) == "12500000.50"
    assert Answer.objects.get(question__key="date_agreed").date == datetime.date(2014, 3, 27)


def test_national_condition_section_needs_a_target_date_when_in_progress(client, a):
    client.force_login(a.commissioner)
    cq1, cq2 = a.sections["2c"].national_condition.questions.order_by("order")
    page = client.get(section_url(a, "2c")).content.decode()
    assert "In progress" in page and f'data-aria-controls="conditional-id_c{cq1.pk}_status"' in page
    response = client.post(
        section_url(a, "2c"),
        {f"c{cq1.pk}_status": "in_progress", f"c{cq1.pk}_narrative": "Underway", "action": "draft"},
    )
    assert response.status_code == 400
    assert "Enter the date by when this condition will be met" in response.content.decode()
    response = client.post(
        section_url(a, "2c"),
        {
            f"c{cq1.pk}_status": "in_progress",
            f"c{cq1.pk}_target_date_day": "31",
            f"c{cq1.pk}_target_date_month": "3",
            f"c{cq1.pk}_target_date_year": "2015",
            f"c{cq1.pk}_narrative": "Underway",
            f"c{cq2.pk}_status": "yes",
            f"c{cq2.pk}_narrative": "Agreed",
            "action": "complete",
        },
    )
    assert response.status_code == 302
    assert _status(a, "2c") == "completed"


def test_conflict_page_shows_both_texts_and_keep_yours_saves_yours(client, a):
    client.force_login(a.commissioner)
    qid = a.sections["1c"].questions.get().pk
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=a.sections["1c"],
        answers={"provider_engagement": services.AnswerEdit("Their words")},
    )
    response = client.post(
        section_url(a, "1c"), {"q_provider_engagement": "My words", "v_q_provider_engagement": "0", "action": "draft"}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Their words" in html and "My words" in html and "Sam Colleague" in html
    # The merge box starts with their text; the user's text travels in the form.
    assert re.search(r'<textarea[^>]*name="q_provider_engagement"[^>]*>Their words</textarea>', html)
    yours = re.search(r'name="yours_json" value="([^"]*)"', html).group(1)
    response = client.post(section_url(a, "1c"), {"action": "keep_yours", "yours_json": yours.replace("&quot;", '"')})
    assert response.status_code == 302
    assert Answer.objects.get(question_id=qid).text == "My words"


def test_conflict_merge_saves_the_merged_text(client, a):
    client.force_login(a.commissioner)
    qid = a.sections["1c"].questions.get().pk
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=a.sections["1c"],
        answers={"provider_engagement": services.AnswerEdit("Theirs")},
    )
    client.post(
        section_url(a, "1c"), {"q_provider_engagement": "Mine", "v_q_provider_engagement": "0", "action": "draft"}
    )
    response = client.post(
        section_url(a, "1c"),
        {"q_provider_engagement": "Theirs and mine", "v_q_provider_engagement": "1", "action": "draft"},
    )
    assert response.status_code == 302
    answer = Answer.objects.get(question_id=qid)
    assert (answer.text, answer.version) == ("Theirs and mine", 2)


def test_history_page_shows_who_and_a_word_diff(client, a, django_assert_max_num_queries):
    services.save_section(
        user=a.commissioner,
        plan=a.plan,
        section=a.sections["1c"],
        answers={"provider_engagement": services.AnswerEdit("Providers were consulted")},
    )
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=a.sections["1c"],
        answers={"provider_engagement": services.AnswerEdit("Providers were fully involved <b>", 1)},
    )
    client.force_login(a.viewer)
    round_config(a.plan.round_id)  # read once per process and round version; measured warm
    with django_assert_max_num_queries(15):
        response = client.get(url(a, "plans:section_history", section_key="1c"))
    html = response.content.decode()
    assert "Sam Colleague" in html and "Alex Commissioner" in html
    assert '<del class="app-diff__del">consulted</del>' in html
    assert '<ins class="app-diff__ins">fully involved &lt;b&gt;</ins>' in html


def test_check_your_answers_lists_incomplete_sections_first(client, a, django_assert_max_num_queries):
    SectionProgress.objects.create(plan=a.plan, section=a.sections["1c"], status="completed")
    qid = a.sections["1c"].questions.get().pk
    Answer.objects.create(plan=a.plan, question_id=qid, text="## Engagement\n\n- workshops")
    client.force_login(a.commissioner)
    with django_assert_max_num_queries(17):
        response = client.get(url(a, "plans:check_answers"))
    html = response.content.decode()
    incomplete = html[
        html.index("Sections still to complete") : html.index("</ul>", html.index("Sections still to complete"))
    ]
    assert section_url(a, "1a") in incomplete and "a) Summary of Plan" in incomplete
    assert "c) Service provider engagement" not in incomplete
    # The answer sits under its section's h3 heading: its own "## Engagement" becomes an h4.
    assert "<h4>Engagement</h4>" in html and "<li>workshops</li>" in html


def test_viewer_can_read_but_not_edit(client, a):
    client.force_login(a.viewer)
    response = client.get(section_url(a, "1c"))
    assert response.status_code == 200
    assert "data-autosave-form" not in response.content.decode()
    assert client.post(section_url(a, "1c"), {"q_provider_engagement": "x", "action": "draft"}).status_code == 403
    assert client.get(url(a, "plans:risk_add")).status_code == 403
    assert not Answer.objects.exists()


def test_edit_refused_when_the_plan_is_not_a_draft(client, a):
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.SUBMITTED)
    client.force_login(a.commissioner)
    page = client.get(section_url(a, "1c")).content.decode()
    assert "data-autosave-form" not in page and "because the plan is submitted" in page
    assert client.post(section_url(a, "1c"), {"q_provider_engagement": "x", "action": "draft"}).status_code == 403
    assert client.post(section_url(a, "3"), {"action": "complete"}).status_code == 403


def test_risks_can_be_added_changed_and_removed(client, a, django_assert_max_num_queries):
    client.force_login(a.commissioner)
    page = client.get(url(a, "plans:risk_add")).content.decode()
    assert 'data-form-key="risk:new"' in page and "High" in page
    response = client.post(
        url(a, "plans:risk_add"),
        {
            "version": "0",
            "description": "Acute savings not realised",
            "rating": a.codes["risk_high"].pk,
            "mitigating_actions": "Monthly review",
            "owner": "CFO",
            "concerns_nhs_providers": "yes",
        },
    )
    assert response.status_code == 302 and response.url == section_url(a, "3")
    risk = Risk.objects.get()
    assert risk.values["concerns_nhs_providers"] and _status(a, "3") == "in_progress"
    round_config(a.plan.round_id)  # read once per process and round version; measured warm
    with django_assert_max_num_queries(17):
        table = client.get(section_url(a, "3")).content.decode()
    assert "Acute savings not realised" in table and url(a, "plans:risk_change", pk=risk.pk) in table
    response = client.post(
        url(a, "plans:risk_change", pk=risk.pk),
        {"version": "1", "description": "Changed", "rating": a.codes["risk_medium"].pk, "concerns_nhs_providers": "no"},
    )
    risk.refresh_from_db()
    assert (risk.description, risk.version, risk.values["concerns_nhs_providers"]) == ("Changed", 2, False)
    confirm = client.get(url(a, "plans:risk_remove", pk=risk.pk)).content.decode()
    assert "Are you sure you want to remove this risk?" in confirm
    client.post(url(a, "plans:risk_remove", pk=risk.pk), {"version": "2"})
    assert not Risk.objects.exists()
    client.post(section_url(a, "3"), {"action": "complete"})
    assert _status(a, "3") == "completed"


def test_risk_form_errors_are_tied_to_fields(client, a):
    client.force_login(a.commissioner)
    response = client.post(url(a, "plans:risk_add"), {"version": "0"})
    html = response.content.decode()
    assert response.status_code == 400 and _title(response).startswith("Error: ")
    assert '<a href="#id_description">Describe the risk</a>' in html
    assert '<a href="#id_rating">Select a risk rating</a>' in html
    assert 'aria-describedby=" id_description-error"' in html


def test_risk_conflict_page_keeps_both(client, a):
    risk = services.save_risk(
        user=a.colleague,
        plan=a.plan,
        risk_id=None,
        values={
            "description": "Base",
            "rating_id": a.codes["risk_high"].pk,
            "mitigating_actions": "",
            "owner": "",
            "values": {"concerns_nhs_providers": False},
        },
        version=0,
    )
    services.save_risk(
        user=a.colleague,
        plan=a.plan,
        risk_id=risk.pk,
        values={
            "description": "Their risk text",
            "rating_id": a.codes["risk_high"].pk,
            "mitigating_actions": "",
            "owner": "",
            "values": {"concerns_nhs_providers": False},
        },
        version=1,
    )
    client.force_login(a.commissioner)
    response = client.post(
        url(a, "plans:risk_change", pk=risk.pk),
        {
            "version": "1",
            "description": "My risk text",
            "rating": a.codes["risk_high"].pk,
            "concerns_nhs_providers": "no",
        },
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Their risk text" in html and "My risk text" in html


def test_documents_upload_and_download_as_attachment(client, a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(a.commissioner)
    response = client.post(
        url(a, "plans:document_add"),
        {
            "version": "0",
            "ref": "D1",
            "title": "Joint strategy",
            "synopsis": "Our JHWS",
            "url": "https://example.org/jhws",
            "upload": SimpleUploadedFile("strategy.pdf", PDF_BYTES, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    document = RelatedDocument.objects.get()
    table = client.get(section_url(a, "1e")).content.decode()
    download = url(a, "plans:document_download", pk=document.pk)
    assert download in table and "https://example.org/jhws" in table
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="strategy.pdf"')
    assert b"".join(response.streaming_content) == PDF_BYTES
    client.force_login(a.outsider)
    assert client.get(download).status_code == 404


def test_document_upload_refuses_a_renamed_html_file(client, a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(a.commissioner)
    response = client.post(
        url(a, "plans:document_add"),
        {
            "version": "0",
            "title": "Evil",
            "upload": SimpleUploadedFile(
                "evil.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert "The selected file must be a PDF, DOCX or XLSX" in response.content.decode()
    assert not RelatedDocument.objects.exists()


def test_signoff_section_shows_slots_and_can_be_completed(client, a):
    client.force_login(a.commissioner)
    html = client.get(section_url(a, "1b")).content.decode()
    assert "Signed on behalf of the Council" in html and "Torbay Council" in html and "Not signed yet" in html
    client.post(section_url(a, "1b"), {"action": "complete"})
    assert _status(a, "1b") == "completed"


def test_assurer_comment_is_shown_on_its_section(client, a):
    from governance.models import SectionComment  # the test may reach across layers

    SectionComment.objects.create(
        plan=a.plan, section=a.sections["1c"], author=a.colleague, text="Please add **dates**."
    )
    client.force_login(a.commissioner)
    html = client.get(section_url(a, "1c")).content.decode()
    assert "Comments from your assurer" in html and "<strong>dates</strong>" in html


def test_narrative_html_is_never_rendered_unescaped(client, a):
    qid = a.sections["1c"].questions.get().pk
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"
    Answer.objects.create(plan=a.plan, question_id=qid, text=payload)
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.SUBMITTED)
    client.force_login(a.commissioner)
    for page in (section_url(a, "1c"), url(a, "plans:check_answers")):
        html = client.get(page).content.decode()
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html and '<img src="x"' not in html
        assert 'href="javascript:' not in html


# --- Another area's commissioner sees nothing ---------------------------------------------


def _all_plan_urls(a, plan):
    risk = Risk.objects.create(plan=plan, description=SECRET, rating=a.codes["risk_high"])
    document = RelatedDocument.objects.create(plan=plan, title=SECRET, file="documents/x.pdf")
    urls = [url(a, "plans:plan_overview", plan), url(a, "plans:check_answers", plan)]
    for key in a.sections:
        urls.append(url(a, "plans:section", plan, section_key=key))
        urls.append(url(a, "plans:section_history", plan, section_key=key))
    urls += [
        url(a, "plans:risk_add", plan),
        url(a, "plans:risk_change", plan, pk=risk.pk),
        url(a, "plans:risk_remove", plan, pk=risk.pk),
        url(a, "plans:document_add", plan),
        url(a, "plans:document_change", plan, pk=document.pk),
        url(a, "plans:document_remove", plan, pk=document.pk),
        url(a, "plans:document_download", plan, pk=document.pk),
    ]
    return urls


def test_another_areas_commissioner_gets_404_and_sees_nothing_on_every_page(client, a):
    qid = a.sections["1c"].questions.get().pk
    Answer.objects.create(plan=a.plan, question_id=qid, text=SECRET)
    urls = _all_plan_urls(a, a.plan)
    client.force_login(a.outsider)
    for page in urls:
        for method in (client.get, client.post):
            response = method(page, {"action": "complete", "q_provider_engagement": "overwrite"})
            assert response.status_code in (403, 404), page
            assert SECRET not in response.content.decode(), page
    assert Answer.objects.get(question_id=qid).text == SECRET
    assert Risk.objects.filter(plan=a.plan).count() == 1
    assert RelatedDocument.objects.filter(plan=a.plan).count() == 1


def test_rows_of_another_plan_are_not_reachable_through_your_own_plan(client, a):
    """A commissioner cannot reach another area's risk by putting its id under their own plan's URL."""
    risk = Risk.objects.create(plan=a.other_plan, description=SECRET, rating=a.codes["risk_high"])
    client.force_login(a.commissioner)
    for name in ("plans:risk_change", "plans:risk_remove"):
        response = client.get(url(a, name, pk=risk.pk))
        assert response.status_code == 404 and SECRET not in response.content.decode()
    assert client.post(url(a, "plans:risk_remove", pk=risk.pk), {"version": "1"}).status_code == 404
    assert Risk.objects.filter(pk=risk.pk).exists()


def test_anonymous_users_are_sent_to_sign_in(client, a):
    response = client.get(section_url(a, "1c"))
    assert response.status_code == 302 and "/sign-in/" in response.url


def test_keep_their_version_keeps_theirs_for_the_clash_and_saves_your_other_changes(client, a):
    s1a = a.sections["1a"]
    services.save_section(
        user=a.colleague,
        plan=a.plan,
        section=s1a,
        answers={"date_agreed": services.AnswerEdit(datetime.date(2014, 3, 27))},
    )
    client.force_login(a.commissioner)
    response = client.post(
        section_url(a, "1a"),
        {
            "q_local_authority": "Torbay Council",
            "q_date_agreed_day": "1",
            "q_date_agreed_month": "4",
            "q_date_agreed_year": "2014",
            "action": "draft",
        },
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "27 March 2014" in html and "1 April 2014" in html
    # The merge form shows their date in the date boxes.
    assert 'name="q_date_agreed_day" type="text" inputmode="numeric" value="27"' in html
    theirs = re.search(r'name="theirs_json" value="([^"]*)"', html).group(1).replace("&quot;", '"')
    response = client.post(section_url(a, "1a"), {"action": "keep_theirs", "theirs_json": theirs})
    assert response.status_code == 302
    values = {ans.question.key: ans for ans in Answer.objects.filter(plan=a.plan).select_related("question")}
    assert values["date_agreed"].date == datetime.date(2014, 3, 27)
    assert values["local_authority"].text == "Torbay Council"


def test_section_page_reads_the_rounds_sections_and_questions_from_the_cached_configuration(client, a):
    """The section and its questions come from the round's cached configuration (rounds.config):
    the page reads only the plan's own rows, and still shows its status and comments (issue 21)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.models import SectionComment  # the test may reach across layers

    page = section_url(a, "1c")
    SectionProgress.objects.create(plan=a.plan, section=a.sections["1c"], status=SectionProgress.Status.IN_PROGRESS)
    client.force_login(a.commissioner)
    client.get(page)  # the signed-in user and the round's configuration, read once and then cached
    with CaptureQueriesContext(connection) as queries:
        html = client.get(page).content.decode()
    assert 'light-blue">In progress</strong>' in html and "Comments from your assurer" not in html
    main_tables = [q["sql"].split('"', 2)[1] for q in queries.captured_queries]
    assert "rounds_section" not in main_tables and "rounds_question" not in main_tables

    SectionComment.objects.create(plan=a.plan, section=a.sections["1c"], author=a.colleague, text="Add dates.")
    SectionProgress.objects.filter(plan=a.plan).update(status=SectionProgress.Status.COMPLETED)
    html = client.get(page).content.decode()
    assert "Comments from your assurer" in html and "Add dates." in html and 'green">Completed</strong>' in html
