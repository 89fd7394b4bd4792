"""Upload one workbook in a fresh process and print, as JSON, how long it took and the process's peak memory.

Run by tests/finance/test_import_bounds.py against the test database, so memory is measured for this
upload alone (and this process's Django), never for the test runner:

    python -m tests.finance.import_probe web|command FILE ONS_CODE ROUND_SLUG USER_EMAIL
"""

import io
import json
import sys
import time


def peak_resident_bytes() -> int:
    """This process's peak resident memory since it started (VmHWM). Not ru_maxrss: Linux carries that
    over from the parent at fork and exec, so it would include the test runner's own memory."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # kB


def main(path: str, file: str, ons_code: str, round_slug: str, email: str) -> None:
    import django

    django.setup()
    from django.core.management import CommandError, call_command
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    if path == "web":
        client = Client()
        client.force_login(User.objects.get(email=email))
        url = reverse("finance:import", kwargs={"round_slug": round_slug, "ons_code": ons_code})
        started, cpu = time.monotonic(), time.process_time()
        with open(file, "rb") as upload:
            response = client.post(url, {"workbook": upload})
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        outcome = {"status": response.status_code, "text": response.content.decode()}
    else:
        out, err = io.StringIO(), io.StringIO()
        started, cpu = time.monotonic(), time.process_time()
        try:
            call_command("import_part2", file, area=ons_code, round=round_slug, dry_run=True, stdout=out, stderr=err)
            status = 0
        except CommandError:
            status = 1
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        outcome = {"status": status, "text": out.getvalue() + err.getvalue()}
    peak = peak_resident_bytes()
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak, **outcome}))


if __name__ == "__main__":
    main(*sys.argv[1:])
