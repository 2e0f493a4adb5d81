#!/usr/bin/env bash
# Install what the attestor needs on this machine (swtpm, tpm2-tools, acl, the training user): the TPM part of
# scripts/setup-system.sh, kept under this name because error hints and docs point here.
exec bash "$(dirname "$0")/../setup-system.sh" tpm
