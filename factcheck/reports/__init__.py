"""Reports derived from a results file: Markdown, HTML and ClaimReview JSON-LD."""
