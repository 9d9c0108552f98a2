#!/usr/bin/env bash
# Debian packages the project needs beyond Python: Poppler (pdftoppm/pdftotext, used by tests to
# check that filled values render), qpdf (structural PDF checks), DejaVu fonts and fontconfig (the PDF
# documents embed DejaVu Sans; fc-match finds a face for a character it lacks).
set -euo pipefail
need=()
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
command -v fc-match >/dev/null 2>&1 || need+=(fontconfig)
# Headless Chromium and its driver, for the browser tests of `udfi serve` (selenium never downloads a browser).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
