"""Plugin wiring: the suite's options, target loading and report hooks live in these plugins."""

pytest_plugins = ["conformance.plugin", "reports.plugin"]
