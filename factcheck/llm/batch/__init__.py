"""The OpenAI Batch API: request files, submission and polling (`api`), and a
`StructuredLLM` that queues the pipeline's calls into batches (`queue`)."""
