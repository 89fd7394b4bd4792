"""Metric units: how each unit's value is worked out from a numerator and a denominator, checked and shown.

The one place that knows the units. A round file gives each metric a unit code (and may set its
decimal places, polarity and numerator); the metrics form and page, the Part 2 workbook and its
import, the PDF and the national dataset all work and show figures through a Measure from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Values are stored to 4 decimal places (metrics.models); a worked-out value is kept to the same.
STORED_PLACES = 4


@dataclass(frozen=True)
class Unit:
    code: str
    label: str  # as the unit is named in lists and the workbook's Unit column
    noun: str  # as errors name a value in it: "Enter a percentage of 100 or less"
    # value = numerator / denominator * multiplier; None: the value is the numerator itself (no denominator).
    multiplier: Decimal | None
    decimal_places: int  # shown, unless the metric sets its own
    suffix: str  # after the number: "80.5%", "4.2 days"
    numerator_label: str  # when the metric does not describe its numerator
    denominator_label: str  # when the metric does not describe its denominator
    maximum: Decimal | None = None

    @property
    def has_denominator(self) -> bool:
        return self.multiplier is not None


UNITS: dict[str, Unit] = {
    u.code: u
    for u in [
        Unit(
            code="rate_per_100k",
            label="Rate per 100,000 population",
            noun="a rate per 100,000",
            multiplier=Decimal(100000),
            decimal_places=1,
            suffix=" per 100,000",
            numerator_label="Numerator (the number counted)",
            denominator_label="Denominator (the population)",
        ),
        Unit(
            code="percentage",
            label="Percentage",
            noun="a percentage",
            multiplier=Decimal(100),
            decimal_places=1,
            suffix="%",
            numerator_label="Numerator (the number counted)",
            denominator_label="Denominator (the total it is a percentage of)",
            maximum=Decimal(100),
        ),
        Unit(
            code="count",
            label="Count",
            noun="a count",
            multiplier=None,
            decimal_places=0,
            suffix="",
            numerator_label="Count",
            denominator_label="",
        ),
        # An average length in days: total days over the people (or stays) they are averaged across,
        # or typed directly when only the published average is known.
        Unit(
            code="days",
            label="Days",
            noun="a number of days",
            multiplier=Decimal(1),
            decimal_places=1,
            suffix=" days",
            numerator_label="Numerator (total days)",
            denominator_label="Denominator (the people or stays the days are averaged over)",
        ),
    ]
}
UNIT_CHOICES = [(u.code, u.label) for u in UNITS.values()]

POLARITY_CHOICES = [("higher", "Higher is better"), ("lower", "Lower is better")]
POLARITY_LABELS = dict(POLARITY_CHOICES)


def unit_by_label(label: str) -> Unit | None:
    return next((u for u in UNITS.values() if u.label == label), None)


@dataclass(frozen=True)
class FigureError:
    """A problem with one figure: the field it belongs to ("value", "numerator", "denominator") and why."""

    field: str
    message: str


@dataclass(frozen=True)
class Measure:
    """A metric's unit with the metric's own decimal places, polarity and descriptions."""

    unit: Unit
    decimal_places: int
    polarity: str = ""
    numerator: str = ""
    denominator: str = ""

    @property
    def label(self) -> str:
        return self.unit.label

    @property
    def polarity_label(self) -> str:
        return POLARITY_LABELS.get(self.polarity, "")

    @property
    def numerator_label(self) -> str:
        return f"Numerator ({self.numerator})" if self.numerator else self.unit.numerator_label

    @property
    def denominator_label(self) -> str:
        return f"Denominator ({self.denominator})" if self.denominator else self.unit.denominator_label

    def compute(self, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
        """The value the numerator and denominator give, to the stored precision; None when they give none."""
        if numerator is None or not self.unit.code:
            return None
        if self.unit.multiplier is None:
            return Decimal(numerator)
        if not denominator:
            return None
        result = Decimal(numerator) / Decimal(denominator) * self.unit.multiplier
        return result.quantize(Decimal(1).scaleb(-STORED_PLACES), rounding=ROUND_HALF_UP)

    def figure(self, value: Decimal | None, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
        """The value as entered, or worked out from the numerator and denominator when it was not."""
        return value if value is not None else self.compute(numerator, denominator)

    def rounded(self, value: Decimal) -> Decimal:
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)

    def format(self, value: Decimal | None) -> str:
        """The value as people read it: "1,234.5 per 100,000", "80.5%", "1,234", "4.2 days"; "" for none."""
        if value is None:
            return ""
        return f"{self.rounded(value):,.{self.decimal_places}f}{self.unit.suffix}"

    @property
    def number_format(self) -> str:
        """The Excel number format that shows a value as format() does (a percentage is stored as 80.5, not 0.805)."""
        places = f".{'0' * self.decimal_places}" if self.decimal_places else ""
        return f'#,##0{places}"{self.unit.suffix}"' if self.unit.suffix else f"#,##0{places}"

    def excel_formula(self, numerator: str, denominator: str) -> str:
        """A live formula for the value the numerator and denominator cells give ("" when they give none)."""
        if self.unit.multiplier is None:
            return f'=IF(ISNUMBER({numerator}),{numerator},"")'
        factor = "" if self.unit.multiplier == 1 else f"*{self.unit.multiplier}"
        return f'=IF(AND(ISNUMBER({numerator}),ISNUMBER({denominator}),{denominator}>0),{numerator}/{denominator}{factor},"")'

    def check(
        self, value: Decimal | None, numerator: Decimal | None, denominator: Decimal | None, *, what: str
    ) -> list[FigureError]:
        """What is wrong with one baseline or planned figure in this unit (nothing: an empty list).

        `what` names the figure in messages ("the baseline", "2025/26"). Used by the metrics form and
        the workbook import, so both refuse the same things in the same words.
        """
        unit = self.unit
        errors = []
        if not unit.has_denominator:
            if denominator is not None:
                errors.append(
                    FigureError(
                        "denominator", f"Leave the denominator for {what} blank: {unit.noun} has no denominator"
                    )
                )
        elif numerator is not None and denominator is None:
            errors.append(FigureError("denominator", f"Enter the denominator for {what}, or clear its numerator"))
        elif numerator is None and denominator is not None:
            errors.append(FigureError("numerator", f"Enter the numerator for {what}, or clear its denominator"))
        elif denominator is not None and denominator == 0:
            errors.append(FigureError("denominator", f"Enter a denominator for {what} of more than 0"))
        if self.decimal_places == 0:
            for name, figure in (("value", value), ("numerator", numerator)):
                if figure is not None and figure != figure.to_integral_value():
                    errors.append(FigureError(name, f"Enter {unit.noun} for {what} as a whole number"))
        if errors:
            return errors
        computed = self.compute(numerator, denominator)
        if unit.maximum is not None:
            if value is not None and value > unit.maximum:
                errors.append(FigureError("value", f"Enter {unit.noun} for {what} of {unit.maximum} or less"))
            if computed is not None and computed > unit.maximum:
                errors.append(
                    FigureError(
                        "numerator",
                        f"The numerator for {what} is more than its denominator: "
                        f"{unit.noun} cannot be more than {unit.maximum}",
                    )
                )
        if not errors and value is not None and computed is not None and self.rounded(value) != self.rounded(computed):
            errors.append(
                FigureError(
                    "value",
                    f"The value for {what} ({self.format(value)}) does not match its numerator and denominator, "
                    f"which give {self.format(computed)}. Correct one of them, or clear the value to have it worked out",
                )
            )
        return errors


def measure_for(metric=None, local_unit: str = "") -> Measure | None:
    """The measure of a round metric (rounds.models.Metric), or of a local metric by its unit code."""
    if metric is not None:
        unit = UNITS[metric.unit]
        places = metric.decimal_places if metric.decimal_places is not None else unit.decimal_places
        return Measure(unit, places, metric.polarity, metric.numerator, metric.denominator)
    if local_unit in UNITS:
        unit = UNITS[local_unit]
        return Measure(unit, unit.decimal_places)
    return None


# How a local metric saved without a unit is shown: plain numbers, nothing worked out or checked.
UNITLESS = Measure(
    Unit(
        code="",
        label="",
        noun="a value",
        multiplier=None,
        decimal_places=2,
        suffix="",
        numerator_label="Numerator",
        denominator_label="Denominator",
    ),
    decimal_places=2,
)
