"""Resume conformance for PyTorch learning-rate schedulers."""

__version__ = "0.2.0"
