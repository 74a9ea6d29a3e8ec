"""Kubernetes facts mlcc relies on: the emitted-object type, labels and name rules, security
contexts, Pod Security "restricted", and the schema checks every output object passes."""
