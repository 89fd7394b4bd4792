"""The demo plans' Part 2 figures, built with factories until the shared demo data lands.

Barking & Dagenham 2017–19 income is the seed's own table (£'000): total pool 21,758 in
2017/18 and 24,236 in 2018/19. The seed does not split spend by scheme, so the expenditure
lines below divide each source's income exactly between the seed's named schemes (spend
equals income per source, the boundary of the "spend within income" rule). Ring-fence
allocations are illustrative, set to the spend they cover.

Plymouth 2014/15: pool £5,700,000 (2014/15) and £19,532,000 (2015/16), minimum = agreed.
"""

from decimal import Decimal

from accounts.models import Membership
from rounds.models import CodeListEntry, Organisation
from tests import factories as f

K = Decimal(1000)

CODE_LISTS = {
    "scheme_type": [
        ("hicm", "HICM for Managing Transfer of Care"),
        ("intermediate-care", "Intermediate Care Services"),
        ("prevention", "Prevention / Early Intervention"),
        ("dfg", "DFG Related Schemes"),
        ("residential", "Residential Placements"),
        ("home-care", "Home Care or Domiciliary Care"),
        ("other", "Other"),
    ],
    "area_of_spend": [
        ("social-care", "Social Care"),
        ("acute", "Acute"),
        ("community-health", "Community Health"),
        ("mental-health", "Mental Health"),
        ("primary-care", "Primary Care"),
        ("other", "Other"),
    ],
    "commissioner": [("la", "Local Authority"), ("ccg", "CCG"), ("joint", "Joint")],
    "provider": [
        ("la", "Local Authority"),
        ("nhs-community", "NHS Community Provider"),
        ("nhs-mental-health", "NHS Mental Health Provider"),
        ("private", "Private Sector"),
        ("voluntary", "Charity/Voluntary Sector"),
    ],
    "risk_rating": [("high", "High"), ("medium", "Medium"), ("low", "Low")],
}


def build_round(slug: str, name: str, years: list[str], streams: list[tuple[str, str, str]]):
    rnd = f.PlanningRoundFactory(slug=slug, name=name)
    year_rows = {label: f.RoundYearFactory(round=rnd, label=label, order=i) for i, label in enumerate(years)}
    stream_rows = {
        key: f.FundingStreamFactory(round=rnd, key=key, name=label, contributor=who, order=i)
        for i, (key, label, who) in enumerate(streams)
    }
    codes = {}
    for list_name, entries in CODE_LISTS.items():
        for i, (code, label) in enumerate(entries):
            codes[(list_name, code)] = f.CodeListEntryFactory(
                round=rnd, list=list_name, code=code, label=label, order=i
            )
    return rnd, year_rows, stream_rows, codes


def build_round_2017_19():
    rnd, years, streams, codes = build_round(
        "2017-19",
        "Integration and Better Care Fund 2017–19",
        ["2017/18", "2018/19"],
        [
            ("ccg-minimum", "CCG minimum contribution", "nhs"),
            ("dfg", "Disabled Facilities Grant", "la"),
            ("ibcf", "Improved Better Care Fund", "la"),
            ("additional-asc", "Additional adult social care funding", "la"),
            ("additional-la", "Additional LA contribution", "la"),
            ("additional-ccg", "Additional CCG contribution", "nhs"),
        ],
    )
    for order, (key, heading, table) in enumerate(
        [
            ("income", "Income", "income"),
            ("expenditure", "Expenditure", "expenditure"),
            ("metrics", "Metrics", "metrics"),
        ],
        start=50,
    ):
        f.SectionFactory(round=rnd, key=key, part=2, number="", heading=heading, table=table, order=order)
    fences = {
        "nhs-asc": f.RingFenceFactory(
            round=rnd,
            key="nhs-asc",
            name="NHS contribution to adult social care",
            funding_stream=streams["ccg-minimum"],
            area_of_spend=codes[("area_of_spend", "social-care")],
        ),
        "ooh": f.RingFenceFactory(
            round=rnd,
            key="ooh",
            name="NHS-commissioned out-of-hospital services",
            funding_stream=streams["ccg-minimum"],
            commissioner=codes[("commissioner", "ccg")],
        ),
    }
    metrics = [
        f.MetricFactory(
            round=rnd,
            key="nel",
            name="Non-elective admissions",
            unit="count",
            periods=["2017/18", "2018/19"],
            order=1,
        ),
        f.MetricFactory(
            round=rnd,
            key="residential",
            name="Permanent admissions of older people to residential care",
            unit="rate_per_100k",
            denominator="Population aged 65+",
            periods=["2017/18", "2018/19"],
            order=2,
        ),
    ]
    return rnd, years, streams, codes, fences, metrics


BD_INCOME = {  # £'000 by stream: (2017/18, 2018/19); LA lines then the CCG
    "dfg": (1391, 1517),
    "ibcf": (1044, 4910),
    "additional-asc": (4385, 2616),
    "additional-la": (1523, 1523),
    "ccg-minimum": (13415, 13670),
}
BD_TOTALS = {"2017/18": Decimal(21_758_000), "2018/19": Decimal(24_236_000)}
# reference, name, type, area, commissioner, provider, stream, 17/18, 18/19 (£'000), new, joint %NHS
BD_SCHEMES = [
    ("BD01", "Joint Assessment and Discharge service", "hicm", "community-health", "ccg", "nhs-community", "ccg-minimum", 2100, 2140, False, None),
    ("BD02", "Crisis Intervention", "intermediate-care", "community-health", "ccg", "nhs-community", "ccg-minimum", 1800, 1835, False, None),
    ("BD03", "Intermediate Care", "intermediate-care", "community-health", "ccg", "nhs-community", "ccg-minimum", 2600, 2650, False, None),
    ("BD04", "Mental health out-of-hospital services", "hicm", "mental-health", "ccg", "nhs-mental-health", "ccg-minimum", 900, 917, False, None),
    ("BD05", "End of Life Care", "other", "community-health", "ccg", "voluntary", "ccg-minimum", 415, 423, True, None),
    ("BD06", "Handyperson service", "prevention", "social-care", "la", "la", "additional-la", 223, 223, False, None),
    ("BD07", "Red Cross Home from Hospital", "prevention", "social-care", "la", "voluntary", "additional-la", 300, 300, False, None),
    ("BD08", "Equipment and adaptations", "prevention", "social-care", "la", "private", "additional-la", 1000, 1000, False, None),
    ("BD09", "Disabled Facilities Grant", "dfg", "social-care", "la", "la", "dfg", 1391, 1517, False, None),
    ("BD10", "Personal budget and PA rates", "home-care", "social-care", "la", "private", "ibcf", 344, 1910, True, None),
    ("BD11", "Care home rates", "residential", "social-care", "la", "private", "ibcf", 700, 3000, True, None),
    ("BD12", "Protecting social care: base care packages", "home-care", "social-care", "la", "la", "ccg-minimum", 5600, 5705, False, None),
    ("BD13", "Dementia", "other", "social-care", "la", "private", "additional-asc", 1385, 816, False, None),
    ("BD14", "Localities", "other", "social-care", "joint", "la", "additional-asc", 3000, 1800, True, Decimal(50)),
]  # fmt: skip


def _add_commissioner(area):
    membership = f.MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER)
    return membership.user


def build_barking_and_dagenham():
    """B&D's 2017–19 Part 2, returning (plan, commissioner)."""
    rnd, years, streams, codes, fences, metrics = build_round_2017_19()
    region = f.RegionFactory(code="LON", name="London")
    area = f.HwbAreaFactory(ons_code="E09000002", name="Barking and Dagenham", region=region)
    council = f.OrganisationFactory(
        name="London Borough of Barking and Dagenham", kind=Organisation.Kind.LOCAL_AUTHORITY
    )
    ccg = f.OrganisationFactory(name="NHS Barking and Dagenham CCG", kind=Organisation.Kind.CCG)
    council.hwb_areas.add(area)
    ccg.hwb_areas.add(area)
    plan = f.PlanFactory(round=rnd, hwb_area=area)
    y1, y2 = years["2017/18"], years["2018/19"]
    for key, (a1, a2) in BD_INCOME.items():
        org = ccg if streams[key].contributor == "nhs" else council
        f.IncomeLineFactory(plan=plan, funding_stream=streams[key], organisation=org, year=y1, amount=a1 * K)
        f.IncomeLineFactory(plan=plan, funding_stream=streams[key], organisation=org, year=y2, amount=a2 * K)
    # The minimum pool is the mandatory streams (everything but the LA's own base budgets).
    mandatory = {y: sum(v[i] for k, v in BD_INCOME.items() if k != "additional-la") * K for i, y in enumerate(years)}
    for label, year in years.items():
        f.AllocationFactory(round=rnd, hwb_area=area, year=year, key="minimum_pool", amount=mandatory[label])
    f.AllocationFactory(round=rnd, hwb_area=area, year=y1, key="nhs-asc", amount=5600 * K)
    f.AllocationFactory(round=rnd, hwb_area=area, year=y2, key="nhs-asc", amount=5705 * K)
    f.AllocationFactory(round=rnd, hwb_area=area, year=y1, key="ooh", amount=3812 * K)
    f.AllocationFactory(round=rnd, hwb_area=area, year=y2, key="ooh", amount=3884 * K)
    for i, (ref, name, stype, aos, comm, prov, stream, a1, a2, new, pct) in enumerate(BD_SCHEMES):
        scheme = f.PartTwoSchemeFactory(
            plan=plan,
            reference=ref,
            name=name,
            scheme_type=codes[("scheme_type", stype)],
            lead_commissioner=codes[("commissioner", comm)],
            area_of_spend=codes[("area_of_spend", aos)],
            is_new=new,
            order=i,
        )
        line = f.ExpenditureLineFactory(
            plan=plan,
            scheme=scheme,
            scheme_type=codes[("scheme_type", stype)],
            area_of_spend=codes[("area_of_spend", aos)],
            commissioner=codes[("commissioner", comm)],
            provider=codes[("provider", prov)],
            funding_stream=streams[stream],
            percent_nhs=pct,
            percent_la=(100 - pct) if pct is not None else None,
            is_new=new,
            order=i,
        )
        f.ExpenditureAmountFactory(line=line, year=y1, amount=a1 * K)
        f.ExpenditureAmountFactory(line=line, year=y2, amount=a2 * K)
    # DToC-style ambition from the seed's figures is not a round metric here; NEL and residential are.
    f.MetricAmbitionFactory(
        plan=plan,
        metric=metrics[1],
        baseline_value=Decimal("672.3"),
        baseline_period="2016/17",
        baseline_numerator=Decimal(130),
        baseline_denominator=Decimal(19337),
        rationale="Keep admissions flat while the 65+ population grows.",
        order=2,
    )
    plan.refresh_from_db()
    return plan, _add_commissioner(area)


def build_plymouth():
    """Plymouth's 2014/15 Part 2 pool: minimum = agreed, £5.7m and £19.532m."""
    rnd, years, streams, codes = build_round(
        "2014-15",
        "Better Care Fund 2014/15 to 2015/16",
        ["2014/15", "2015/16"],
        [
            ("ccg-minimum", "CCG minimum contribution", "nhs"),
            ("dfg-capital", "DFG and social care capital", "la"),
            ("additional-la", "Additional LA contribution", "la"),
            ("additional-ccg", "Additional CCG contribution", "nhs"),
        ],
    )
    region = f.RegionFactory(code="SW", name="South West")
    area = f.HwbAreaFactory(ons_code="E06000026", name="Plymouth", region=region)
    council = f.OrganisationFactory(name="Plymouth City Council", kind=Organisation.Kind.LOCAL_AUTHORITY)
    ccg = f.OrganisationFactory(name="NHS Northern, Eastern and Western Devon CCG", kind=Organisation.Kind.CCG)
    council.hwb_areas.add(area)
    ccg.hwb_areas.add(area)
    plan = f.PlanFactory(round=rnd, hwb_area=area)
    y1, y2 = years["2014/15"], years["2015/16"]
    figures = {  # stream: (organisation, 2014/15, 2015/16)
        "ccg-minimum": (ccg, Decimal(5_700_000), Decimal(17_291_000)),
        "dfg-capital": (council, Decimal(0), Decimal(2_241_000)),
    }
    for key, (org, a1, a2) in figures.items():
        f.IncomeLineFactory(plan=plan, funding_stream=streams[key], organisation=org, year=y1, amount=a1)
        f.IncomeLineFactory(plan=plan, funding_stream=streams[key], organisation=org, year=y2, amount=a2)
    f.AllocationFactory(round=rnd, hwb_area=area, year=y1, key="minimum_pool", amount=Decimal(5_700_000))
    f.AllocationFactory(round=rnd, hwb_area=area, year=y2, key="minimum_pool", amount=Decimal(19_532_000))
    schemes = [  # the seed's 2014/15 schemes; the split of the pool between them is illustrative
        ("P01", "Crisis Support", "intermediate-care", "community-health", "ccg", "nhs-community", "ccg-minimum", 2_000_000, 6_000_000),
        ("P02", "Supporting Hospital Discharges", "hicm", "social-care", "la", "voluntary", "ccg-minimum", 700_000, 2_291_000),
        ("P03", "Promoting Independent Living", "dfg", "social-care", "la", "la", "dfg-capital", 0, 2_241_000),
        ("P04", "Protecting Social Care", "home-care", "social-care", "la", "la", "ccg-minimum", 2_500_000, 7_000_000),
        ("P05", "Care Coordination", "other", "community-health", "joint", "nhs-community", "ccg-minimum", 500_000, 2_000_000),
    ]  # fmt: skip
    for i, (ref, name, stype, aos, comm, prov, stream, a1, a2) in enumerate(schemes):
        scheme = f.PartTwoSchemeFactory(
            plan=plan,
            reference=ref,
            name=name,
            scheme_type=codes[("scheme_type", stype)],
            lead_commissioner=codes[("commissioner", comm)],
            area_of_spend=codes[("area_of_spend", aos)],
            order=i,
        )
        line = f.ExpenditureLineFactory(
            plan=plan,
            scheme=scheme,
            scheme_type=codes[("scheme_type", stype)],
            area_of_spend=codes[("area_of_spend", aos)],
            commissioner=codes[("commissioner", comm)],
            provider=codes[("provider", prov)],
            funding_stream=streams[stream],
            percent_nhs=Decimal(60) if comm == "joint" else None,
            percent_la=Decimal(40) if comm == "joint" else None,
            order=i,
        )
        f.ExpenditureAmountFactory(line=line, year=y1, amount=Decimal(a1))
        f.ExpenditureAmountFactory(line=line, year=y2, amount=Decimal(a2))
    risk_rating = CodeListEntry.objects.get(round=rnd, list="risk_rating", code="high")
    plan.risks.create(
        description="=SUM(A1) savings are insufficient to fund the plan",
        rating=risk_rating,
        mitigating_actions="+ Monthly review at the joint commissioning board",
        owner="@Integrated Commissioning Board",
    )
    plan.refresh_from_db()
    return plan, _add_commissioner(area)
