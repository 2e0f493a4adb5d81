#!/usr/bin/env bash
# Install the software TPM (swtpm), tpm2-tools and acl (setfacl: the attestor hands folders to the
# training command) from Debian packages, and create the unprivileged user training commands run as
# (scripts/tpm/train-user.sh). Idempotent: does nothing when every package is already installed; runs
# `apt-get update` only when a package is missing. Needs root (or sudo). Usage: scripts/tpm/install.sh
set -euo pipefail

bash "$(dirname "$0")/train-user.sh"
PACKAGES=(swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 acl)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "tpm: already installed: ${PACKAGES[*]}"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "tpm: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "tpm: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "tpm: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the package lists first; refresh only if that fails.
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "tpm: installed: ${missing[*]}"
