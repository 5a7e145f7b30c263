"""pytest-modelgate: release-gate AI models in CI."""

__version__ = "0.1.0"
