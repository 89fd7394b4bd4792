"""The Django admin may correct a draft's content, never a plan's once it has left Draft (issue 15)."""

import pytest
from django.urls import reverse

from plans.models import Answer, Plan
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    return client


def _change(admin_client, answer, text):
    url = reverse("admin:plans_answer_change", args=[answer.pk])
    form = {"plan": answer.plan_id, "question": answer.question_id, "text": text, "version": answer.version}
    return admin_client.post(url, form)


@pytest.mark.parametrize("status", [Plan.Status.READY_FOR_SIGNOFF, Plan.Status.SIGNED_OFF, Plan.Status.SUBMITTED])
def test_content_of_a_plan_that_has_left_draft_is_read_only_in_the_admin(admin_client, status):
    answer = f.AnswerFactory(plan__status=status)
    page = admin_client.get(reverse("admin:plans_answer_change", args=[answer.pk])).content.decode()
    assert 'name="_save"' not in page  # shown, not offered for editing
    assert _change(admin_client, answer, "Changed behind the sign-off").status_code == 403
    delete = admin_client.post(reverse("admin:plans_answer_delete", args=[answer.pk]), {"post": "yes"})
    assert delete.status_code == 403
    answer.refresh_from_db()
    assert answer.text == "Partners agreed the plan at a joint workshop."


def test_a_drafts_content_may_be_corrected_in_the_admin_and_its_status_is_not_editable(admin_client):
    answer = f.AnswerFactory()
    before = answer.plan.updated_at
    assert _change(admin_client, answer, "Corrected by the national team").status_code == 302
    answer.refresh_from_db()
    assert answer.text == "Corrected by the national team"
    assert Plan.objects.get(pk=answer.plan_id).updated_at > before  # a content change like any other
    page = admin_client.get(reverse("admin:plans_plan_change", args=[answer.plan_id])).content.decode()
    assert 'name="status"' not in page  # the workflow moves only through its services
    assert Answer.history.filter(id=answer.pk).count() == 2
