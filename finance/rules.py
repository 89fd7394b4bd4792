"""The round's Part 2 rules, written once: the finance pages, the workbook import and submission call them.

The rules work on plain figures (`PartTwoFigures`), not on model instances, so the import can check
a workbook's figures before anything is written, and submission can check the stored plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from rounds.money import MAX_AMOUNT

ZERO = Decimal("0")


@dataclass(frozen=True)
class IncomeFigure:
    stream_key: str
    organisation: str
    year: str
    amount: Decimal


@dataclass(frozen=True)
class ExpenditureFigure:
    label: str  # how the line is named in messages, e.g. "Scheme BD01 Crisis intervention"
    stream_key: str
    area_of_spend: str  # code
    commissioner: str  # code
    amounts: dict[str, Decimal]  # year label -> amount
    percent_nhs: Decimal | None = None  # given (with percent_la) on a jointly commissioned line only
    percent_la: Decimal | None = None
    output_unit: str = ""  # the scheme type's output unit label; "" when it has none
    outputs: dict[str, Decimal] = field(default_factory=dict)  # year label -> planned output

    @property
    def is_split(self) -> bool:
        return self.percent_nhs is not None and self.percent_la is not None


@dataclass(frozen=True)
class RingFenceSpec:
    key: str
    name: str
    stream_key: str | None
    area_of_spend: str | None
    commissioner: str | None
    share: str = ""  # "nhs" or "la": a joint line counts by that share of it; "": matching lines count whole


@dataclass(frozen=True)
class SplitRuleSpec:
    """Commissioner codes that make a line jointly commissioned, on these streams (empty: every stream)."""

    commissioners: frozenset[str]
    stream_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IcbShareSpec:
    """An ICB's allocation for one stream and year, shared by the HWB areas the ICB serves.

    The plan's own share is its income from the ICB for the stream (`icb` is the organisation's
    name, as income figures name it). `others` is what the other sharing areas' submitted plans
    record, as one total; None where it was not read (the exports show the plan alone).
    """

    icb: str
    stream_key: str
    year: str
    amount: Decimal
    areas: int  # how many HWB areas share it
    others: Decimal | None = None
    others_outstanding: int | None = None  # other sharing areas without a submitted plan


@dataclass
class PartTwoFigures:
    years: list[str]
    stream_names: dict[str, str]  # key -> name, in the round's order
    income: list[IncomeFigure] = field(default_factory=list)
    expenditure: list[ExpenditureFigure] = field(default_factory=list)
    allocations: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (key, year) -> amount
    ring_fences: list[RingFenceSpec] = field(default_factory=list)
    icb_shares: list[IcbShareSpec] = field(default_factory=list)


@dataclass(frozen=True)
class RuleResult:
    key: str
    name: str
    passed: bool
    message: str
    year: str = ""


def format_pounds(amount: Decimal) -> str:
    """£21,758,000 for whole pounds, £1,234.56 otherwise (as the templates and workbook show them)."""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == amount.to_integral_value():
        return f"{sign}£{amount:,.0f}"
    return f"{sign}£{amount:,.2f}"


def pooled_total(figures: PartTwoFigures, year: str) -> Decimal:
    return sum((line.amount for line in figures.income if line.year == year), ZERO)


def income_by_stream(figures: PartTwoFigures, year: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in figures.income:
        if line.year == year:
            totals[line.stream_key] += line.amount
    return totals


def expenditure_by_stream(figures: PartTwoFigures, year: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in figures.expenditure:
        totals[line.stream_key] += line.amounts.get(year, ZERO)
    return totals


def check_minimum_pool(figures: PartTwoFigures) -> list[RuleResult]:
    """The pooled budget in each year must be at least the area's published minimum."""
    results = []
    for year in figures.years:
        minimum = figures.allocations.get(("minimum_pool", year))
        if minimum is None:
            continue
        total = pooled_total(figures, year)
        results.append(
            _at_least(
                "minimum_pool",
                f"Minimum pooled budget {year}",
                year,
                f"The pooled budget for {year}",
                total,
                "the minimum of",
                minimum,
            )
        )
    return results


def check_pool_entered(figures: PartTwoFigures) -> list[RuleResult]:
    """Where the area has no published minimum, the pooled budget must still hold some income."""
    results = []
    for year in figures.years:
        if ("minimum_pool", year) in figures.allocations or pooled_total(figures, year) > 0:
            continue
        results.append(
            RuleResult(
                key="pool_entered",
                name=f"Pooled budget entered {year}",
                passed=False,
                year=year,
                message=f"The pooled budget for {year} is £0: enter the income from each funding source",
            )
        )
    return results


def check_stream_minimums(figures: PartTwoFigures) -> list[RuleResult]:
    """Income from each funding source with a published minimum contribution must be at least that minimum."""
    results = []
    for year in figures.years:
        income = income_by_stream(figures, year)
        for key, name in figures.stream_names.items():
            minimum = figures.allocations.get((key, year))
            if minimum is None:
                continue
            results.append(
                _at_least(
                    f"stream_minimum:{key}",
                    f"Minimum contribution: {name} {year}",
                    year,
                    f"Income from {name} in {year}",
                    income.get(key, ZERO),
                    "its minimum contribution of",
                    minimum,
                )
            )
    return results


def icb_share(figures: PartTwoFigures, spec: IcbShareSpec) -> Decimal:
    """The plan's share of an ICB allocation: its income from that ICB for the stream in the year."""
    return sum(
        (
            line.amount
            for line in figures.income
            if line.organisation == spec.icb and line.stream_key == spec.stream_key and line.year == spec.year
        ),
        ZERO,
    )


def check_icb_shares(figures: PartTwoFigures) -> list[RuleResult]:
    """The shares of an ICB allocation that the sharing areas record must not exceed it, and once every
    other sharing area has submitted, this plan's share must make them add up to it."""
    results = []
    for spec in figures.icb_shares:
        stream = figures.stream_names.get(spec.stream_key, spec.stream_key)
        own = icb_share(figures, spec)
        others = spec.others or ZERO
        total = own + others
        subject = f"This area's share of {spec.icb}'s {stream} allocation for {spec.year} is {format_pounds(own)}"
        if spec.others is None:
            recorded = ""
        else:
            recorded = f"; other areas' submitted plans record {format_pounds(others)}, so the shares come to {format_pounds(total)}"
        if total > spec.amount:
            passed = False
            message = (
                f"{subject}{recorded}, which is {format_pounds(total - spec.amount)} more than "
                f"the ICB's allocation of {format_pounds(spec.amount)}"
            )
        elif spec.others_outstanding == 0 and spec.areas > 1 and total < spec.amount:
            passed = False
            message = (
                f"{subject}{recorded}. Every other area sharing it has submitted, so the shares should add up to "
                f"the ICB's allocation of {format_pounds(spec.amount)} ({format_pounds(spec.amount - total)} is not shared out)"
            )
        else:
            passed = True
            message = f"{subject}{recorded}, within the ICB's allocation of {format_pounds(spec.amount)}"
        results.append(
            RuleResult(
                key=f"icb_share:{spec.icb}:{spec.stream_key}",
                name=f"Share of ICB allocation: {stream} from {spec.icb} {spec.year}",
                passed=passed,
                year=spec.year,
                message=message,
            )
        )
    return results


def check_spend_accounts_for_pool(figures: PartTwoFigures) -> list[RuleResult]:
    """The expenditure plan must account for the whole pooled budget of each year: no less, no more."""
    results = []
    for year in figures.years:
        pool = pooled_total(figures, year)
        spend = sum(expenditure_by_stream(figures, year).values(), ZERO)
        passed = spend == pool and pool > 0
        if passed:
            message = f"Expenditure in {year} totals {format_pounds(spend)}, which accounts for the pooled budget"
        elif spend > pool:
            message = (
                f"Expenditure in {year} totals {format_pounds(spend)}, which is {format_pounds(spend - pool)} "
                f"more than the pooled budget of {format_pounds(pool)}"
            )
        elif pool == 0:
            message = f"Expenditure in {year} totals £0: enter the income to the pooled budget, then the planned spend"
        else:
            message = (
                f"Expenditure in {year} totals {format_pounds(spend)}; it must account for the pooled budget "
                f"of {format_pounds(pool)} ({format_pounds(pool - spend)} is not yet planned)"
            )
        results.append(
            RuleResult(
                key="spend_accounts_for_pool",
                name=f"Expenditure accounts for the pooled budget {year}",
                passed=passed,
                year=year,
                message=message,
            )
        )
    return results


def check_spend_within_income(figures: PartTwoFigures) -> list[RuleResult]:
    """Planned spend from each funding source cannot exceed the income from that source."""
    results = []
    for year in figures.years:
        income = income_by_stream(figures, year)
        spend = expenditure_by_stream(figures, year)
        for key, name in figures.stream_names.items():
            if key not in income and key not in spend:
                continue
            got, used = income.get(key, ZERO), spend.get(key, ZERO)
            passed = used <= got
            if passed:
                message = (
                    f"Spend from {name} in {year} is {format_pounds(used)}, within its income of {format_pounds(got)}"
                )
            else:
                message = (
                    f"Spend from {name} in {year} is {format_pounds(used)}, "
                    f"which is {format_pounds(used - got)} more than its income of {format_pounds(got)}"
                )
            results.append(
                RuleResult(
                    key=f"spend_within_income:{key}",
                    name=f"Spend within income: {name} {year}",
                    passed=passed,
                    year=year,
                    message=message,
                )
            )
    return results


def _matches(line: ExpenditureFigure, fence: RingFenceSpec, *, commissioner: bool = True) -> bool:
    return (
        (fence.stream_key is None or line.stream_key == fence.stream_key)
        and (fence.area_of_spend is None or line.area_of_spend == fence.area_of_spend)
        and (not commissioner or fence.commissioner is None or line.commissioner == fence.commissioner)
    )


def ring_fence_share(line: ExpenditureFigure, fence: RingFenceSpec, year: str) -> Decimal:
    """What one line adds to a ring-fence in a year. A fence with a share counts that share of a joint
    line, whatever its commissioner: a joint line is commissioned by both, so the NHS-commissioned
    spend includes the NHS % of it. Any other matching line counts whole."""
    amount = line.amounts.get(year, ZERO)
    if fence.share and line.is_split:
        if not _matches(line, fence, commissioner=False):
            return ZERO
        percent = line.percent_nhs if fence.share == "nhs" else line.percent_la
        return amount * percent / 100
    return amount if _matches(line, fence) else ZERO


def ring_fence_spend(figures: PartTwoFigures, fence: RingFenceSpec, year: str) -> Decimal:
    return sum((ring_fence_share(line, fence, year) for line in figures.expenditure), ZERO)


def check_ring_fences(figures: PartTwoFigures) -> list[RuleResult]:
    """Spend on the lines a ring-fence covers must be at least the area's allocation for it."""
    results = []
    for fence in figures.ring_fences:
        for year in figures.years:
            required = figures.allocations.get((fence.key, year))
            if required is None:
                continue
            results.append(
                _at_least(
                    f"ring_fence:{fence.key}",
                    f"{fence.name} {year}",
                    year,
                    f"Spend on {fence.name} in {year}",
                    ring_fence_spend(figures, fence, year),
                    "the required",
                    required,
                )
            )
    return results


def _all_amounts(figures: PartTwoFigures):
    for line in figures.income:
        yield (
            f"Income from {figures.stream_names.get(line.stream_key, line.stream_key)} ({line.organisation}, {line.year})",
            line.amount,
        )
    for line in figures.expenditure:
        for year, amount in line.amounts.items():
            yield f"{line.label} ({year})", amount


def check_no_negative_amounts(figures: PartTwoFigures) -> list[RuleResult]:
    negatives = [(label, amount) for label, amount in _all_amounts(figures) if amount < 0]
    if not negatives:
        return [RuleResult("no_negative_amounts", "No negative amounts", True, "Every amount is £0 or more")]
    label, amount = negatives[0]
    more = f" and {len(negatives) - 1} more" if len(negatives) > 1 else ""
    return [
        RuleResult(
            "no_negative_amounts",
            "No negative amounts",
            False,
            f"{label} is {format_pounds(amount)}{more}: enter an amount of £0 or more",
        )
    ]


def check_amounts_in_range(figures: PartTwoFigures) -> list[RuleResult]:
    too_big = [(label, amount) for label, amount in _all_amounts(figures) if amount > MAX_AMOUNT]
    if not too_big:
        return [
            RuleResult(
                "amounts_in_range",
                "Amounts in range",
                True,
                f"Every amount is between £0 and {format_pounds(MAX_AMOUNT)}",
            )
        ]
    label, amount = too_big[0]
    more = f" and {len(too_big) - 1} more" if len(too_big) > 1 else ""
    return [
        RuleResult(
            "amounts_in_range",
            "Amounts in range",
            False,
            f"{label} is {format_pounds(amount)}{more}: enter an amount of {format_pounds(MAX_AMOUNT)} or less",
        )
    ]


def check_income(figures: PartTwoFigures) -> list[RuleResult]:
    """The rules the income (funding sources) section must meet before it can be marked completed."""
    return [
        *check_minimum_pool(figures),
        *check_pool_entered(figures),
        *check_stream_minimums(figures),
        *check_icb_shares(figures),
    ]


def check_planned_outputs(figures: PartTwoFigures) -> list[RuleResult]:
    """A line whose scheme type has an output unit gives its planned output for each year it spends in.
    Rounds whose scheme types have no units get no result at all."""
    lines = [line for line in figures.expenditure if line.output_unit]
    if not lines:
        return []
    missing = [
        (line, year)
        for line in lines
        for year in figures.years
        if line.amounts.get(year, ZERO) > 0 and line.outputs.get(year) is None
    ]
    name = "Planned outputs entered"
    if not missing:
        return [RuleResult("planned_outputs", name, True, "Every line with an output unit has its planned outputs")]
    line, year = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    message = f"{line.label} has no planned output for {year} ({line.output_unit}){more}: enter the planned output"
    return [RuleResult("planned_outputs", name, False, message)]


def check_expenditure(figures: PartTwoFigures) -> list[RuleResult]:
    """The rules the expenditure section must meet before it can be marked completed."""
    return [
        *check_spend_accounts_for_pool(figures),
        *check_spend_within_income(figures),
        *check_ring_fences(figures),
        *check_planned_outputs(figures),
    ]


def check_all(figures: PartTwoFigures) -> list[RuleResult]:
    """Every Part 2 rule of the round, in the order the finance summary lists them."""
    return [
        *check_income(figures),
        *check_expenditure(figures),
        *check_no_negative_amounts(figures),
        *check_amounts_in_range(figures),
    ]


def is_joint(split_rules: list[SplitRuleSpec], commissioner: str, stream_key: str) -> bool | None:
    """Whether a line of this commissioner (code) and stream (key) is jointly commissioned under the
    round's split rules; None when the round declares none (a split is then optional)."""
    if not split_rules:
        return None
    return any(
        commissioner in rule.commissioners and (not rule.stream_keys or stream_key in rule.stream_keys)
        for rule in split_rules
    )


def joint_percentage_problem(
    percent_nhs: Decimal | None, percent_la: Decimal | None, *, joint: bool | None = None, commissioner: str = ""
) -> tuple[str, str] | None:
    """(field, message) when a line's % NHS / % LA split breaks the round's split rules: required on a
    joint line (`joint` True), refused on any other (False), optional when the round has no rules
    (None); when given, both are given and they add up to 100. `commissioner` is the line's
    commissioner as the user sees it, for the messages."""
    given = percent_nhs is not None or percent_la is not None
    if joint is False and given:
        field_name = "percent_nhs" if percent_nhs is not None else "percent_la"
        return (
            field_name,
            f"Leave % NHS and % LA blank: a line commissioned by {commissioner or 'this commissioner'} "
            "from this source of funding is not jointly commissioned",
        )
    if joint and not given:
        return ("percent_nhs", "Enter the % NHS and % LA of this jointly commissioned line, adding up to 100")
    if (percent_nhs is None) != (percent_la is None):
        return ("percent_nhs" if percent_nhs is None else "percent_la", "Enter both % NHS and % LA, or neither")
    if percent_nhs is not None and percent_la is not None and percent_nhs + percent_la != 100:
        return ("percent_la", "% NHS and % LA must add up to 100")
    return None


def sub_type_problem(scheme_type: str, sub_types: list[str], sub_type: str | None) -> str | None:
    """A message when a line's sub-type does not fit its scheme type: `sub_types` are the labels of the
    type's own sub-types (required when there are any), `sub_type` the chosen one's label."""
    if sub_type is None:
        return f"Choose the sub-type of {scheme_type}" if sub_types else None
    if sub_type not in sub_types:
        if not sub_types:
            return f"Leave the sub-type blank: {scheme_type} has no sub-types"
        return f"{sub_type} is not a sub-type of {scheme_type}. Choose one of: {', '.join(sub_types)}"
    return None


def planned_output_problem(
    scheme_type: str, output_unit: str, outputs: dict[str, Decimal | None], amounts: dict[str, Decimal | None]
) -> tuple[str, str] | None:
    """(year, message) when a line's planned outputs do not fit: none for a scheme type with no output
    unit, and none for a year the line spends nothing in (the output is what that year's spend buys)."""
    for year, output in outputs.items():
        if output is None:
            continue
        if not output_unit:
            return (year, f"Leave the planned outputs blank: {scheme_type} has no output unit")
        if amounts.get(year) is None:
            return (year, f"Enter the amount for {year} as well as its planned output, or clear the output")
    return None


def _at_least(key, name, year, subject, amount, what, required) -> RuleResult:
    """A rule that passes when an amount is at least what the round requires, saying both figures."""
    passed = amount >= required
    verb = "meets" if passed else "is below"
    message = f"{subject} is {format_pounds(amount)}, which {verb} {what} {format_pounds(required)}"
    return RuleResult(key=key, name=name, passed=passed, year=year, message=message)
