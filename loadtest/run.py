"""`make loadtest`: many commissioners editing, exporting and submitting at once, against gunicorn and PostgreSQL.

1. Recreates its own PostgreSQL database (bcf_h7_load) and seeds full plans with bench/seed.py,
   adding a second commissioner to each draft plan so colleagues edit the same plan at once, and
   taking a few more draft plans through sign-off (bench/seed.py: sign_off_plans) for submitting.
2. Serves it with gunicorn on 127.0.0.1 (bcf_portal/gunicorn.conf.py, DEBUG off, as in production;
   sessions in a Redis cache of its own, db 12, which every gunicorn process shares) with a Celery
   worker on Redis (db 7) rendering the exports and submitted files, and runs locust headless:
   200 users for 2 minutes, one in twenty of them submitting a signed-off plan once, then reading.
3. Checks, itself: zero failed requests; every edit a user saved (its unique text, recorded by the
   locustfile) is in the database (in the answer's history, since a colleague may have changed the
   answer again since); every plan submitted has exactly its Submission stored, and, once the worker
   has drained (at most DRAIN_LIMIT_S), each submission's PDF and workbook are made (files_status
   done). Prints the timings and writes var/loadtest/latest.json; exits non-zero if a check fails.

Everything binds to 127.0.0.1 only.
"""

import argparse
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
CACHE = "redis://127.0.0.1:6379/12"  # sessions (cached_db), shared by the gunicorn processes
SUBMITTER_SHARE = 20  # one user in twenty submits a plan
SPAWN_S = 20  # users arrive over 20 s: each signs in, and a sign-in's Argon2 check takes ~0.3 s of a core
DRAIN_LIMIT_S = 600  # how long the worker may take, after the run, to finish the submitted files


def log(message: str) -> None:
    print(f"[loadtest] {message}", flush=True)


def plan_url(plan, name: str) -> str:
    from django.urls import reverse

    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


def seed_users(password: str, areas: int, per_plan: int, submitters: int) -> tuple[list[dict], list[dict]]:
    """Seed the plans; sign off `submitters` of the draft plans.

    Returns one spec per commissioner of the other draft plans (per_plan of them per plan), and one
    per signed-off plan for its commissioner, who submits it.
    """
    from accounts.models import Membership, User
    from bench.seed import seed_national_dataset, sign_off_plans
    from plans.models import Plan
    from rounds.models import Question, Section

    seeded = seed_national_dataset(password=password, areas=areas)
    hashed = seeded["users"][0].password
    drafts = [(p, u) for p, u in zip(seeded["plans"], seeded["users"], strict=True) if p.status == Plan.Status.DRAFT]
    if len(drafts) <= submitters:
        raise SystemExit(f"{len(drafts)} draft plans: too few for {submitters} submitters and some editors")
    editing, signing = drafts[: len(drafts) - submitters], drafts[len(drafts) - submitters :]
    if signing:
        sign_off_plans(plans=[p for p, _ in signing], users=[u for _, u in signing])
    submitter_specs = []
    for plan, user in signing:
        plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
        submitter_specs.append(
            {
                "email": user.email,
                "plan": plan_url(plan, "plans:plan_overview"),
                "plan_id": plan.pk,
                "submit": plan_url(plan, "governance:submit"),
                "status": plan_url(plan, "governance:plan_status"),
            }
        )
    specs = []
    for plan, first in editing:
        plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
        base = plan_url(plan, "plans:plan_overview")
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
    return specs, submitter_specs


def start_worker(env: dict) -> subprocess.Popen:
    log_path = WORK / "worker.log"
    out = open(log_path, "wb")  # noqa: SIM115 - handed to the worker process
    # At the lowest CPU priority (nice 19) as in docker-compose.yml, so pages come first when both want the processor.
    command = ["nice", "-n", "19", sys.executable, "-m", "celery", "-A", "bcf_portal", "worker", "--pool=solo"]
    command += ["--loglevel=INFO"]
    command += ["-n", "h7-loadtest@%h", "--without-gossip", "--without-mingle"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


def run_locust(env: dict, users: int, seconds: int) -> dict:
    """Runs locust; its final stats and failures, as the locustfile writes them when it quits."""
    stats_path = WORK / "locust_final.json"
    stats_path.unlink(missing_ok=True)
    bench.locust_headless(
        "loadtest/locustfile.py",
        {**env, "LOADTEST_STATS": str(stats_path)},
        users=users,
        spawn_rate=max(1, users // SPAWN_S),
        seconds=seconds,
        stop_timeout=10,
    )
    final = json.loads(stats_path.read_text())
    stats = {f"{row['type']} {row['name']}".strip(): row for row in final["stats"]}
    for row in stats.values():
        del row["type"], row["name"]
    return {"stats": stats, "failures": final["failures"]}


def check_saved_edits(saved_path: Path) -> tuple[int, list[dict]]:
    """Every text a user saved is in the database: in the answer's history (or as its value)."""
    from plans.models import Answer

    saved = [json.loads(line) for line in saved_path.read_text().splitlines() if line.strip()]
    texts = {s["text"] for s in saved}
    found = set(Answer.history.filter(text__in=texts).values_list("text", flat=True))
    found |= set(Answer.objects.filter(text__in=texts).values_list("text", flat=True))
    return len(saved), [s for s in saved if s["text"] not in found]


def check_submissions(submitted_path: Path, submitters: list[dict]) -> dict:
    """Every submission a user made is stored: one Submission per plan submitted, none for the others."""
    from governance.models import Submission

    made = [json.loads(line) for line in submitted_path.read_text().splitlines() if line.strip()]
    plan_ids = [s["plan_id"] for s in submitters]
    stored = Submission.objects.filter(plan_id__in=plan_ids)
    missing = sorted({m["plan_id"] for m in made} - set(stored.values_list("plan_id", flat=True)))
    return {"submitters": len(submitters), "made": len(made), "stored": stored.count(), "missing": missing}


def wait_for_files(submitters: list[dict], limit_s: int) -> dict:
    """Wait (at most limit_s) until no submission's files are still being made; count done and failed."""
    from django.db import connections, models

    from governance.models import Submission

    started = time.monotonic()
    plan_ids = [s["plan_id"] for s in submitters]
    while True:
        counts = dict(
            Submission.objects.filter(plan_id__in=plan_ids)
            .values_list("files_status")
            .annotate(n=models.Count("pk"))
            .values_list("files_status", "n")
        )
        waited = time.monotonic() - started
        if not counts.get(Submission.FilesStatus.RENDERING) or waited > limit_s:
            connections.close_all()
            return {
                "files_done": counts.get(Submission.FilesStatus.DONE, 0),
                "files_failed": counts.get(Submission.FilesStatus.FAILED, 0),
                "files_rendering": counts.get(Submission.FilesStatus.RENDERING, 0),
                "drain_s": round(waited),
            }
        time.sleep(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--areas", type=int, default=48, help="areas seeded; two thirds are draft plans")
    parser.add_argument("--per-plan", type=int, default=2, help="commissioners per draft plan")
    parser.add_argument(
        "--submitters", type=int, help=f"users submitting a signed-off plan (default: one in {SUBMITTER_SHARE})"
    )
    args = parser.parse_args()
    submitters = args.submitters if args.submitters is not None else max(1, args.users // SUBMITTER_SHARE)
    if submitters >= args.users:
        parser.error("--submitters must leave some users to edit")

    database_url = os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_DB)
    bench.WORK, bench.PORT = WORK, PORT  # the benchmark's helpers, on our own port and folders
    env = {
        **bench.bench_env(database_url),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "CACHE_URL": CACHE,
    }
    WORK.mkdir(parents=True, exist_ok=True)
    saved_path, submitted_path = WORK / "saved.jsonl", WORK / "submitted.jsonl"
    saved_path.write_text("")
    submitted_path.write_text("")
    password = secrets.token_urlsafe(12)

    log(f"recreating {database_url.rsplit('/', 1)[1]} and loading the planning rounds")
    import redis

    for url in (BROKER, CACHE):  # the load test's own Redis databases: no queued tasks or sessions left over
        redis.Redis.from_url(url).flushdb()
    bench.recreate_database(database_url)
    bench.manage(env, "migrate", "--noinput")
    bench.manage(env, "load_round", "--all")
    bench.manage(env, "collectstatic", "--noinput")  # served with DEBUG off, from the manifest
    bench.setup_django(env)
    from django.db import connections

    specs, submitter_specs = seed_users(password, args.areas, args.per_plan, submitters)
    connections.close_all()
    log(
        f"seeded {args.areas} plans; {len(specs)} commissioners on {len(specs) // args.per_plan} draft plans,"
        f" {len(submitter_specs)} signed-off plans to submit"
    )

    worker = start_worker(env)
    try:
        server = bench.serve(env, port=PORT)  # its default port is the benchmark's
        try:
            log(
                f"{args.users} users ({submitters} submitting) for {args.seconds}s against gunicorn on 127.0.0.1:{PORT}"
            )
            started = time.monotonic()
            load = run_locust(
                {
                    **env,
                    "LOADTEST_PASSWORD": password,
                    "LOADTEST_USERS": json.dumps(specs),
                    "LOADTEST_SUBMITTERS": json.dumps(submitter_specs),
                    "LOADTEST_SAVED": str(saved_path),
                    "LOADTEST_SUBMITTED": str(submitted_path),
                },
                args.users,
                args.seconds,
            )
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        log(f"waiting (at most {DRAIN_LIMIT_S}s) for the worker to make the submitted files")
        files = wait_for_files(submitter_specs, DRAIN_LIMIT_S)
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    saved, missing = check_saved_edits(saved_path)
    submissions = check_submissions(submitted_path, submitter_specs)
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
    print(
        f"submissions: {submissions['submitters']} plans to submit, {submissions['made']} submitted,"
        f" {submissions['stored']} stored; files done {files['files_done']}, failed {files['files_failed']},"
        f" still being made {files['files_rendering']} ({files['drain_s']}s after the run)"
    )
    for failure in load["failures"][:20]:
        print(f"  failure: {failure['method']} {failure['name']}: {failure['error']} x{failure['occurrences']}")
    for item in missing[:20]:
        print(f"  missing: {item}")
    for plan_id in submissions["missing"]:
        print(f"  submission missing: plan {plan_id}")
    result = {
        "users": args.users,
        "seconds": round(elapsed),
        "failed_requests": failed,
        "edits_saved": saved,
        "edits_missing": len(missing),
        "submitters": submissions["submitters"],
        "submissions_made": submissions["made"],
        "submissions_stored": submissions["stored"],
        "submissions_missing": len(submissions["missing"]),
        **{f"submission_{k}": v for k, v in files.items()},
        "stats": stats,
    }
    (WORK / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    checks = {
        "zero failed requests": failed == 0,
        "every saved edit in the database": saved > 0 and not missing,
        "every plan submitted once and stored": submissions["made"]
        == submissions["submitters"]
        == submissions["stored"]
        and not submissions["missing"],
        "every submission's files made": files["files_done"] == submissions["stored"],
    }
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    ok = all(checks.values())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
