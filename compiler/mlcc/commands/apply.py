from __future__ import annotations


def register(commands) -> None:  # placeholder until the apply command lands
    pass
