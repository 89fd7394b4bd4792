"""A plan with two phases for the phase tests: the plan, and a planning update against it.

The workflow cast's 2017-19 plan is given a planning update that asks for one section of its own
(pre-filled from the plan's vision) and the plan's expenditure.
"""

import datetime

from django.utils import timezone

from governance import services
from plans import services as plan_services
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry, OutcomeCategory, Section
from tests import factories as f
from tests.governance.conftest import submit


def add_update_phase(rnd, **phase):
    """The plan phase, and a planning update asking for its own section and the plan's expenditure."""
    f.RoundPhaseFactory(round=rnd, key="plan", name="Plan", order=1)
    update = f.RoundPhaseFactory(
        round=rnd,
        key="update-2024-25",
        name="2024/25 planning update",
        order=2,
        deadline=timezone.now() + datetime.timedelta(days=60),
        **phase,
    )
    vision = Section.objects.get(round=rnd, key="vision")
    own = f.SectionFactory(
        round=rnd, key="update", number="", heading="What has changed", order=40, phase=update, prefill_from=vision
    )
    f.QuestionFactory(section=own, key="vision", label="Vision", kind="narrative", order=1)
    f.QuestionFactory(section=own, key="changes", label="What has changed since the plan", kind="narrative", order=2)
    update.sections.set([own, Section.objects.get(round=rnd, key="expenditure")])
    return update


def approve(cast):
    ratings = {k.pk: ("met", "Clear evidence.") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved")
    services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome, summary="A sound plan.")
    cast.plan.refresh_from_db()


def approve_with_update_phase(cast):
    """The cast's plan submitted and approved, in a round whose next phase is the update; (cast, update, submission)."""
    update = add_update_phase(cast.plan.round)
    first = submit(cast)
    approve(cast)
    assert cast.plan.status == Plan.Status.APPROVED
    return cast, update, first


def fill_update(cast):
    """The commissioner writes what changed and marks the update's sections completed."""
    plan = cast.plan
    own = Section.objects.get(round=plan.round, key="update")
    answers = {a.question.key: a for a in plan.answers.filter(question__section=own).select_related("question")}
    plan_services.save_section(
        user=cast.commissioner,
        plan=plan,
        section=own,
        answers={
            "vision": plan_services.AnswerEdit(answers["vision"].text, answers["vision"].version),
            "changes": plan_services.AnswerEdit("Two more reablement teams from October."),
        },
        complete=True,
    )
    plan_services.complete_section(
        user=cast.commissioner, plan=plan, section=Section.objects.get(round=plan.round, key="expenditure")
    )
    plan.refresh_from_db()
