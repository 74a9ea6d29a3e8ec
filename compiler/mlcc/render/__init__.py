"""Emitters: a checked module and an environment in, Kubernetes objects out.

Each emitter is a plain function over the typed model that returns `Emitted`
objects; nothing here reads files or knows the output layout.
"""
