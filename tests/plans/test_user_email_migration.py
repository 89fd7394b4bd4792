"""Migration 0004 normalises stored emails and refuses, naming them, accounts that would then clash."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db

BEFORE = [("plans", "0003_round_config_version")]
AFTER = [("plans", "0004_user_email_case_insensitive")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_emails_are_trimmed_and_lowered_by_the_migration():
    old_apps = migrate(BEFORE)
    OldUser = old_apps.get_model("plans", "User")
    pk = OldUser.objects.create(email=" Amy.Jones@Council.GOV.uk", password="!").pk
    new_apps = migrate(AFTER)
    assert new_apps.get_model("plans", "User").objects.get(pk=pk).email == "amy.jones@council.gov.uk"


def test_the_migration_stops_and_names_accounts_that_differ_only_in_case():
    old_apps = migrate(BEFORE)
    OldUser = old_apps.get_model("plans", "User")
    first = OldUser.objects.create(email="viewer@southampton.demo", password="!")
    second = OldUser.objects.create(email="Viewer@Southampton.demo", password="!")
    with pytest.raises(RuntimeError) as refusal:
        migrate(AFTER)
    message = str(refusal.value)
    assert f"user {first.pk} ('viewer@southampton.demo')" in message
    assert f"user {second.pk} ('Viewer@Southampton.demo')" in message
    assert "Merge them, or change one of each pair's address" in message
    # Nothing was changed: both accounts keep the address they had.
    assert set(OldUser.objects.values_list("email", flat=True)) >= {
        "viewer@southampton.demo",
        "Viewer@Southampton.demo",
    }
    OldUser.objects.filter(pk=second.pk).update(email="viewer2@southampton.demo")
    migrate(AFTER)
