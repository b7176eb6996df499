"""Inputs and outputs: article and source readers (`inputs`: text, JSONL, CSV; `web`: HTML
pages via trafilatura; `pdf`: PDFs via pypdf, with page numbers; `fetch`: http(s) URLs within
limits), and the results file format (write, resume, read, index, find a result by id)."""
