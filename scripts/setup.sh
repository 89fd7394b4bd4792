#!/usr/bin/env bash
# Installs everything BCF Portal needs on a fresh Debian machine, and only what is missing:
# system packages (when run as root; otherwise names them), the virtualenv with pinned
# Python packages, the npm packages and the built GOV.UK Frontend assets.
#   scripts/setup.sh          what `make run` needs
#   scripts/setup.sh --dev    also what `make test` and `make bench` need
set -euo pipefail
cd "$(dirname "$0")/.."

dev=false
[ "${1:-}" = "--dev" ] && dev=true

# WeasyPrint needs Pango; fonts are installed so every machine renders the PDF alike;
# libharfbuzz-subset0 makes WeasyPrint's font subsetting faster.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core)
if $dev; then
  # Browser tests, PDF page images, workbook recalculation and the compose-file check in tests;
  # wrk drives `make bench`'s closed-loop load.
  packages+=(chromium poppler-utils libreoffice-calc-nogui docker-compose wrk)
fi
missing=()
# Node.js and Python venv may come from elsewhere than apt; only ask apt when the command is absent.
command -v npm >/dev/null || missing+=(nodejs npm)
# make backup / make restore and their test need pg_dump and pg_restore.
$dev && { command -v pg_dump >/dev/null || missing+=(postgresql-client); }
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# Python packages, reinstalled only when the pinned requirements change.
req=requirements.txt
$dev && req=requirements-dev.txt
[ -x .venv/bin/python ] || python3 -m venv .venv
hash=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if $dev; then
  done_stamps=(".venv/.installed-$hash-dev")
else
  done_stamps=(".venv/.installed-$hash-run" ".venv/.installed-$hash-dev")
fi
installed=false
for stamp in "${done_stamps[@]}"; do [ -f "$stamp" ] && installed=true; done
if ! $installed; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
  touch "${done_stamps[0]}"
fi

# Front-end packages and the built GOV.UK Frontend assets.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f static/build/app.css ] || [ -n "$(find static/scss package-lock.json -newer static/build/app.css 2>/dev/null)" ]; then
  bash scripts/build_frontend.sh
fi
