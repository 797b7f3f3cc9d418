"""This checkout's own wiring: nothing to add.

The plugins are `pytest11` entry points (pyproject.toml), so an install of the
suite, editable or not, brings `--target`, the profiles and the report.
"""
