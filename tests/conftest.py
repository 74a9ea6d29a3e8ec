"""Shared by every suite: this folder is on `sys.path` (pytest puts a root conftest's folder
there), so `clirun` imports by name from any test file."""
