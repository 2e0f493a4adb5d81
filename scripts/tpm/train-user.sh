#!/usr/bin/env bash
# Create the unprivileged user the attestor runs training commands as (docs/attestor.md, "The training
# command's sandbox"): a system user with its own group, no home, no login shell, in no other group (not
# tss: it must not open the TPM). Idempotent. Name: $PROVENANT_TRAIN_USER, default provenant-train.
set -euo pipefail
user=${PROVENANT_TRAIN_USER:-provenant-train}
if id -u "$user" >/dev/null 2>&1; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "provenant: need root (or sudo) to create the user $user" >&2; exit 1; }
  sudo="sudo"
fi
$sudo useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
echo "provenant: created the user $user (training commands run as it)" >&2
