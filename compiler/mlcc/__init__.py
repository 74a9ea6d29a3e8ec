"""mlcc — a declarative GitOps compiler for ML modules."""

__version__ = "0.1.0"
API_GROUP = "unified-platform.cs.hse.ru"
API_VERSION = f"{API_GROUP}/v1"
