"""Targets: the torch built-ins and whatever a user points the suite at."""
