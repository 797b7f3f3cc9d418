"""Hypothesis strategies only: optimizer setups, scheduler configs, plans and loops."""
