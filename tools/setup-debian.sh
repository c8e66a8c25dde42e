#!/usr/bin/env bash
# Installs the Debian packages litmus needs (run as root, or it says what to install).
# Node.js 20 and npm are expected on the machine already.
set -euo pipefail

# Packages the test suite needs; each line says why.
PACKAGES=(
  ca-certificates # npm's registry over HTTPS
  build-essential # better-sqlite3 compiles its native addon when no prebuilt binary can be fetched
  python3         # node-gyp, for the same build
  # canvas (under chartjs-node-canvas, for PNG charts) compiles against these
  libcairo2-dev
  libpango1.0-dev
  libjpeg-dev
  libgif-dev
  librsvg2-dev
  bubblewrap # the Python sandbox's namespaces: no network, no host file system (src/sandbox)
  # headless browser for the report tests (driven by playwright-core)
  chromium
  fonts-dejavu-core
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "litmus setup: please install: ${missing[*]} (apt-get install)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
