"""Fixtures for the workflow tests: a complete plan, its people, and quick ways through the steps."""

import pytest
from django.test import TestCase
from django.utils import timezone

from governance import services
from governance.models import Submission
from tests.governance.workflow_plans import build_workflow_plan


@pytest.fixture
def cast(db):
    return build_workflow_plan()


def sign_all(cast, *, slots=("hwb", "council", "ccg")):
    for code in slots:
        user = cast.signatories[code]
        services.sign_plan(
            user=user,
            plan=cast.plan,
            slot_code=code,
            seen_content_hash=services.plan_content_hash(cast.plan),
            signature=services.Signature(
                signatory_name=user.full_name,
                position="Chair" if code == "hwb" else "Director",
                signed_on=timezone.localdate(),
            ),
        )
    cast.plan.refresh_from_db()


def submit_signed(cast):
    """Submit the signed-off plan; its files are rendered on commit, as in the app."""
    # The test's transaction never commits: run the on-commit hooks (notification, rendering) as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        submission = services.submit_plan(user=cast.commissioner, plan=cast.plan)
    cast.plan.refresh_from_db()
    return Submission.objects.get(pk=submission.pk)


def submit(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    return submit_signed(cast)


@pytest.fixture
def signed_plan(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    return cast


@pytest.fixture
def submitted(cast):
    return cast, submit(cast)
