"""A round's configuration is read once per process and never served after it changes."""

import pytest
from django.core.management import call_command

from rounds import models as rm
from rounds.config import bump_config_version, round_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_2014(shipped_rounds):
    return rm.PlanningRound.objects.get(slug="2014-15")


def test_an_unchanged_round_is_read_with_one_small_query(round_2014, django_assert_num_queries):
    first = round_config(round_2014.pk)
    with django_assert_num_queries(1):
        again = round_config(round_2014.pk)
    assert again is first
    assert [y.label for y in again.years] == ["2014/15", "2015/16"]
    assert again.codes["scheme_type"] and again.streams and again.conditions and again.ring_fences


def test_reloading_an_unchanged_fixture_keeps_the_cached_copy(round_2014):
    first = round_config(round_2014.pk)
    call_command("load_round", "--all", verbosity=0)
    assert round_config(round_2014.pk) is first


def test_an_edited_code_list_entry_is_seen_at_once(round_2014):
    entry = round_config(round_2014.pk).codes["scheme_type"][0]
    stored = rm.CodeListEntry.objects.get(pk=entry.pk)
    stored.label = "Renamed scheme type"
    stored.save()
    assert round_config(round_2014.pk).codes["scheme_type"][0].label == "Renamed scheme type"
    assert entry.label != "Renamed scheme type"  # the old copy was not modified in place


@pytest.mark.parametrize(
    "change",
    [
        "year",
        "stream",
        "metric",
        "condition",
        "question",
        "ring_fence",
        "deleted_ring_fence",
        "section",
        "section_question",
        "deleted_section_question",
    ],
)
def test_every_kind_of_configuration_change_gives_a_fresh_read(round_2014, change):
    before = round_config(round_2014.pk)
    if change == "year":
        rm.RoundYear.objects.create(round=round_2014, label="2016/17", order=3)
    elif change == "stream":
        stream = rm.FundingStream.objects.filter(round=round_2014).order_by("order").first()
        stream.name = "Renamed stream"
        stream.save()
    elif change == "metric":
        metric = rm.Metric.objects.filter(round=round_2014).order_by("order").first()
        metric.periods = [*metric.periods, "2016/17"]
        metric.save()
    elif change == "condition":
        condition = rm.NationalCondition.objects.filter(round=round_2014).order_by("number").first()
        condition.title = "Renamed condition"
        condition.save()
    elif change == "question":
        condition = rm.NationalCondition.objects.filter(round=round_2014).order_by("number").first()
        rm.ConditionQuestion.objects.create(condition=condition, prompt="A new question", order=99)
    elif change == "ring_fence":
        fence = rm.RingFence.objects.filter(round=round_2014).first()
        fence.name = "Renamed ring-fence"
        fence.save()
    elif change == "section":
        section = rm.Section.objects.filter(round=round_2014).order_by("order").first()
        section.heading = "Renamed section"
        section.save()
    elif change == "section_question":
        question = rm.Question.objects.filter(section__round=round_2014).order_by("section__order", "order").first()
        question.prompt = "Reworded prompt"
        question.save()
    elif change == "deleted_section_question":
        rm.Question.objects.filter(section__round=round_2014).order_by("section__order", "order").first().delete()
    else:
        rm.RingFence.objects.filter(round=round_2014).first().delete()

    after = round_config(round_2014.pk)
    assert after is not before
    fresh = {
        "year": lambda: [y.label for y in after.years][-1] == "2016/17",
        "stream": lambda: after.streams[0].name == "Renamed stream",
        "metric": lambda: after.metrics[0].periods[-1] == "2016/17",
        "condition": lambda: after.conditions[0].title == "Renamed condition",
        "question": lambda: list(after.conditions[0].questions.all())[-1].prompt == "A new question",
        "ring_fence": lambda: any(f.name == "Renamed ring-fence" for f in after.ring_fences),
        "deleted_ring_fence": lambda: len(after.ring_fences) == len(before.ring_fences) - 1,
        "section": lambda: after.sections[0].heading == "Renamed section",
        "section_question": lambda: _first_question(after).prompt == "Reworded prompt",
        "deleted_section_question": lambda: _first_question(after).pk != _first_question(before).pk,
    }
    assert fresh[change]()


def _first_question(config):
    return next(q for section in config.sections for q in section.questions.all())


def test_the_cached_sections_are_those_each_phase_asks_for_with_their_questions_in_order(shipped_rounds):
    for planning_round in rm.PlanningRound.objects.all():
        config = round_config(planning_round.pk)
        for phase_id in [None, *planning_round.phases.values_list("pk", flat=True)]:
            expected = list(rm.Section.objects.of_phase(planning_round.pk, phase_id).order_by("order"))
            cached = config.sections_of_phase(phase_id)
            assert [s.pk for s in cached] == [s.pk for s in expected]
            for section, stored in zip(cached, expected, strict=True):
                assert list(section.questions.all()) == list(stored.questions.order_by("order"))
                assert section.national_condition == stored.national_condition


def test_a_phase_given_another_section_gives_a_fresh_read(shipped_rounds):
    phase = rm.RoundPhase.objects.order_by("round", "order").last()
    before = round_config(phase.round_id)
    extra = rm.Section.objects.filter(round=phase.round).exclude(phases=phase).order_by("order").first()
    phase.sections.add(extra)
    assert extra.pk in {s.pk for s in round_config(phase.round_id).sections_of_phase(phase.pk)}
    assert extra.pk not in {s.pk for s in before.sections_of_phase(phase.pk)}


def test_other_rounds_keep_their_cached_copy(round_2014):
    other = rm.PlanningRound.objects.get(slug="2017-19")
    cached = round_config(other.pk)
    entry = rm.CodeListEntry.objects.filter(round=round_2014).first()
    entry.label = "Changed in 2014/15 only"
    entry.save()
    assert round_config(other.pk) is cached


@pytest.mark.parametrize("change", ["link", "unlink", "rename", "new_organisation_for_the_area"])
def test_a_change_to_an_areas_organisations_gives_every_round_a_fresh_read(round_2014, change):
    area = rm.HwbArea.objects.order_by("ons_code").first()
    other_round = rm.PlanningRound.objects.get(slug="2017-19")
    before, other_before = round_config(round_2014.pk), round_config(other_round.pk)
    organisation = rm.Organisation.objects.exclude(hwb_areas=area).order_by("name").first()
    if change == "link":
        area.organisations.add(organisation)
    elif change == "unlink":
        organisation = before.organisations[area.pk][0]
        rm.Organisation.objects.get(pk=organisation.pk).hwb_areas.remove(area)
    elif change == "rename":
        organisation = rm.Organisation.objects.get(pk=before.organisations[area.pk][0].pk)
        organisation.name = "Aardvark Health Partnership"
        organisation.save()
    else:
        organisation = rm.Organisation.objects.create(name="A new provider", kind="provider")
        organisation.hwb_areas.add(area)

    after, other_after = round_config(round_2014.pk), round_config(other_round.pk)
    assert after is not before and other_after is not other_before
    names = [o.name for o in after.organisations.get(area.pk, [])]
    assert names == sorted(names)
    # Only the organisations that exist in the round (an ICB's first round is 2023-25).
    assert names == list(area.organisations.valid_in(round_2014).order_by("name").values_list("name", flat=True))
    assert (organisation.name in names) == (change != "unlink")


def test_a_round_saved_from_an_earlier_copy_keeps_the_newer_version(round_2014):
    """An admin form holds the round read at the start of its request; saving it must not undo a bump."""
    stale = rm.PlanningRound.objects.get(pk=round_2014.pk)
    bump_config_version(round_2014.pk)
    newer = rm.PlanningRound.objects.get(pk=round_2014.pk).config_version

    stale.name = "Renamed round"
    stale.save()

    stored = rm.PlanningRound.objects.get(pk=round_2014.pk)
    assert (stored.name, stored.config_version) == ("Renamed round", newer)
