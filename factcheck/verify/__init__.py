"""Verification: the `ClaimVerifier` protocol and the shared evidence/citation helpers,
the LLM verifier, the offline NLI verifier and the NLI-then-LLM cascade."""
