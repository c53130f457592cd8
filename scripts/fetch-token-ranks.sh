#!/usr/bin/env bash
# Produces build-data/{o200k_base,cl100k_base}.tiktoken, the BPE rank tables the tokenizer
# (src/dialects/tokens/) embeds into the binary at build time (docs/tokenizer.md).
#
# The ranks come from a pinned npm package (js-tiktoken, see tools/token-ranks/package.json and its
# lockfile), installed into tools/token-ranks/node_modules, and are converted to tiktoken's text
# format with node. The result must be byte-identical to OpenAI's published files: their sha256
# are checked below. Nothing is downloaded at run time and nothing large is committed.
#
# Idempotent: when both files exist with the right checksums it does nothing (a few ms).
# Needs node + npm (scripts/install-deps.sh installs them) and the npm registry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${BATON_TOKEN_RANKS_DIR:-$root/build-data}"
pkg="$root/tools/token-ranks"

declare -A sha=(
  [o200k_base]=446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d
  [cl100k_base]=223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
)

verify() {  # verify <name>: 0 when the file exists and matches
  local f="$out/$1.tiktoken"
  [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "${sha[$1]}" ]
}

todo=()
for name in "${!sha[@]}"; do verify "$name" || todo+=("$name"); done
if [ ${#todo[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "fetch-token-ranks: node and npm are needed (run scripts/install-deps.sh)" >&2
  exit 1
fi
if [ ! -f "$pkg/node_modules/js-tiktoken/package.json" ]; then
  echo "fetch-token-ranks: installing the pinned js-tiktoken into $pkg/node_modules"
  (cd "$pkg" && npm ci --no-audit --no-fund --silent)
fi
(cd "$pkg" && node convert.mjs "$out" "${todo[@]}")

for name in "${todo[@]}"; do
  if ! verify "$name"; then
    echo "fetch-token-ranks: $out/$name.tiktoken does not have the expected sha256 ${sha[$name]}" >&2
    rm -f "$out/$name.tiktoken"
    exit 1
  fi
  echo "fetch-token-ranks: $out/$name.tiktoken ok"
done
