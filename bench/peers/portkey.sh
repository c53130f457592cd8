#!/usr/bin/env bash
# Copied from ../shared/peers/portkey.sh (the peer setups Baton is benchmarked against; see bench/README.md). Keep in sync.
# Starts the Portkey AI gateway (installed by setup.sh) on 127.0.0.1:PORT, pinned to CPU (default 1).
# Prints its pid; stop it with `kill PID`. Requests must carry the headers
#   x-portkey-provider: openai
#   x-portkey-custom-host: http://127.0.0.1:UPSTREAM_PORT/v1
# (chat.lua sends them when PORTKEY_UPSTREAM is set).
# usage: portkey.sh PORT [CPU]
set -eu
port=$1 cpu=${2:-1}
PEERS_DIR=${PEERS_DIR:-$HOME/.cache/baton-peers}
build=$PEERS_DIR/node_modules/@portkey-ai/gateway/build
log=$(mktemp /tmp/baton-peer-portkey.XXXXXX.log)
(cd "$PEERS_DIR" && NODE_ENV=production exec setsid taskset -c "$cpu" node "$build/start-server.js" --port="$port" --headless >"$log" 2>&1) &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
echo "$pid"
