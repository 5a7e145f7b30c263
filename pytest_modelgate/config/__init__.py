"""Gate files: the YAML source with line numbers, the declaration of every key, parsing and
validation into typed specs, and the checks that span files. Imports nothing above it.
"""
