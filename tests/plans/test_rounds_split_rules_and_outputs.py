"""A round file says which expenditure lines are joint (split_rules), which share a ring-fence counts,
and which unit each scheme type's planned outputs are in; mistakes are refused with file, line and key."""

import re
from pathlib import Path

import pytest

from rounds import models as rm
from rounds.loader import RoundFixtureError, load_round

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"

pytestmark = pytest.mark.django_db

ADDITIONS = {
    # output units before the code lists, a unit on the scheme type, a joint commissioner and a rule
    "code_lists:\n": (
        "output_units:\n"
        "  - {key: packages, label: Packages}\n"
        "  - {key: beds, label: Beds}\n"
        "split_rules:\n"
        "  - {commissioners: [joint-icb-la], funding_streams: [icb-core]}\n"
        "code_lists:\n"
    ),
    "      label: Neighbourhood team\n": "      label: Neighbourhood team\n      output_unit: packages\n",
    "    - {code: icb, label: ICB}\n": "    - {code: icb, label: ICB}\n    - {code: joint-icb-la, label: ICB and council jointly}\n",
}


def round_text() -> str:
    text = (TEST_ROUNDS / "2030-31.yaml").read_text()
    for original, replacement in ADDITIONS.items():
        assert original in text, original
        text = text.replace(original, replacement, 1)
    return text


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "2030-31.yaml"
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)


def test_split_rules_output_units_and_ring_fence_share_load_and_reload_unchanged(tmp_path):
    text = round_text().replace(
        "allocations:",
        "ring_fences:\n  - {key: nhs-ooh, name: NHS out of hospital, funding_stream: icb-core, commissioner: icb,"
        " share: nhs}\nallocations:",
        1,
    )
    rnd = load_round(write(tmp_path, text))

    [rule] = rnd.split_rules.all()
    assert (rule.commissioners, rule.funding_streams) == (["joint-icb-la"], ["icb-core"])
    assert [(u.key, u.label) for u in rnd.output_units.order_by("order")] == [
        ("packages", "Packages"),
        ("beds", "Beds"),
    ]
    team = rm.CodeListEntry.objects.get(round=rnd, list="scheme_type", code="neighbourhood-team")
    assert team.output_unit.label == "Packages"
    assert rnd.ring_fences.get(key="nhs-ooh").share == "nhs"

    again = load_round(write(tmp_path, text))
    assert again.pk == rnd.pk and rnd.split_rules.count() == 1


def test_a_rule_the_file_drops_stops_applying(tmp_path):
    text = round_text()
    rnd = load_round(write(tmp_path, text))
    load_round(write(tmp_path, text.replace("  - {commissioners: [joint-icb-la], funding_streams: [icb-core]}\n", "")))
    assert not rnd.split_rules.exists()


@pytest.mark.parametrize(
    ("original", "replacement", "where", "expected"),
    [
        (
            "funding_streams: [icb-core]}",
            "funding_streams: [icb-bonus]}",
            "split_rules[0].funding_streams",
            "no funding stream 'icb-bonus' (expected one of: icb-core, neighbourhood-grant)",
        ),
        (
            "{commissioners: [joint-icb-la],",
            "{commissioners: [joint],",
            "split_rules[0].commissioners",
            "no commissioner code 'joint' in code_lists (expected one of: icb, joint-icb-la)",
        ),
        (
            "      output_unit: packages\n",
            "      output_unit: hours\n",
            "code_lists.scheme_type[0].output_unit",
            "no output unit 'hours' in output_units (expected one of: beds, packages)",
        ),
    ],
    ids=["unknown-stream", "unknown-commissioner", "unknown-output-unit"],
)
def test_a_split_rule_or_output_unit_naming_nothing_is_refused_with_file_line_and_key(
    tmp_path, original, replacement, where, expected
):
    text = round_text()
    assert original in text
    broken = text.replace(original, replacement, 1)
    path = write(tmp_path, broken)
    line = line_of(broken, replacement.strip())

    with pytest.raises(RoundFixtureError) as error:
        load_round(path)

    assert str(error.value) == f"{path}, line {line}: {where}: {expected}"
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_a_ring_fence_share_must_be_nhs_or_la(tmp_path):
    text = round_text().replace(
        "allocations:",
        "ring_fences:\n  - {key: ooh, name: Out of hospital, share: icb}\nallocations:",
        1,
    )
    with pytest.raises(
        RoundFixtureError, match=re.escape("ring_fences[0].share: 'icb' is not one of: (blank), nhs, la")
    ):
        load_round(write(tmp_path, text))


def test_shipped_rounds_make_the_joint_commissioner_the_joint_line_and_count_the_nhs_share_out_of_hospital():
    for slug in ("2014-15", "2017-19"):
        rnd = load_round(Path("fixtures/rounds") / f"{slug}.yaml")
        [rule] = rnd.split_rules.all()
        assert (rule.commissioners, rule.funding_streams) == (["joint"], [])
    assert rm.RingFence.objects.get(round__slug="2017-19", key="nhs-ooh").share == "nhs"
