-- wrk script: POST a small Anthropic Messages request (what @anthropic-ai/sdk sends) and print
-- one RESULT line in the format of peers/chat.lua.
-- env: STREAM=1 for "stream": true; MODEL (default gpt-4o-mini); MAX_TOKENS (default 16).
local stream = os.getenv("STREAM") == "1"
local model = os.getenv("MODEL") or "gpt-4o-mini"
local max_tokens = tonumber(os.getenv("MAX_TOKENS") or "16")
wrk.method = "POST"
wrk.body = '{"model":"' .. model .. '","max_tokens":' .. max_tokens
  .. ',"messages":[{"role":"user","content":"Hello!"}]' .. (stream and ',"stream":true}' or '}')
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = os.getenv("AUTH") or "sk-test"
wrk.headers["anthropic-version"] = "2023-06-01"

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f reqs=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%.1f errors=%d\n",
    summary.requests / secs, summary.requests, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.status + e.timeout))
end
