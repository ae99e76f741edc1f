#!/usr/bin/env bash
# Refreshes the GOV.UK Frontend files the web page serves (packgen/web/static/govuk/) from the npm
# registry. The version must be one the installed govuk-frontend-jinja macros support (its README has
# a table): the macros write the HTML, these files style it. Usage: scripts/update-govuk-frontend.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-6.3.0}"
target=packgen/web/static/govuk
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "govuk-frontend@$version" >/dev/null && tar -xzf govuk-frontend-*.tgz)
dist="$work/package/dist/govuk"
rm -rf "$target"
mkdir -p "$target"
# Only the compiled stylesheet and script: the GOV.UK crest, crown and GDS Transport font are for
# government services, and this is a school's tool (its stylesheet sets its own typeface).
cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" "$target/"
# The package ships its licence as a README section (MIT for the code).
sed -n '/^## Licence/,/^## Contribution/p' "$work/package/README.md" | sed '$d' > "$target/LICENSE.txt"
printf 'govuk-frontend %s from the npm registry (MIT licence, see LICENSE.txt).\nRefresh with scripts/update-govuk-frontend.sh.\n' "$version" > "$target/VERSION.txt"
echo "GOV.UK Frontend $version copied into $target"
