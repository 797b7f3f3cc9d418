"""A module that cannot be imported, for the bad-input self-test."""

raise ImportError("this module is broken on purpose")
