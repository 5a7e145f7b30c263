"""Talking to models: the provider contract, the built-in providers, the HTTP transport,
the response cache, spending limits and rate limits.
"""
