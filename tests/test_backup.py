"""make backup / make restore: the demo, backed up and restored into a fresh PostgreSQL database and media
folder, has every plan, submission and stored file with matching hashes; a tampered backup is refused."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import User
from governance.models import Submission
from plans.models import Plan, RelatedDocument

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def run(command, *, database_url, media_root):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bcf_portal.settings",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
    }
    return subprocess.run(
        [sys.executable, "scripts/backup.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg.connect(_url("postgres").replace("postgres://", "postgresql://"), autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def demo_with_files(demo_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    plan = Plan.objects.order_by("pk").first()
    pdf, workbook, document = b"%PDF-1.4 submitted plan", b"PK\x03\x04 submitted workbook", b"%PDF-1.4 a document"
    Submission.objects.create(
        plan=plan,
        version=plan.version,
        snapshot={"area": plan.hwb_area.name},
        snapshot_sha256="0" * 64,
        pdf=ContentFile(pdf, name="submission.pdf"),
        pdf_sha256=sha(pdf),
        workbook=ContentFile(workbook, name="submission.xlsx"),
        workbook_sha256=sha(workbook),
        files_status=Submission.FilesStatus.DONE,
        submitted_by=User.objects.order_by("pk").first(),
        submitted_at=timezone.now(),
    )
    RelatedDocument.objects.create(plan=plan, title="Evidence", file=ContentFile(document, name=f"{sha(document)}.pdf"))
    return settings.MEDIA_ROOT


def test_the_demo_is_restored_with_every_plan_submission_and_file(demo_with_files, fresh_database, tmp_path):
    source = _url(connection.settings_dict["NAME"])
    made = run(["backup", "--out", str(tmp_path / "backups")], database_url=source, media_root=demo_with_files)
    assert made.returncode == 0, made.stderr
    folder = Path(made.stdout.strip())
    restored_media = tmp_path / "restored-media"
    done = run(["restore", str(folder)], database_url=_url(fresh_database), media_root=restored_media)
    assert done.returncode == 0, done.stderr

    plans = list(Plan.objects.order_by("pk").values_list("pk", "hwb_area__ons_code", "status", "version"))
    submissions = list(
        Submission.objects.order_by("pk").values_list("pk", "pdf", "pdf_sha256", "workbook", "workbook_sha256")
    )
    documents = list(RelatedDocument.objects.exclude(file="").values_list("pk", "file"))
    assert plans and submissions and documents
    with psycopg.connect(_url(fresh_database).replace("postgres://", "postgresql://")) as restored:
        assert (
            restored.execute(
                "SELECT p.id, a.ons_code, p.status, p.version FROM plans_plan p"
                " JOIN rounds_hwbarea a ON a.id = p.hwb_area_id ORDER BY p.id"
            ).fetchall()
            == plans
        )
        assert (
            restored.execute(
                "SELECT id, pdf, pdf_sha256, workbook, workbook_sha256 FROM governance_submission ORDER BY id"
            ).fetchall()
            == submissions
        )
        assert restored.execute("SELECT id, file FROM plans_relateddocument WHERE file <> ''").fetchall() == documents
    for _, pdf, pdf_sha, workbook, workbook_sha in submissions:
        assert sha((restored_media / pdf).read_bytes()) == pdf_sha
        assert sha((restored_media / workbook).read_bytes()) == workbook_sha
    for _, name in documents:
        assert (restored_media / name).read_bytes() == (demo_with_files / name).read_bytes()
    original = sorted(p.relative_to(demo_with_files).as_posix() for p in demo_with_files.rglob("*") if p.is_file())
    assert (
        sorted(p.relative_to(restored_media).as_posix() for p in restored_media.rglob("*") if p.is_file()) == original
    )


@pytest.mark.parametrize("tamper", ["media file", "database dump", "extra file"])
def test_a_tampered_backup_is_refused_and_nothing_is_restored(demo_with_files, fresh_database, tmp_path, tamper):
    made = run(
        ["backup", "--out", str(tmp_path / "backups")],
        database_url=_url(connection.settings_dict["NAME"]),
        media_root=demo_with_files,
    )
    folder = Path(made.stdout.strip())
    if tamper == "media file":
        victim = next(p for p in (folder / "media").rglob("*") if p.is_file())
        victim.write_bytes(victim.read_bytes() + b" changed")
    elif tamper == "database dump":
        dump = folder / "database.dump"
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0xFF
        dump.write_bytes(bytes(data))
    else:
        (folder / "media" / "planted.pdf").write_bytes(b"%PDF-1.4 planted")
    restored_media = tmp_path / "restored-media"
    refused = run(["restore", str(folder)], database_url=_url(fresh_database), media_root=restored_media)
    assert refused.returncode == 2
    assert "does not match its manifest" in refused.stderr
    assert not restored_media.exists()
    with psycopg.connect(_url(fresh_database).replace("postgres://", "postgresql://")) as restored:
        assert restored.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
