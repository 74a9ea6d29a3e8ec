"""YAML in and out: documents with line and column of every node, and stable YAML output."""
