"""Reference data files as a national team has them, generated: 150 HWB areas, their organisations and a
round's allocations, as CSV text. Used by the importer's tests and the national round browser journey.

The ONS codes (E06100001…) and names are made up, so they never collide with the shipped reference data.
"""

import csv
import io

REGIONS = ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"]  # the shipped NHS England regions
AREA_COUNT = 150


def ons(i: int) -> str:
    return f"E06{100000 + i:06d}"


def area_name(i: int) -> str:
    return f"Testshire {i:03d}"


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def areas_csv(count: int = AREA_COUNT) -> str:
    return _csv(
        ["ONS code", "Name", "Region"], [[ons(i), area_name(i), REGIONS[i % len(REGIONS)]] for i in range(1, count + 1)]
    )


def organisations_csv(count: int = AREA_COUNT, *, ccg_last_round: str = "", icb_first_round: str = "") -> str:
    rows = []
    for i in range(1, count + 1):
        rows.append([ons(i), f"{area_name(i)} Council", "local_authority", ons(i), "", ""])
        rows.append([f"C{i:03d}", f"NHS {area_name(i)} CCG", "ccg", ons(i), "", ccg_last_round])
    # One integrated care board serves ten areas.
    for first in range(1, count + 1, 10):
        served = " ".join(ons(i) for i in range(first, min(first + 10, count + 1)))
        rows.append([f"Q{first:03d}", f"NHS Testshire ICB {first:03d}", "icb", served, icb_first_round, ""])
    return _csv(["code", "name", "kind", "hwb_areas", "first_round", "last_round"], rows)


def allocation_rows(count: int = AREA_COUNT, *, years=("2014/15", "2015/16")) -> list[list]:
    rows = []
    for i in range(1, count + 1):
        for year in years:
            rows.append([ons(i), "minimum_pool", year, f"{1_000_000 + i * 1000}.00"])
            rows.append([ons(i), "ccg-minimum", year, f"{800_000 + i * 1000}"])
    return rows


ALLOCATION_HEADER = ["ons_code", "key", "year", "amount"]


def allocations_csv(count: int = AREA_COUNT) -> str:
    return _csv(ALLOCATION_HEADER, allocation_rows(count))


def allocations_with_five_errors_csv(count: int = AREA_COUNT) -> tuple[str, list[str]]:
    """The allocations with five deliberate mistakes; returns the file and what each row's message should say.

    Data rows start at spreadsheet row 2 (row 1 holds the headings).
    """
    rows = allocation_rows(count)
    rows[0][0] = "E06999998"  # row 2: an unknown area
    rows[1][1] = "ccg_minimum"  # row 3: a key the round does not define (wrong separator)
    rows[2][2] = "2017/18"  # row 4: a year outside the round
    rows[3][3] = "-5000"  # row 5: a negative amount
    rows.append(list(rows[10]))  # the last row: a duplicate of row 12
    expected = [
        "Row 2, column A (ons_code)",
        "Row 3, column B (key)",
        "Row 4, column C (year)",
        "Row 5, column D (amount)",
        f"Row {len(rows) + 1}, column B (key)",
    ]
    return _csv(ALLOCATION_HEADER, rows), expected
