"""The project's own health: system checks, migrations in step with models, compose file valid."""

import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_manage_py_check_is_clean():
    out = StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()


def test_no_noise_on_manage_py_commands():
    # WeasyPrint logs each stylesheet it parses at INFO, and importing it parses its own: every
    # command used to print "Step 2 - Fetching and parsing CSS - CSS string" three times.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    # Raises SystemExit(1) when a migration is missing.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_file_is_valid():
    command = compose_command()
    assert command, "no docker compose client: scripts/setup.sh --dev installs docker-compose"
    result = subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "SECRET_KEY": "compose-config-check", "SITE_URL": "https://bcf.example.org"},
    )
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="false", ALLOWED_HOSTS="bcf.example.org")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='bcf_portal.settings'; django.setup()",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_compose_topology_migrates_once_and_keeps_queued_tasks():
    """Scaling web must not race migrations; Redis keeps its queue; one scheduler; sizes from the environment."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "migrate" in services["migrate"]["command"] and "collectstatic" in services["migrate"]["command"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in services[name]["command"], name
    assert "gunicorn.conf.py" in services["web"]["command"]
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-4}"
    assert "--concurrency=${WORKER_CONCURRENCY:-2}" in services["worker"]["command"]
    assert "--appendonly yes" in services["redis"]["command"]
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    assert sum("celery -A bcf_portal beat" in str(s.get("command", "")) for s in services.values()) == 1
