"""Test infrastructure shipped with the package: a real OpenAI-compatible stub server.

Needs `starlette` and `uvicorn` (installed with chromadb's server dependencies).
"""

from factcheck.testing.stub_server import FaultRates, StubConfig, build_stub_app, running_stub

__all__ = ["FaultRates", "StubConfig", "build_stub_app", "running_stub"]
