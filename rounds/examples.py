"""Examples for form hints, taken from the plan's round so each round's pages show its own dates and years."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .config import round_config
from .models import PlanningRound

# A financial year label as the shipped rounds write it, e.g. 2030/31.
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


@dataclass(frozen=True)
class HintExamples:
    # For a round of [2030/31] due on 30 June 2030:
    date_in_round: str  # "31 3 2031": the last day of the round's first year, typed as a date field wants it
    deadline: str  # "30 6 2030": the round's final deadline
    baseline_period: str  # "2029/30 or Q4 2029/30": the year before the round
    period: str  # "2030/31": the round's last year


def _typed(day: date) -> str:
    return f"{day.day} {day.month} {day.year}"


def hint_examples(planning_round: PlanningRound) -> HintExamples:
    # The cached configuration: a page that shows a hint costs no query for it.
    years = [year.label for year in round_config(planning_round.pk, planning_round.config_version).years]
    deadline = timezone.localtime(planning_round.final_deadline).date()
    first = _YEAR.match(years[0]) if years else None
    if first:
        start = int(first.group(1))
        year_end = date(start + 1, 3, 31)
        before = f"{start - 1}/{start % 100:02d}"
        baseline = f"{before} or Q4 {before}"
    else:  # a year label in another form: fall back to the round's deadline and its own labels
        year_end = deadline
        baseline = years[0] if years else ""
    return HintExamples(
        date_in_round=_typed(year_end),
        deadline=_typed(deadline),
        baseline_period=baseline,
        period=years[-1] if years else "",
    )
