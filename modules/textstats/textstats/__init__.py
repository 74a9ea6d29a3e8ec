"""Text statistics: the developer code of the ``textstats`` example module (FILE in, FILE out)."""
