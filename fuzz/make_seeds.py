#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run once; the files are committed).

Real bodies come from /work/shared/fixtures (recorded upstream responses, see the README there);
requests are small hand-written bodies in each dialect's wire format (WIRE_FORMATS.md).
Seed file names say where the bytes came from.
"""
import json
import os
import sys

FIX = os.environ.get("FIXTURES", "/work/shared/fixtures")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def fixture(path):
    with open(os.path.join(FIX, path), "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def j(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


OPENAI_REQS = {
    "openai_basic": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    "openai_stream_opts": {"model": "gpt-4o", "stream": True, "stream_options": {"include_usage": False},
                           "messages": [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
                           "max_completion_tokens": 64, "temperature": 0.2},
    "openai_tools": {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
                                                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "tool_choice": "auto", "parallel_tool_calls": False, "response_format": {"type": "json_object"},
        "stop": ["\n\n"], "seed": 7, "user": "u1", "reasoning_effort": "low"},
    "openai_image": {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]},
}
RESPONSES_REQS = {
    "responses_basic": {"model": "gpt-4.1", "input": "Tell me a joke", "instructions": "Be funny",
                        "max_output_tokens": 100, "stream": True},
    "responses_items": {"model": "o4-mini", "reasoning": {"effort": "medium"}, "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"}],
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]},
}
ANTHROPIC_REQS = {
    "anthropic_basic": {"model": "claude-sonnet-4-5", "max_tokens": 256, "system": "Be brief.",
                        "messages": [{"role": "user", "content": "Hi"}], "stream": True},
    "anthropic_tools": {"model": "claude-opus-4-1", "max_tokens": 1024,
                        "thinking": {"type": "enabled", "budget_tokens": 2048},
                        "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
                        "tools": [{"name": "get_weather", "description": "d", "input_schema": {"type": "object"}}],
                        "tool_choice": {"type": "any"},
                        "messages": [{"role": "user", "content": "Weather?"},
                                     {"role": "assistant", "content": [
                                         {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                                         {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Berlin"}}]},
                                     {"role": "user", "content": [
                                         {"type": "tool_result", "tool_use_id": "toolu_1", "content": "cold", "is_error": False}]}],
                        "stop_sequences": ["END"], "top_k": 5, "metadata": {"user_id": "u"}},
}
GEMINI_REQS = {
    "gemini_basic": {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
                     "systemInstruction": {"parts": [{"text": "Be brief."}]},
                     "generationConfig": {"maxOutputTokens": 64, "temperature": 0.5, "stopSequences": ["x"],
                                          "thinkingConfig": {"thinkingBudget": 128, "includeThoughts": True}}},
    "gemini_tools": {"contents": [{"role": "user", "parts": [{"text": "Roll"}]},
                                  {"role": "model", "parts": [{"functionCall": {"name": "roll", "args": {}}}]},
                                  {"role": "user", "parts": [{"functionResponse": {"name": "roll", "response": {"v": 4}}}]}],
                     "tools": [{"functionDeclarations": [{"name": "roll", "parameters": {"type": "OBJECT"}}]}],
                     "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}},
}
OLLAMA_REQS = {
    "ollama_basic": {"model": "llama3.2", "messages": [{"role": "user", "content": "Hi"}], "stream": False,
                     "options": {"temperature": 0.1, "num_predict": 32, "stop": ["\n"]}},
    "ollama_tools": {"model": "qwen3", "think": True, "messages": [
        {"role": "user", "content": "Weather?", "images": ["iVBORw0KGgo="]},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "18", "tool_name": "get_weather"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        "format": "json"},
}

# --- HTTP parsers are seeded by hand in fuzz/corpus/http_*; see fuzz/README.md.

# sse_fuzz: byte 0 = split position; stream bodies as recorded.
for i, (name, path) in enumerate([
        ("anthropic_basic_response", "anthropic/basic_response.sse"),
        ("gemini_count_crlf", "gemini/count_one_two_three.sse"),
        ("gemini_basic_reply_short", "gemini/basic_reply_short.sse"),
        ("openai_tool_strict", "openai/tool_strict_get_weather_sf.sse"),
        ("anthropic_tool_use", "anthropic/tool_use_response.sse")]):
    write("sse_fuzz", name, bytes([40 + 50 * i]) + fixture(path))
write("sse_fuzz", "synthetic_cr_framed", b"\x80event: a\rdata: 1\rdata: 2\r\r: keep-alive\r\rdata: x\r")
write("sse_fuzz", "synthetic_fields", b"\x10id: 1\nretry: 5\nevent:ping\ndata\n\n:comment\n\ndata: [DONE]\n\n")

# json_scan_fuzz: any JSON; objects exercise the edits.
for name, path in [("openai_json_text_weather_sf", "openai/json_text_weather_sf.json"),
                   ("anthropic_tidyllm_hello", "anthropic/tidyllm_claude_hello.json"),
                   ("gemini_tool_dice", "gemini/tool_dice_roll_no_args.json"),
                   ("ollama_joke", "ollama/joke_json.json")]:
    write("json_scan_fuzz", name, fixture(path))
write("json_scan_fuzz", "openai_stream_opts", j(OPENAI_REQS["openai_stream_opts"]))
write("json_scan_fuzz", "duplicates_spaces", b' { "model" : "a" , "x":[1,{"model":2}], "model":"b" ,"stream_options":null } ')

# openai_inspect_fuzz: byte 0 bit 0 = streaming.
for name, body in OPENAI_REQS.items():
    write("openai_inspect_fuzz", name + "_stream", b"\x01" + j(body))
write("openai_inspect_fuzz", "no_model_nostream", b"\x00" + b'{"messages":[],"model":"m","stream_options":"x"}')
write("openai_inspect_fuzz", "pretty_stream", b"\x01" + json.dumps(OPENAI_REQS["openai_basic"], indent=2).encode())

# dialect_request_fuzz: byte 0 = client dialect ('0' openai .. '5' bedrock).
for digit, reqs in [("0", OPENAI_REQS), ("1", RESPONSES_REQS), ("2", ANTHROPIC_REQS),
                    ("3", GEMINI_REQS), ("4", OLLAMA_REQS)]:
    for name, body in reqs.items():
        write("dialect_request_fuzz", name, digit.encode() + j(body))

# dialect_response_fuzz: byte 0 = upstream dialect, byte 1 = client request options.
for digit, path in [("0", "openai/json_tool_get_weather_args.json"),
                    ("0", "openai/mistral_json_parallel_tools.json"),
                    ("0", "openai/json_max_tokens_length.json"),
                    ("2", "anthropic/thinking_arithmetic.json"),
                    ("2", "anthropic/parallel_tools_weather_language.json"),
                    ("3", "gemini/thinking_reply_thought_summary_json.json"),
                    ("3", "gemini/implicit_caching_vertex.json"),
                    ("4", "ollama/docs_tool_call_paris.json"),
                    ("4", "ollama/otel_duration_chat.json")]:
    name = path.replace("/", "_").rsplit(".", 1)[0]
    write("dialect_response_fuzz", name, digit.encode() + b"\x07" + fixture(path))
write("dialect_response_fuzz", "responses_handwritten", b"1\x00" + j({
    "id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-4.1", "status": "completed",
    "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]},
               {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}],
    "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}))
write("dialect_response_fuzz", "bedrock_handwritten", b"5\x00" + j({
    "output": {"message": {"role": "assistant", "content": [
        {"text": "Hi"}, {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}}]}},
    "stopReason": "tool_use", "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}}))

# dialect_stream_fuzz: byte 0 = upstream dialect, byte 1 = read size, byte 2 = client options.
for digit, size, path in [("0", 0, "openai/tool_strict_get_weather_sf.sse"),
                          ("0", 7, "openai/parallel_tools_weather_stock.sse"),
                          ("2", 0, "anthropic/tool_use_response.sse"),
                          ("2", 13, "anthropic/thinking_strawberry.sse"),
                          ("3", 0, "gemini/tool_weather_berlin_stream.sse"),
                          ("3", 5, "gemini/thinking_reply_thought_summary.sse"),
                          ("4", 0, "ollama/docs_stream_text.ndjson"),
                          ("4", 3, "ollama/joke_stream.ndjson")]:
    name = path.replace("/", "_").rsplit(".", 1)[0]
    write("dialect_stream_fuzz", name, digit.encode() + bytes([size, 7]) + fixture(path))
write("dialect_stream_fuzz", "responses_handwritten", b"1\x00\x01" + (
    b'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1","model":"gpt-4.1"}}\n\n'
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n'
    b'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_1","status":"completed",'
    b'"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}}\n\n'))
print("seeds written to", OUT, file=sys.stderr)
