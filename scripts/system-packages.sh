#!/usr/bin/env bash
# Install the Debian packages the tests and benchmarks need and pip cannot
# give: Chromium for the browser tests, Pango for WeasyPrint in the PDF
# benchmark. Does nothing when they are already there.
set -euo pipefail

packages=(chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
