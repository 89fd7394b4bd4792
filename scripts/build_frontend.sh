#!/usr/bin/env bash
# Builds static/build/ from the npm packages: GOV.UK Frontend CSS (on Liberation Sans),
# its JS and images, turndown for paste-from-Word, and axe-core for accessibility tests.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/build
rm -rf "$out" && mkdir -p "$out/assets"
npx --no-install sass --quiet --no-source-map --load-path=node_modules --style=compressed \
  static/scss/app.scss "$out/app.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/"
cp -r node_modules/govuk-frontend/dist/govuk/assets/images "$out/assets/"
cp node_modules/govuk-frontend/dist/govuk/assets/manifest.json "$out/assets/" 2>/dev/null || true
cp node_modules/turndown/dist/turndown.js "$out/"
cp node_modules/turndown-plugin-gfm/dist/turndown-plugin-gfm.js "$out/"
cp node_modules/axe-core/axe.min.js "$out/"
echo "front-end built in $out"
