"""rustc/ruff-style text: `path:line:col: severity[CODE]: message`, the line, a caret."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from mlcc.diagnostics import Diagnostic, Severity, count


def format_diagnostics(diagnostics: list[Diagnostic], modules: int, sources: Mapping[str, str] | None = None) -> str:
    """The report; `sources` are texts the caller has already read (file → text), used instead of
    reading them again. Other files are read once per report, never cached across calls: they may
    change between builds."""
    known = sources or {}

    @lru_cache(maxsize=64)
    def lines_of(file: str) -> tuple[str, ...]:
        return tuple(known[file].splitlines()) if file in known else _read_lines(file)

    blocks = [format_one(d, lines_of) for d in diagnostics]
    blocks.append(summary(diagnostics, modules))
    return "\n".join(blocks) + "\n"


def format_one(d: Diagnostic, lines_of: Callable[[str], tuple[str, ...]]) -> str:
    loc = d.location
    head = f"{loc.file}:{loc.line}:{loc.column}" if loc.line else loc.file
    lines = [f"{head}: {d.severity.value}[{d.code}]: {d.message}"]
    source = _line(lines_of(loc.file), loc.line) if loc.line else ""
    if source:
        gutter = " " * len(str(loc.line))
        lines += [
            f"{gutter} |",
            f"{loc.line} | {source.expandtabs(1)}",
            f"{gutter} | {' ' * (loc.column - 1)}{'^' * max(loc.length, 1)}",
        ]
    else:
        gutter = " "
    lines += [f"{gutter} = note: {note}" for note in d.notes]
    if d.hint:
        lines.append(f"{gutter} = help: {d.hint}")
    return "\n".join(lines) + "\n"


def summary(diagnostics: list[Diagnostic], modules: int) -> str:
    errors, warnings = count(diagnostics, Severity.ERROR), count(diagnostics, Severity.WARNING)
    scope = f"{modules} module{'s' if modules != 1 else ''}"
    if not errors and not warnings:
        return f"All checks passed ({scope})."
    return f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')} in {scope}."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _read_lines(file: str) -> tuple[str, ...]:
    try:
        # Replace undecodable bytes: the line of an "invalid UTF-8" error is shown too.
        return tuple(Path(file).read_bytes().decode("utf-8-sig", errors="replace").splitlines())
    except OSError:
        return ()


def _line(lines: tuple[str, ...], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""
