"""A round's phases in its file: the plan, then a planning update that lists the sections it asks for."""

import pytest

from plans.models import Plan
from plans.selectors import plan_for_task_list, plan_sections
from rounds import models as rm
from rounds.loader import LoadReport, RoundFixtureError, load_round
from tests.plans.test_rounds import TEST_ROUNDS

ROUND = TEST_ROUNDS / "2030-31.yaml"


def test_a_round_file_defines_its_phases_and_the_sections_each_asks_for(db):
    rnd = load_round(ROUND)

    plan_phase, update = rnd.phases.order_by("order")
    assert (plan_phase.key, plan_phase.name, plan_phase.deadline) == ("plan", "Plan", None)
    assert plan_phase.effective_deadline == rnd.final_deadline
    assert (update.key, update.name) == ("update-2031", "2031 planning update")
    assert update.opens_at.isoformat() == "2030-12-01T09:00:00+00:00"
    assert update.deadline.isoformat() == "2031-01-31T17:00:00+00:00"
    assert set(update.sections.values_list("key", flat=True)) == {"update-about", "money-out", "measures"}
    own = rnd.sections.get(key="update-about")
    assert (own.phase, own.prefill_from.key) == (update, "about")
    assert own.questions.get(key="pool").label == "Value of the BCNHF pool for the rest of the year"
    # The plan asks for every section but the update's own; the update for the ones it lists.
    assert "update-about" not in set(rm.Section.objects.of_phase(rnd.pk, None).values_list("key", flat=True))
    assert rm.Section.objects.of_phase(rnd.pk, None).count() == 10
    assert list(rm.Section.objects.of_phase(rnd.pk, update.pk).order_by("order").values_list("key", flat=True)) == [
        "money-out",
        "measures",
        "update-about",
    ]

    report = LoadReport()
    load_round(ROUND, report=report)
    assert (report.created, report.updated) == (0, 0)


def test_a_plan_starts_in_the_first_phase_and_its_task_list_is_that_phases(db):
    rnd = load_round(ROUND)
    plan = Plan.objects.create(round=rnd, hwb_area=rm.HwbArea.objects.get(ons_code="E06000026"))
    assert plan.phase is None
    task_list = plan_for_task_list(plan)
    assert task_list["total"] == 10 and task_list["phase"] is None
    assert task_list["deadline"] == rnd.final_deadline

    plan.phase = rnd.phases.get(key="update-2031")
    plan.save()
    task_list = plan_for_task_list(plan)
    keys = [item["section"].key for group in task_list["groups"] for item in group["items"]]
    assert keys == ["money-out", "measures", "update-about"]
    assert task_list["phase"].name == "2031 planning update"
    assert task_list["deadline"] == plan.phase.deadline


def test_a_round_without_phases_asks_every_plan_for_every_section(shipped_rounds):
    rnd = rm.PlanningRound.objects.get(slug="2014-15")
    assert not rnd.phases.exists()
    plan = Plan(round=rnd, hwb_area=rm.HwbArea.objects.get(ons_code="E06000026"))
    assert plan_sections(plan).count() == rnd.sections.count()
    assert rm.RoundPhase.objects.following(rnd.pk, None) is None


def _broken(tmp_path, old, new):
    text = ROUND.read_text()
    assert old in text, old
    path = tmp_path / "phases.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "sections: [update-about, money-out, measures]",
            "sections: [update-about, money-out, measurez]",
            r"line 18: phases \(update-2031\).sections: no section with key 'measurez'",
        ),
        ("- key: update-2031", "- key: plan", r"line 14: phases: 'plan' appears more than once"),
        (
            "sections: [update-about, money-out, measures]",
            "sections: [money-out, measures]",
            r"line \d+: sections \(update-about\).phase: the section belongs to phase 'update-2031', "
            r"but that phase's sections do not list it",
        ),
        (
            "    phase: update-2031\n",
            "    phase: update-2032\n",
            r"sections \(update-about\).phase: no later phase 'update-2032' \(expected one of: update-2031\)",
        ),
        (
            "    phase: update-2031\n",
            "    phase: plan\n",
            r"sections \(update-about\).phase: 'plan' is the first phase, the plan: leave 'phase:' out",
        ),
        (
            "  - {key: plan, name: Plan}",
            "  - {key: plan, name: Plan, sections: [about]}",
            r"line 13: phases\[0\] \(plan\).sections: the first phase is the plan",
        ),
        (
            "    deadline: 2031-01-31T17:00:00+00:00\n",
            "",
            r"line 14: phases\[1\] \(update-2031\): missing required key 'deadline'",
        ),
        (
            "    prefill_from: about\n",
            "    prefill_from: update-about\n",
            r"sections \(update-about\).prefill_from: no section of the plan with key 'update-about'",
        ),
        (
            "  - {key: plan, name: Plan}",
            "  - {key: plan, name: Plan, opens: soon}",
            r"line 13: phases\[0\] \(plan\).opens: 'soon' is not a date and time",
        ),
    ],
    ids=[
        "unknown-section",
        "duplicate-phase",
        "update-section-in-no-phase",
        "unknown-phase",
        "section-of-the-first-phase",
        "first-phase-lists-sections",
        "update-without-deadline",
        "prefill-from-not-a-plan-section",
        "bad-date",
    ],
)
def test_mistakes_in_phases_are_refused_with_file_line_and_key(tmp_path, db, old, new, expected):
    path = _broken(tmp_path, old, new)
    with pytest.raises(
        RoundFixtureError, match=rf"phases.yaml, {expected}" if expected.startswith("line") else expected
    ):
        load_round(path)
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_the_admin_lists_and_shows_a_rounds_phases(admin_client):
    rnd = load_round(ROUND)
    update = rnd.phases.get(key="update-2031")
    assert "2031 planning update" in admin_client.get("/admin/rounds/roundphase/").content.decode()
    page = admin_client.get(f"/admin/rounds/roundphase/{update.pk}/change/").content.decode()
    assert "update-2031" in page and "Money out" in page
