"""``python -m mlcc_runtime`` — the entry point used by the copy injection (no console script there)."""

from mlcc_runtime.cli import main

raise SystemExit(main())
