"""The package re-exports its entry point."""
from .impl import inference

__all__ = ["inference"]
