"""Evals harness: dataset schemas and loaders, pure metric functions, paired statistics."""
