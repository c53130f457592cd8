-- Copied from ../shared/peers/chat.lua (the peer setups Baton is benchmarked against; see bench/README.md).
-- Local change: MAX_TOKENS env (default 16, as upstream) so that bench/run.sh can ask for
-- as many tokens as baton-mock has chunks (20): the mock stops at max_tokens.
-- wrk script: POST a small OpenAI chat request and print one RESULT line.
-- env: STREAM=1 for "stream": true; MODEL (default gpt-4o-mini); AUTH (default sk-test);
--      PORTKEY_UPSTREAM=http://127.0.0.1:PORT/v1 adds the headers Portkey needs;
--      MAX_TOKENS (default 16).
local stream = os.getenv("STREAM") == "1"
local model = os.getenv("MODEL") or "gpt-4o-mini"
local max_tokens = tonumber(os.getenv("MAX_TOKENS") or "16")
wrk.method = "POST"
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"Hello!"}],"max_tokens":' .. max_tokens
  .. (stream and ',"stream":true}' or '}')
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("AUTH") or "sk-test")
local pk = os.getenv("PORTKEY_UPSTREAM")
if pk then
  wrk.headers["x-portkey-provider"] = "openai"
  wrk.headers["x-portkey-custom-host"] = pk
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f reqs=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f errors=%d\n",
    summary.requests / secs, summary.requests, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.status + e.timeout))
end
