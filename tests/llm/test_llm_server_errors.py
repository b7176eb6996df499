"""`StructuredLLM` recognises real servers' refusals of `response_format=json_schema`."""

from __future__ import annotations

from factcheck.llm.structured import is_schema_rejection

# str() of the openai.InternalServerError that llama-cpp-python 0.3.36's server returns for
# `response_format={"type": "json_schema", ...}` (recorded from a real server).
LLAMA_CPP_SERVER_500 = (
    "Error code: 500 - 1 validation error:\n"
    "  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n"
    '  File "/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, '
    "in create_chat_completion\n    POST /v1/chat/completions"
)


def test_llama_cpp_server_json_schema_rejection_is_recognised():
    assert is_schema_rejection(Exception(LLAMA_CPP_SERVER_500))


def test_other_server_errors_are_not_schema_rejections():
    assert not is_schema_rejection(Exception("Error code: 500 - model crashed"))
    assert not is_schema_rejection(Exception("Connection refused"))
