"""A round file's metrics: each unit, and the metric's own numerator, decimal places and polarity,
load from the file, and a mistake is refused naming the file, line and key (rounds.loader)."""

from decimal import Decimal
from pathlib import Path

import pytest

from rounds import models as rm
from rounds.loader import RoundFixtureError, load_round

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"
METRIC = "    unit: days\n"

pytestmark = pytest.mark.django_db


def round_file(tmp_path, metric_lines: str) -> tuple[Path, str]:
    """The made-up 2030-31 round with its one metric's unit line replaced."""
    base = (TEST_ROUNDS / "2030-31.yaml").read_text()
    assert METRIC in base
    text = base.replace(METRIC, metric_lines, 1)
    path = tmp_path / "round.yaml"
    path.write_text(text)
    return path, text


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), start=1) if needle in row)


def test_a_metric_with_an_unknown_unit_is_refused_naming_file_line_and_key(tmp_path):
    path, text = round_file(tmp_path, "    unit: percent\n")
    with pytest.raises(RoundFixtureError) as error:
        load_round(path)
    assert str(error.value) == (
        f"{path}, line {line_of(text, 'unit: percent')}: metrics[0].unit: "
        "'percent' is not one of: rate_per_100k, percentage, count, days"
    )
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


@pytest.mark.parametrize(
    ("lines", "needle", "expected"),
    [
        (
            "    unit: count\n    denominator: Population aged 65+\n",
            "denominator:",
            "metrics[0].denominator: a metric in the unit 'count' has no denominator: remove it",
        ),
        (
            "    unit: days\n    decimal_places: 7\n",
            "decimal_places",
            "metrics[0].decimal_places: expected a whole number from 0 to 4, got '7'",
        ),
        (
            "    unit: days\n    decimal_places: one\n",
            "decimal_places",
            "metrics[0].decimal_places: expected a whole number, got 'one'",
        ),
        (
            "    unit: days\n    polarity: up\n",
            "polarity",
            "metrics[0].polarity: 'up' is not one of: (blank), higher, lower",
        ),
        ("    unit: days\n    numerater: Days at home\n", "numerater", "metrics[0].numerater: unknown key 'numerater'"),
    ],
)
def test_a_metric_that_cannot_be_worked_out_is_refused_naming_the_line(tmp_path, lines, needle, expected):
    path, text = round_file(tmp_path, lines)
    with pytest.raises(RoundFixtureError) as error:
        load_round(path)
    assert str(error.value).startswith(f"{path}, line {line_of(text, needle)}: {expected}")


def test_a_metrics_numerator_decimal_places_and_polarity_load_and_shape_how_it_is_shown(tmp_path):
    path, _ = round_file(
        tmp_path,
        "    unit: days\n    numerator: Days spent at home\n    denominator: Deaths in the period\n"
        "    decimal_places: 2\n    polarity: higher\n",
    )
    metric = load_round(path).metrics.get(key="home-days")
    assert (metric.unit, metric.numerator, metric.denominator, metric.decimal_places, metric.polarity) == (
        "days",
        "Days spent at home",
        "Deaths in the period",
        2,
        "higher",
    )
    measure = metric.measure
    assert measure.format(measure.compute(Decimal(8123), Decimal(100))) == "81.23 days"
    assert measure.polarity_label == "Higher is better"
    assert measure.numerator_label == "Numerator (Days spent at home)"


def test_every_shipped_round_metric_has_a_unit_the_portal_can_work_out(shipped_rounds):
    for metric in rm.Metric.objects.all():
        assert metric.measure.format(Decimal(1)), metric.key
        if metric.unit == "count":
            assert not metric.denominator, f"{metric.round.slug} {metric.key}: a count has no denominator"


def test_the_current_rounds_metrics_are_in_their_published_units(shipped_rounds):
    """docs/rounds/2023-25.md §5 and docs/rounds/2025-26.md §5."""
    units = {(m.round.slug, m.key): (m.unit, m.polarity) for m in rm.Metric.objects.select_related("round")}
    assert units[("2025-26", "emergency-admissions-65plus")] == ("rate_per_100k", "lower")
    assert units[("2025-26", "discharge-delay")] == ("days", "lower")
    assert units[("2025-26", "ltc-admissions-65plus")] == ("rate_per_100k", "lower")
    assert units[("2023-25", "avoidable-admissions")] == ("rate_per_100k", "lower")
    assert units[("2023-25", "discharge-usual-residence")] == ("percentage", "higher")
    assert units[("2023-25", "falls-65plus")] == ("rate_per_100k", "lower")
    assert units[("2023-25", "residential-admissions-65plus")] == ("rate_per_100k", "lower")
    assert units[("2023-25", "reablement-91-days")] == ("percentage", "higher")
    delay = rm.Metric.objects.get(round__slug="2025-26", key="discharge-delay").measure
    assert delay.format(delay.compute(Decimal(1315), Decimal(250))) == "5.3 days"
