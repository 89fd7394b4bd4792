"""Who may export and import a return's workbook: its readers download it, its commissioners import it."""

import pytest

from monitoring.models import Return
from monitoring.selectors import return_content_hash
from tests.monitoring.conftest_wb import (
    FINANCE,
    build_return_cast,
    confirm_url,
    export_url,
    exported,
    import_url,
    upload,
    xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rc(db):
    return build_return_cast()


def changed_workbook(ret) -> bytes:
    wb = exported(ret)
    wb[FINANCE]["H2"] = 10
    return xlsx(wb)


def test_another_areas_commissioner_gets_404_for_export_and_import(rc, client):
    client.force_login(rc.cast.foreign_commissioner)
    before = return_content_hash(rc.ret)
    assert client.get(export_url(rc.ret)).status_code == 404
    assert client.get(import_url(rc.ret)).status_code == 404
    assert upload(client, rc.ret, changed_workbook(rc.ret)).status_code == 404
    assert client.post(confirm_url(rc.ret)).status_code == 404
    assert return_content_hash(rc.ret) == before


def test_a_viewer_can_export_but_not_import(rc, client):
    client.force_login(rc.cast.viewer)
    before = return_content_hash(rc.ret)
    assert client.get(export_url(rc.ret)).status_code == 200
    assert client.get(import_url(rc.ret)).status_code == 403
    assert upload(client, rc.ret, changed_workbook(rc.ret)).status_code == 403
    assert client.post(confirm_url(rc.ret)).status_code == 403
    assert return_content_hash(rc.ret) == before


def test_an_assurer_cannot_see_the_workbook_before_the_return_is_submitted(rc, client):
    client.force_login(rc.cast.assurer)
    assert client.get(export_url(rc.ret)).status_code == 404


def test_a_submitted_return_can_be_exported_but_not_imported(rc, client):
    Return.objects.filter(pk=rc.ret.pk).update(status=Return.Status.SUBMITTED)
    client.force_login(rc.commissioner)
    assert client.get(export_url(rc.ret)).status_code == 200
    assert upload(client, rc.ret, changed_workbook(rc.ret)).status_code == 403
    client.force_login(rc.cast.assurer)
    assert client.get(export_url(rc.ret)).status_code == 200


def test_anonymous_users_are_sent_to_sign_in(rc, client):
    response = client.get(export_url(rc.ret))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
