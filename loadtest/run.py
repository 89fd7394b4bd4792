"""`make loadtest`: many commissioners editing and exporting at once, against gunicorn and PostgreSQL.

1. Recreates its own PostgreSQL database (bcf_h7_load) and seeds full plans with bench/seed.py,
   adding a second commissioner to each draft plan so colleagues edit the same plan at once.
2. Serves it with gunicorn on 127.0.0.1 (DEBUG off, as in production) with a Celery worker on
   Redis (db 7) rendering the exports, and runs locust headless: 50 users for 2 minutes.
3. Checks, itself: zero failed requests, and every edit a user saved (its unique text, recorded
   by the locustfile) is in the database (in the answer's history, since a colleague may have
   changed the answer again since). Prints the timings; exits non-zero if a check fails.

Everything binds to 127.0.0.1 only.
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.run as bench  # noqa: E402 - the benchmark's database, gunicorn and Django helpers

WORK = ROOT / "var" / "loadtest"
PORT = 8779
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bcf_h7_load"
BROKER = "redis://127.0.0.1:6379/7"


def log(message: str) -> None:
    print(f"[loadtest] {message}", flush=True)


def seed_users(password: str, areas: int, per_plan: int) -> list[dict]:
    """Seed the plans; return one spec per commissioner of a draft plan (per_plan of them per plan)."""
    from accounts.models import Membership, User
    from bench.seed import seed_national_dataset
    from plans.models import Plan
    from rounds.models import Question, Section

    seeded = seed_national_dataset(password=password, areas=areas)
    hashed = seeded["users"][0].password
    specs = []
    for plan, first in zip(seeded["plans"], seeded["users"], strict=True):
        if plan.status != Plan.Status.DRAFT:
            continue
        plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
        base = f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/"
        sections = []
        for section in Section.objects.filter(round=plan.round, table="").order_by("order"):
            fields = [
                f"q_{q.key}"
                for q in Question.objects.filter(
                    section=section, kind__in=[Question.Kind.NARRATIVE, Question.Kind.TEXT]
                )
            ]
            if fields:
                sections.append({"key": section.key, "url": f"{base}sections/{section.key}/", "fields": fields})
        colleagues = [first]
        for n in range(1, per_plan):
            user = User.objects.create(email=f"colleague{n}-{first.email}", full_name=f"Colleague {n}", password=hashed)
            Membership.objects.create(user=user, role=Membership.Role.COMMISSIONER, hwb_area=plan.hwb_area)
            colleagues.append(user)
        specs.extend({"email": u.email, "plan": base, "sections": sections} for u in colleagues)
    return specs


def start_worker(env: dict) -> subprocess.Popen:
    log_path = WORK / "worker.log"
    out = open(log_path, "wb")  # noqa: SIM115 - handed to the worker process
    command = [sys.executable, "-m", "celery", "-A", "bcf_portal", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["-n", "h7-loadtest@%h", "--without-gossip", "--without-mingle"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


def run_locust(env: dict, users: int, seconds: int) -> dict[str, dict]:
    rows = bench.locust_headless(
        "loadtest/locustfile.py", env, users=users, spawn_rate=max(1, users // 5), seconds=seconds, stop_timeout=10
    )
    stats = {
        f"{row['Type']} {row['Name']}".strip(): {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "max_ms": float(row["Max Response Time"] or 0),
            "rps": float(row["Requests/s"] or 0),
        }
        for row in rows
    }
    failures = []
    failures_csv = WORK / "locust_failures.csv"
    if failures_csv.exists():
        failures = list(csv.DictReader(failures_csv.open()))
    return {"stats": stats, "failures": failures}


def check_saved_edits(saved_path: Path) -> tuple[int, list[dict]]:
    """Every text a user saved is in the database: in the answer's history (or as its value)."""
    from plans.models import Answer

    saved = [json.loads(line) for line in saved_path.read_text().splitlines() if line.strip()]
    texts = {s["text"] for s in saved}
    found = set(Answer.history.filter(text__in=texts).values_list("text", flat=True))
    found |= set(Answer.objects.filter(text__in=texts).values_list("text", flat=True))
    return len(saved), [s for s in saved if s["text"] not in found]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--areas", type=int, default=36, help="areas seeded; two thirds are draft plans")
    parser.add_argument("--per-plan", type=int, default=2, help="commissioners per draft plan")
    args = parser.parse_args()

    database_url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DB)
    bench.WORK, bench.PORT = WORK, PORT  # the benchmark's helpers, on our own port and folders
    env = {
        **bench.bench_env(database_url),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
    }
    WORK.mkdir(parents=True, exist_ok=True)
    saved_path = WORK / "saved.jsonl"
    saved_path.write_text("")
    password = secrets.token_urlsafe(12)

    log(f"recreating {database_url.rsplit('/', 1)[1]} and loading the planning rounds")
    bench.recreate_database(database_url)
    bench.manage(env, "migrate", "--noinput")
    bench.manage(env, "load_round", "--all")
    bench.manage(env, "collectstatic", "--noinput")  # served with DEBUG off, from the manifest
    bench.setup_django(env)
    from django.db import connections

    specs = seed_users(password, args.areas, args.per_plan)
    connections.close_all()
    log(f"seeded {args.areas} plans; {len(specs)} commissioners on {len(specs) // args.per_plan} draft plans")

    worker = start_worker(env)
    server = bench.serve(env, port=PORT)  # its default port is the benchmark's
    try:
        log(f"{args.users} users for {args.seconds}s against gunicorn on 127.0.0.1:{PORT}")
        started = time.monotonic()
        load = run_locust(
            {
                **env,
                "LOADTEST_PASSWORD": password,
                "LOADTEST_USERS": json.dumps(specs),
                "LOADTEST_SAVED": str(saved_path),
            },
            args.users,
            args.seconds,
        )
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        worker.terminate()
        worker.wait(timeout=30)

    saved, missing = check_saved_edits(saved_path)
    stats = load["stats"]
    total = stats.get("Aggregated", {})
    failed = sum(s["failures"] for name, s in stats.items() if name != "Aggregated")
    print()
    print(f"{'request':45} {'count':>7} {'fail':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, s in sorted(stats.items()):
        print(f"{name:45} {s['requests']:7} {s['failures']:5} {s['p50_ms']:8.0f} {s['p95_ms']:8.0f} {s['max_ms']:8.0f}")
    print()
    print(f"users {args.users}, {elapsed:.0f}s, {total.get('requests', 0)} requests, {total.get('rps', 0):.1f}/s")
    print(f"failed requests: {failed}")
    print(f"edits saved: {saved}; missing from the database: {len(missing)}")
    for failure in load["failures"][:20]:
        print(
            f"  failure: {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')} x{failure.get('Occurrences')}"
        )
    for item in missing[:20]:
        print(f"  missing: {item}")
    result = {
        "users": args.users,
        "seconds": round(elapsed),
        "failed_requests": failed,
        "edits_saved": saved,
        "edits_missing": len(missing),
        "stats": stats,
    }
    (WORK / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    ok = failed == 0 and not missing and saved > 0
    print("PASS" if ok else "FAIL", "- zero failed requests and every saved edit in the database" if ok else "")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
