"""Iris classifier: the developer code of the ``iris`` example module."""
