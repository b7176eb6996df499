"""Training and evaluation code for factcheck's offline NLI verifier (not part of the wheel)."""
