#!/usr/bin/env bash
# Copied from ../shared/peers/setup.sh (the peer setups Baton is benchmarked against; see bench/README.md). Keep in sync.
# Installs the peers that Baton is measured against: nginx (the reverse-proxy reference) and wrk
# from Debian's packages, and the Portkey AI gateway (Node) from the npm registry.
# Idempotent. PEERS_DIR (default ~/.cache/baton-peers) holds the npm install.
set -eu
PEERS_DIR=${PEERS_DIR:-$HOME/.cache/baton-peers}
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p "$PEERS_DIR"
if [ ! -f "$PEERS_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" ]; then
  (cd "$PEERS_DIR" && npm init -y >/dev/null 2>&1 && npm install --silent --no-audit --no-fund @portkey-ai/gateway@1.15.2)
fi
echo "peers ready: nginx $(nginx -v 2>&1 | sed 's/.*\///'), wrk, portkey in $PEERS_DIR"
