"""Datasets and the format adapters that turn their rows into prompts."""
