"""A round file's icb_allocations: amounts allocated to an ICB and shared by the HWB areas it serves
(reference data), with clear errors for an unknown organisation, one that is not an ICB, and an
unknown stream or year."""

from decimal import Decimal
from pathlib import Path

import pytest

from rounds import models as rm
from rounds.config import round_config
from rounds.loader import LoadReport, RoundFixtureError, load_reference, load_round

pytestmark = pytest.mark.django_db

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"
NEL_ICB = "NHS North East London Integrated Care Board"
NEL_AREAS = ["Barking and Dagenham", "Havering", "Redbridge"]
ICB_BLOCK = "icb_allocations:\n  QMF:\n    2030/31: {icb-core: 4500000}\n"


def round_file(tmp_path, extra: str = ICB_BLOCK, *, slug: str = "2030-31") -> Path:
    text = (TEST_ROUNDS / "2030-31.yaml").read_text().replace("slug: 2030-31", f"slug: {slug}", 1)
    path = tmp_path / f"{slug}.yaml"
    path.write_text(text + extra)
    return path


def test_icb_allocations_load_and_reload_without_changes(tmp_path):
    path = round_file(tmp_path)
    rnd = load_round(path)
    [allocation] = rm.IcbAllocation.objects.filter(round=rnd)
    assert allocation.organisation.name == NEL_ICB
    assert (allocation.year.label, allocation.funding_stream.key, allocation.amount) == (
        "2030/31",
        "icb-core",
        Decimal("4500000.00"),
    )
    report = LoadReport()
    load_round(path, report=report)
    assert (report.created, report.updated) == (0, 0)


@pytest.mark.parametrize(
    ("block", "where", "expected"),
    [
        ("  ZZZ:\n    2030/31: {icb-core: 1}\n", "icb_allocations.ZZZ", "no organisation with code 'ZZZ'"),
        (
            "  07L:\n    2030/31: {icb-core: 1}\n",
            "icb_allocations.07L",
            "NHS Barking and Dagenham CCG (07L) is of kind 'ccg', not an integrated care board",
        ),
        (
            "  QMF:\n    2030/31: {ccg-minimum: 1}\n",
            "icb_allocations.QMF.2030/31.ccg-minimum",
            "unknown key 'ccg-minimum'",
        ),
        ("  QMF:\n    2031/32: {icb-core: 1}\n", "icb_allocations.QMF.2031/32", "unknown key '2031/32'"),
        ("  QMF:\n    2030/31: {icb-core: lots}\n", "icb_allocations.QMF.2030/31.icb-core", "is not an amount"),
    ],
)
def test_mistakes_in_icb_allocations_name_the_file_line_and_key(tmp_path, block, where, expected):
    path = round_file(tmp_path, "icb_allocations:\n" + block)
    lines = path.read_text().splitlines()
    mistake = block.splitlines()[0].strip().rstrip(":") if "2030/31: {icb-core: 1}" in block else None
    with pytest.raises(RoundFixtureError) as error:
        load_round(path)
    message = str(error.value)
    assert str(path) in message and where in message and expected in message
    if mistake:  # an organisation's mistake is reported on the line of its code
        line = next(i for i, row in enumerate(lines, start=1) if row.strip() == f"{mistake}:")
        assert f"line {line}:" in message
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_an_icb_is_linked_to_its_areas_only_once_its_first_round_is_loaded(tmp_path):
    load_reference()
    icb = rm.Organisation.objects.get(name=NEL_ICB)
    assert icb.kind == rm.Organisation.Kind.ICB and icb.first_round is None
    assert not icb.hwb_areas.exists()  # not offered in any round yet

    early = load_round(round_file(tmp_path, "", slug="early"))
    rnd = load_round(round_file(tmp_path, slug="2023-25"))
    icb.refresh_from_db()
    assert icb.first_round == rnd
    assert sorted(icb.hwb_areas.values_list("name", flat=True)) == NEL_AREAS

    config = round_config(rnd.pk)
    area = rm.HwbArea.objects.get(name="Havering")
    assert [a.organisation.name for a in config.icb_allocations[area.pk]] == [NEL_ICB]
    assert [a.name for a in config.icb_areas[icb.pk]] == NEL_AREAS
    assert NEL_ICB in [o.name for o in config.organisations[area.pk]]

    # A round before the ICB's first (an earlier deadline) does not offer it.
    rm.PlanningRound.objects.filter(pk=early.pk).update(final_deadline=rnd.final_deadline.replace(year=2015))
    assert NEL_ICB not in [o.name for o in round_config(early.pk).organisations.get(area.pk, [])]


def test_an_icb_allocation_must_name_an_icb_and_the_rounds_own_year_and_stream(tmp_path):
    from django.core.exceptions import ValidationError

    from tests import factories as f

    allocation = f.IcbAllocationFactory()
    allocation.full_clean()
    allocation.organisation = f.OrganisationFactory(kind=rm.Organisation.Kind.CCG)
    allocation.funding_stream = f.FundingStreamFactory()  # another round's
    with pytest.raises(ValidationError) as error:
        allocation.full_clean()
    assert set(error.value.message_dict) == {"organisation", "funding_stream"}
