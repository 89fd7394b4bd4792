"""Back up and restore the portal: the PostgreSQL database and the media files, with a manifest of SHA-256 checksums.

    python scripts/backup.py backup [--out backups/]        # prints the new backup's folder
    python scripts/backup.py restore backups/20261130-1200  # into DATABASE_URL and MEDIA_ROOT

A backup is a folder: `database.dump` (pg_dump's custom format), `media/` (a copy of every file under
MEDIA_ROOT) and `manifest.json` (the SHA-256 of the dump and of every media file). Restore checks every
checksum, and that no file was added or removed, before it touches anything, and refuses a backup that
does not match. It restores into an empty database (create it first) and an empty or missing media folder.
The database and media folder are DATABASE_URL and MEDIA_ROOT, as the portal itself reads them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"


class BackupRefused(Exception):
    """The backup does not match its manifest, or the target is not empty: nothing was restored."""


def _settings():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bcf_portal.settings")
    from django.conf import settings

    return settings


def _database(settings) -> dict:
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        raise SystemExit(
            "make backup needs PostgreSQL (DATABASE_URL=postgres://...); the SQLite default is one file under var/."
        )
    return database


def _pg_env(database) -> dict:
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def _pg_args(database) -> list[str]:
    args = ["--host", str(database.get("HOST") or "127.0.0.1"), "--port", str(database.get("PORT") or 5432)]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    return args


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(out: Path) -> Path:
    settings = _settings()
    database = _database(settings)
    media_root = Path(settings.MEDIA_ROOT)
    folder = out / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--file",
            str(folder / DUMP),
            *_pg_args(database),
            database["NAME"],
        ],
        check=True,
        env=_pg_env(database),
    )
    media: dict[str, str] = {}
    if media_root.exists():
        for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
            relative = path.relative_to(media_root).as_posix()
            target = folder / MEDIA / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            media[relative] = sha256(target)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "database": {"name": database["NAME"], "file": DUMP, "sha256": sha256(folder / DUMP)},
        "media": media,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return folder


def verify(folder: Path) -> dict:
    """The manifest, once every checksum matches and no file is missing or extra; BackupRefused otherwise."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupRefused(f"{folder} has no readable {MANIFEST}: {error}") from error
    problems = []
    dump = folder / manifest["database"]["file"]
    if not dump.is_file() or sha256(dump) != manifest["database"]["sha256"]:
        problems.append(f"{manifest['database']['file']}: checksum does not match")
    found = {p.relative_to(folder / MEDIA).as_posix() for p in (folder / MEDIA).rglob("*") if p.is_file()}
    for relative, expected in manifest["media"].items():
        if relative not in found:
            problems.append(f"media/{relative}: missing")
        elif sha256(folder / MEDIA / relative) != expected:
            problems.append(f"media/{relative}: checksum does not match")
    problems += [f"media/{extra}: not in the manifest" for extra in sorted(found - set(manifest["media"]))]
    if problems:
        raise BackupRefused("The backup does not match its manifest; nothing was restored:\n  " + "\n  ".join(problems))
    return manifest


def restore(folder: Path) -> None:
    manifest = verify(folder)
    settings = _settings()
    database = _database(settings)
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupRefused(f"MEDIA_ROOT {media_root} is not empty; restore into an empty folder.")
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            database["NAME"],
            *_pg_args(database),
            str(folder / DUMP),
        ],
        check=True,
        env=_pg_env(database),
    )
    for relative, expected in manifest["media"].items():
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / MEDIA / relative, target)
        if sha256(target) != expected:
            raise BackupRefused(f"{target} does not match the manifest after copying.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="dump the database and copy the media files")
    make.add_argument("--out", type=Path, default=ROOT / "backups")
    back = commands.add_parser("restore", help="check a backup's checksums, then restore it")
    back.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            print(backup(args.out))
        else:
            restore(args.folder)
            print(f"Restored {args.folder}")
    except BackupRefused as refused:
        print(refused, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
