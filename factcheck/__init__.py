"""factcheck: extract check-worthy claims from news articles and verify them."""

__version__ = "0.1.0"
