#!/usr/bin/env bash
# Copied from ../shared/peers/nginx-proxy.sh (the peer setups Baton is benchmarked against; see bench/README.md). Keep in sync.
# Starts nginx as a keep-alive reverse proxy: 127.0.0.1:PORT -> 127.0.0.1:UPSTREAM_PORT, one worker,
# pinned to CPU (default 1). Prints the master's pid; stop it with `kill -QUIT PID`.
# usage: nginx-proxy.sh PORT UPSTREAM_PORT [CPU]
set -eu
port=$1 up=$2 cpu=${3:-1}
dir=$(mktemp -d /tmp/baton-peer-nginx.XXXXXX)
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  upstream up { server 127.0.0.1:$up; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    client_max_body_size 32m;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
setsid taskset -c "$cpu" nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/out.log" 2>&1 &
for _ in $(seq 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
pid=$(cat "$dir/nginx.pid")
for p in $pid $(pgrep -P "$pid"); do taskset -a -p -c "$cpu" "$p" >/dev/null; done
echo "$pid"
