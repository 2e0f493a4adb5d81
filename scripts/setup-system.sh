#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo use: a software TPM (swtpm) with tpm2-tools for the
# attestor, acl (the attestor hands folders to the training command with setfacl), Chromium for the dApp's
# browser tests, Slurm with munge for the job-array tests (test/helpers/slurm.ts starts its own one-node
# cluster; nothing is configured or started here); and creates the unprivileged user training commands run as.
# Idempotent and quick when everything is present.
# Usage: setup-system.sh [tpm|slurm|all]   (`tpm`: what the demo needs; `slurm`: the scheduler alone;
# default `all`: what `npm test` needs)
set -euo pipefail
tpm_packages=(swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 acl)
slurm_packages=(slurm-wlm slurmd slurmctld munge)
case "${1:-all}" in
  tpm) packages=("${tpm_packages[@]}") ;;
  slurm) packages=("${slurm_packages[@]}") ;;
  all) packages=("${tpm_packages[@]}" chromium "${slurm_packages[@]}") ;;
  *) echo "usage: $0 [tpm|slurm|all]" >&2; exit 2 ;;
esac
[ "${1:-all}" = slurm ] || bash "$(dirname "$0")/tpm/train-user.sh"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "provenant: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "provenant: apt-get could not install ${missing[*]}" >&2
  exit 1
fi
rm -f "$log"
