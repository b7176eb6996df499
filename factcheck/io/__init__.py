"""Inputs and outputs on disk: article and source readers, and the results file format
(write, resume, read, index, find a result by id)."""
