"""`manage.py check --deploy` under production settings (DEBUG off, a long SECRET_KEY, ALLOWED_HOSTS) is clean."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "SECURE_", "SESSION_", "OIDC_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "EMAIL_")
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bcf_portal.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="bcf.example.org",
        SITE_URL="https://bcf.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/bcf_h7",
        CACHE_URL="redis://127.0.0.1:6379/2",
    )
    env.update(extra)
    return env


def run_check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issues_under_production_settings():
    result = run_check(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_web_processes_would_not_share_sessions():
    env = production_env()
    del env["CACHE_URL"]
    result = run_check(env)
    assert result.returncode != 0
    assert "accounts.W001" in result.stdout + result.stderr and "CACHE_URL" in result.stdout + result.stderr


def test_check_deploy_still_clean_with_single_sign_on_configured():
    result = run_check(
        production_env(
            OIDC_RP_CLIENT_ID="bcf-portal",
            OIDC_RP_CLIENT_SECRET=secrets.token_urlsafe(32),
            OIDC_OP_AUTHORIZATION_ENDPOINT="https://sso.example.org/authorize",
            OIDC_OP_TOKEN_ENDPOINT="https://sso.example.org/token",
            OIDC_OP_USER_ENDPOINT="https://sso.example.org/userinfo",
            OIDC_OP_JWKS_ENDPOINT="https://sso.example.org/jwks",
        )
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = run_check(env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_the_deploy_check_does_catch_a_weak_setting():
    # Proof the check is live: with insecure cookies it must complain.
    result = run_check(production_env(SECURE_COOKIES="false"))
    assert result.returncode != 0
    assert "security.W012" in result.stdout + result.stderr


def test_production_refuses_to_start_without_site_url_when_email_is_on():
    env = production_env(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
    env.pop("SITE_URL")
    result = run_check(env)
    assert result.returncode != 0
    assert "accounts.E001" in result.stdout + result.stderr
