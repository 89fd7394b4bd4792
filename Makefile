# The README's commands. `make run` for a newcomer's first look, `make test` for the whole suite.
.PHONY: run test lint bench worker beat backup restore setup setup-dev demo loadtest api-schema

PY := .venv/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bcf_portal

setup:
	bash scripts/setup.sh

setup-dev:
	bash scripts/setup.sh --dev

demo: setup
	$(PY) manage.py prepare_app_split  # does nothing unless var/db.sqlite3 predates the app split
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_round --all
	$(PY) manage.py load_demo

## Embedded default: SQLite under var/, tasks run in-process, email to the console.
run: demo
	$(PY) manage.py runserver 127.0.0.1:8000

## The whole suite, browser tests included, against PostgreSQL; lint first. Test files are shared out
## among PYTEST_WORKERS processes (pytest-xdist), each with its own test database and media directory.
PYTEST_WORKERS ?= 2
test: setup-dev lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} .venv/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

## National-scale benchmark against the local PostgreSQL; writes bench/results/latest.json.
bench: setup-dev
	$(PY) bench/run.py

lint: setup-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

## Regenerate the committed OpenAPI document from the code (tests/api/test_schema.py fails until it matches).
api-schema: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

## A Celery worker for when CELERY_BROKER_URL is set.
worker: setup
	.venv/bin/celery -A bcf_portal worker --loglevel=info

## The scheduler for the daily reminders (django-celery-beat; schedules are data in the admin).
beat: setup
	.venv/bin/celery -A bcf_portal beat --loglevel=info

## Back up PostgreSQL (DATABASE_URL) and MEDIA_ROOT into backups/<time>/ with a manifest of SHA-256 checksums.
backup:
	$(PY) scripts/backup.py backup

## Restore one: make restore BACKUP=backups/20261130-120000 (refused if any checksum does not match).
restore:
	$(PY) scripts/backup.py restore $(BACKUP)

## Load scenario: 200 commissioners editing, exporting and submitting for 2 minutes against gunicorn,
## PostgreSQL and a Celery worker, all on 127.0.0.1; fails unless zero requests failed, every saved
## edit is stored, and every submission is stored with its PDF and workbook.
loadtest: setup-dev
	$(PY) loadtest/run.py --users 200 --seconds 120
