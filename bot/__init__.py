"""redline: a code-review and verification bot. The core: data model, diff intake, pipeline."""

__version__ = "0.1.0"
