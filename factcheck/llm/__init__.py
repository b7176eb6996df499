"""The LLM layer: structured output with a bounded re-ask, reply schemas, prompt files,
the chat-model backends (OpenAI or compatible, in-process llama.cpp, a fake), the response
cache, rate limiting, pricing and the OpenAI Batch API."""
