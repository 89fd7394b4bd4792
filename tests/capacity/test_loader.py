"""A round file defines its capacity and demand table; the loader refuses a wrong one with file, line and key."""

from pathlib import Path

import pytest

from rounds import models as rm
from rounds.config import round_config
from rounds.loader import LoadReport, RoundFixtureError, load_round

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"
BASE = (TEST_ROUNDS / "2030-31.yaml").read_text()

pytestmark = pytest.mark.django_db


def load_text(tmp_path, text):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return load_round(path)


def line_of(text, needle):
    return next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)


def test_the_round_file_defines_periods_blocks_rows_and_wording():
    rnd = load_round(TEST_ROUNDS / "2030-31.yaml")
    table = round_config(rnd.pk).capacity_demand
    assert table.periods == ("Apr 2030", "May 2030", "Jun 2030")
    assert [b.key for b in table.blocks] == ["discharge", "community"]
    assert [(r.key, r.label, r.pathway) for r in table.block("discharge").rows] == [
        ("home-reablement", "Reablement at home", "1"),
        ("bed-rehab", "Rehabilitation in a bed", "2"),
    ]
    assert table.block("community").rows[0].pathway == ""
    assert (table.demand_label, table.capacity_label, table.pathway_label) == (
        "Referrals expected",
        "Places available",
        "Discharge pathway",
    )
    assert table.gap_label == "Gap (capacity minus demand)"  # the default when the round gives none
    assert rnd.sections.get(key="care-flow").table == rm.Section.Table.CAPACITY_DEMAND


def test_reloading_the_table_changes_nothing_and_an_edit_updates_it_in_place(tmp_path):
    load_round(TEST_ROUNDS / "2030-31.yaml")
    report = LoadReport()
    load_round(TEST_ROUNDS / "2030-31.yaml", report=report)
    assert report.created == report.updated == 0

    rnd = load_text(tmp_path, BASE.replace("Jun 2030]", "Jun 2030, Jul 2030]"))
    assert rm.CapacityDemandTable.objects.get().periods[-1] == "Jul 2030"
    assert round_config(rnd.pk).capacity_demand.periods[-1] == "Jul 2030"


def test_a_capacity_table_without_periods_is_refused_with_file_line_and_key(tmp_path):
    broken = BASE.replace("  periods: [Apr 2030, May 2030, Jun 2030]\n", "")
    with pytest.raises(RoundFixtureError) as error:
        load_text(tmp_path, broken)
    message = str(error.value)
    assert "broken.yaml" in message
    assert f"line {line_of(broken, 'measures: {demand')}" in message
    assert "capacity_demand: missing required key 'periods'" in message
    assert not rm.PlanningRound.objects.exists()


def test_an_empty_list_of_periods_is_refused(tmp_path):
    broken = BASE.replace("periods: [Apr 2030, May 2030, Jun 2030]", "periods: []")
    with pytest.raises(RoundFixtureError, match=r"capacity_demand.periods: list at least one period"):
        load_text(tmp_path, broken)


@pytest.mark.parametrize(
    ("original", "replacement", "expected", "needle"),
    [
        (
            "{key: bed-rehab,",
            "{key: home-reablement,",
            r"capacity_demand.blocks\[0\].rows\[1\].key: row key 'home-reablement' is used more than once",
            "label: Rehabilitation in a bed",
        ),
        (
            "{key: urgent-response,",
            "{key: bed-rehab,",
            r"capacity_demand.blocks\[1\].rows\[0\].key: row key 'bed-rehab' is used more than once",
            "label: Urgent community response",
        ),
        (
            "    - key: community\n",
            "    - key: discharge\n",
            r"capacity_demand.blocks: 'discharge' appears more than once",
            "- key: discharge\n      label: Referrals",
        ),
        (
            "Apr 2030, May 2030, Jun 2030]",
            "Apr 2030, May 2030, Apr 2030]",
            r"capacity_demand.periods: 'Apr 2030' appears more than once",
            "periods: [Apr 2030",
        ),
        (
            "pathway_label: Discharge pathway",
            "pathway_labels: Discharge pathway",
            r"capacity_demand.pathway_labels: unknown key 'pathway_labels'",
            "pathway_labels:",
        ),
        (
            "measures: {demand: Referrals expected",
            "measures: {need: Referrals expected",
            r"capacity_demand.measures.need: unknown key 'need' \(expected one of: capacity, demand, gap\)",
            "measures: {need",
        ),
        (
            "        - {key: urgent-response, label: Urgent community response}\n",
            "",
            r"capacity_demand.blocks\[1\]: missing required key 'rows'",
            "    - key: community",
        ),
        (
            "    table: capacity_demand\n",
            "",
            r"capacity_demand: no section shows this table",
            "capacity_demand:",
        ),
    ],
)
def test_mistakes_in_the_table_are_refused_on_their_line(tmp_path, original, replacement, expected, needle):
    assert original in BASE
    broken = BASE.replace(original, replacement, 1)
    if "\n" in needle:  # a block key that repeats: the second block is reported
        line = broken.splitlines().index("      label: Referrals from the community")
    else:
        line = line_of(broken, needle)
    with pytest.raises(RoundFixtureError, match=expected) as error:
        load_text(tmp_path, broken)
    assert f"broken.yaml, line {line}:" in str(error.value)
    assert not rm.PlanningRound.objects.exists()


def test_a_section_showing_the_table_needs_the_table(tmp_path):
    start = BASE.index("capacity_demand:\n  periods")
    end = BASE.index("metrics:\n")
    broken = BASE[:start] + BASE[end:]
    with pytest.raises(RoundFixtureError) as error:
        load_text(tmp_path, broken)
    assert (
        "sections (care-flow).table: shows the capacity and demand table, but the file has no capacity_demand"
        in str(error.value)
    )
    assert f"line {line_of(broken, '- key: care-flow')}" in str(error.value)


def test_a_round_without_the_table_has_none():
    rnd = load_round(Path(__file__).resolve().parents[2] / "fixtures" / "rounds" / "2014-15.yaml")
    assert round_config(rnd.pk).capacity_demand is None


@pytest.mark.parametrize(
    ("slug", "months", "section_key"), [("2023-25", 24, "capacity-demand"), ("2025-26", 12, "p2-capacity-demand")]
)
def test_the_shipped_2023_25_and_2025_26_rounds_have_the_table(slug, months, section_key):
    from rounds.loader import rounds_dir

    rnd = load_round(rounds_dir() / f"{slug}.yaml")
    table = round_config(rnd.pk).capacity_demand
    assert len(table.periods) == months and table.periods[0].startswith("Apr 20")
    assert [len(b.rows) for b in table.blocks] == [7, 7]
    assert [r.pathway for r in table.block("discharge").rows] == ["0", "1", "1", "1", "2", "2", "3"]
    section = rnd.sections.get(key=section_key)
    assert section.table == rm.Section.Table.CAPACITY_DEMAND
    assert section.questions.filter(key="cd-approach").exists()
