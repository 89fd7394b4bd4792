"""A round's monitoring: block (its return's periods, parts and questions) as the loader reads it."""

import datetime
from decimal import Decimal

import pytest

from rounds import models as rm
from rounds.loader import LoadReport, RoundFixtureError, load_round, resolve_round_path
from tests.plans.test_rounds import TEST_ROUNDS

BASE = TEST_ROUNDS / "2030-31.yaml"

MONITORING = """
monitoring:
  name: Quarterly return
  variance_percent: 15
  amount_max: 5000000
  periods:
    - key: q1-2030-31
      name: Quarter 1 2030/31
      year: 2030/31
      share_of_year: 25
      period_end: 2030-06-30
      deadline: 2030-08-01T12:00:00+01:00
      metric_periods: ["Q1 2030/31", "2030/31"]
    - key: year-end-2030-31
      name: Year end 2030/31
      year: 2030/31
      share_of_year: 100
      period_end: 2031-03-31
      deadline: 2031-05-01T12:00:00+01:00
  parts:
    - key: budget
      title: Budget arrangements
      questions:
        - key: s75-in-place
          kind: yes_no
          prompt: Are the funds pooled under a section 75 agreement?
          hint: If not, give the date it will be.
    - key: finance
      title: Income and expenditure
      description: Actual and forecast for every line.
      reports_on: finance
    - key: metrics
      title: Metrics
      reports_on: metrics
    - key: narrative
      title: Progress
      questions:
        - key: progress
          kind: narrative
          prompt: Describe progress.
        - key: data-confirmed
          kind: confirm
          prompt: I confirm the figures.
"""


def _round_file(tmp_path, block=MONITORING, *, old=None, new=None):
    text = BASE.read_text() + block
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "monitoring.yaml"
    path.write_text(text)
    return path


def _without(text, start, end):
    """The text less the lines from the one starting `start` up to the one starting `end`."""
    return text[: text.index(start)] + text[text.index(end) :]


def _line_of(path, needle, occurrence=1):
    """The number of the `occurrence`th line of the monitoring block containing `needle`."""
    seen = 0
    lines = path.read_text().splitlines()
    start = lines.index("monitoring:")
    for number, line in enumerate(lines[start:], start=start + 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} is not in {path}")


def test_a_valid_monitoring_block_loads_its_template_periods_parts_and_questions(tmp_path, db):
    rnd = load_round(_round_file(tmp_path))

    template = rm.ReturnTemplate.objects.get(round=rnd)
    assert (template.name, template.variance_percent, template.amount_max) == (
        "Quarterly return",
        Decimal("15.00"),
        Decimal("5000000.00"),
    )
    q1, year_end = rnd.return_periods.order_by("order")
    assert (q1.key, q1.name, q1.year.label, q1.share_of_year) == (
        "q1-2030-31",
        "Quarter 1 2030/31",
        "2030/31",
        Decimal("25.00"),
    )
    assert q1.period_end == datetime.date(2030, 6, 30)
    assert q1.deadline.isoformat() == "2030-08-01T11:00:00+00:00"
    assert q1.metric_periods == ["Q1 2030/31", "2030/31"]
    assert (year_end.key, year_end.share_of_year, year_end.metric_periods) == (
        "year-end-2030-31",
        Decimal("100.00"),
        [],
    )
    parts = list(rnd.return_parts.order_by("order"))
    assert [(p.key, p.reports_on) for p in parts] == [
        ("budget", ""),
        ("finance", "finance"),
        ("metrics", "metrics"),
        ("narrative", ""),
    ]
    s75 = parts[0].questions.get()
    assert (s75.key, s75.kind, s75.hint) == ("s75-in-place", "yes_no", "If not, give the date it will be.")
    assert list(parts[3].questions.order_by("order").values_list("key", "kind")) == [
        ("progress", "narrative"),
        ("data-confirmed", "confirm"),
    ]
    assert not parts[1].questions.exists()


def test_a_round_without_a_monitoring_block_has_no_return(db):
    rnd = load_round(BASE)
    assert not rm.ReturnTemplate.objects.filter(round=rnd).exists()
    assert not rnd.return_periods.exists() and not rnd.return_parts.exists()


# Each mistake: (what to replace, its replacement, the key named, the text in the line to point
# at (its first occurrence in the monitoring block after the change, or the |nth), and what the message says).
MISTAKES = {
    "unknown-key": (
        "  amount_max: 5000000\n",
        "  amount_max: 5000000\n  threshold: 10\n",
        "monitoring.threshold",
        "threshold: 10",
        "unknown key 'threshold'",
    ),
    "unknown-period-key": (
        "      share_of_year: 25\n",
        "      share_of_year: 25\n      opens: 2030-07-01\n",
        r"monitoring.periods\[0\].opens",
        "opens: 2030-07-01",
        "unknown key 'opens'",
    ),
    "year-not-in-round": (
        "      year: 2030/31\n      share_of_year: 25",
        "      year: 2031/32\n      share_of_year: 25",
        r"monitoring.periods\[0\].year",
        "year: 2031/32",
        "'2031/32' is not one of the round's years",
    ),
    "share-of-year-zero": (
        "share_of_year: 25",
        "share_of_year: 0",
        r"monitoring.periods\[0\].share_of_year",
        "share_of_year: 0",
        "expected more than 0, up to 100",
    ),
    "share-of-year-over-100": (
        "share_of_year: 100",
        "share_of_year: 120",
        r"monitoring.periods\[1\].share_of_year",
        "share_of_year: 120",
        "expected more than 0, up to 100",
    ),
    "part-with-reports-on-and-questions": (
        "      reports_on: metrics\n",
        "      reports_on: metrics\n      questions:\n        - {key: extra, kind: narrative, prompt: Explain}\n",
        r"monitoring.parts\[2\] \(metrics\).questions",
        "questions:|2",
        "a part that reports on the plan asks no questions of its own",
    ),
    "part-with-neither": (
        "      title: Metrics\n      reports_on: metrics\n",
        "      title: Metrics\n",
        r"monitoring.parts\[2\] \(metrics\)",
        "- key: metrics",
        "give it questions, or reports_on",
    ),
    "duplicate-period-key": (
        "    - key: year-end-2030-31",
        "    - key: q1-2030-31",
        "monitoring.periods",
        "- key: q1-2030-31|2",
        "'q1-2030-31' appears more than once",
    ),
    "unknown-question-kind": (
        "kind: narrative\n          prompt: Describe progress.",
        "kind: essay\n          prompt: Describe progress.",
        r"monitoring.parts\[3\] \(narrative\).questions\[0\].kind",
        "kind: essay",
        "'essay' is not one of",
    ),
    "two-parts-report-on-the-same-thing": (
        "      reports_on: metrics\n",
        "      reports_on: finance\n",
        r"monitoring.parts \(reports_on\)",
        "- key: metrics",
        "'finance' appears more than once",
    ),
    "unknown-reports-on": (
        "      reports_on: metrics\n",
        "      reports_on: schemes\n",
        r"monitoring.parts\[2\] \(metrics\).reports_on",
        "reports_on: schemes",
        "'schemes' is not one of",
    ),
    "missing-deadline": (
        "      deadline: 2031-05-01T12:00:00+01:00\n",
        "",
        r"monitoring.periods\[1\]",
        "- key: year-end-2030-31",
        "missing required key 'deadline'",
    ),
    "variance-over-100": (
        "variance_percent: 15",
        "variance_percent: 150",
        "monitoring.variance_percent",
        "variance_percent: 150",
        "expected 0 to 100, got 150",
    ),
}


@pytest.mark.parametrize(("old", "new", "key", "at", "message"), MISTAKES.values(), ids=MISTAKES.keys())
def test_a_malformed_monitoring_block_is_refused_with_file_line_and_key(tmp_path, db, old, new, key, at, message):
    path = _round_file(tmp_path, old=old, new=new)
    needle, _, occurrence = at.partition("|")
    line = _line_of(path, needle, int(occurrence or 1))
    with pytest.raises(RoundFixtureError, match=rf"monitoring.yaml, line {line}: {key}: .*{message}") as raised:
        load_round(path)
    assert str(path) in str(raised.value)
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_reloading_the_round_changes_nothing(tmp_path, db):
    path = _round_file(tmp_path)
    load_round(path)
    report = LoadReport()
    load_round(path, report=report)
    assert (report.created, report.updated) == (0, 0)
    assert report.stale_rows == []
    assert rm.ReturnPeriod.objects.filter(round__slug="2030-31").count() == 2


def test_a_period_or_part_dropped_from_the_file_is_kept_and_reported_as_stale(tmp_path, db):
    path = _round_file(tmp_path)
    rnd = load_round(path)
    dropped = _without(MONITORING, "    - key: year-end-2030-31", "  parts:")
    dropped = _without(dropped, "    - key: budget", "    - key: finance")
    assert "year-end-2030-31" not in dropped and "s75-in-place" not in dropped
    path.write_text(BASE.read_text() + dropped)

    report = LoadReport()
    load_round(path, report=report)

    assert "return period year-end-2030-31" in report.stale_rows
    assert "return part budget" in report.stale_rows
    # Kept, not deleted: a return may already be for that period.
    assert rnd.return_periods.filter(key="year-end-2030-31").exists()
    assert rnd.return_parts.filter(key="budget").exists()


@pytest.mark.parametrize("slug", ["2014-15", "2017-19", "2023-25", "2025-26"])
def test_every_shipped_round_defines_a_return_whose_periods_fall_in_its_years(db, slug):
    rnd = load_round(resolve_round_path(slug))
    periods = list(rnd.return_periods.select_related("year").order_by("order"))
    assert periods, slug
    for period in periods:
        assert 0 < period.share_of_year <= 100
        assert period.deadline.date() > period.period_end
    assert {p.reports_on for p in rnd.return_parts.all()} >= {"conditions", "finance", "metrics"}
