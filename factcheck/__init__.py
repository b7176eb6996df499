"""factcheck: extract check-worthy claims from news articles and verify them against trusted sources."""

__version__ = "0.1.0"
