"""The `factcheck` command line: one module per command group, the run job, terminal bits."""
