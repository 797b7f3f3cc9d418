"""Resume conformance for PyTorch learning-rate schedulers."""

__version__ = "0.1.0"
