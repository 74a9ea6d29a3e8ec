"""The inference function's docstring contract: the one parser the runtime and the compiler share.

Recognised lines (reST field lists; a description may continue on more-indented lines)::

    :param inputs.NAME: description, may mention "shape [N, 4]"
    :type inputs.NAME: FP32 or INT32[, optional]
    :param outputs.NAME: description
    :type outputs.NAME: str

``parse`` takes the docstring as it is written (``function.__doc__``, or
``ast.get_docstring(node, clean=False)``: field lines indented like the function body) and returns
the prose, the declared fields and the problems, each with a 0-based line and column inside that
text, so the compiler can point at the file and the runtime can refuse to start with the same words.

It also returns warnings: lines that nearly declare a field but do not (``:param input.text:``,
``:type Outputs.label:``, ``:params inputs.x:``, ``:param inputs.text`` without its closing colon),
each with the line it most likely meant. They declare nothing, as before; lint reports them, and the
runtime does not refuse to start over them.

This file is the runtime's ``mlcc_runtime.docstring`` and, unchanged, the compiler's
``mlcc.model.docstring`` (the top-level ``pyproject.toml`` maps that package to this folder). So it
is standard library only and imports nothing of either package: each installs without the other.
It also owns the datatype vocabulary of the contract (``mlcc_runtime.datatypes`` imports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

# --- the datatype vocabulary ---------------------------------------------------------------------

FLOATS = frozenset({"FP16", "FP32", "FP64"})
INTS = frozenset({"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"})
NUMERIC = FLOATS | INTS | {"BOOL"}
# Types that travel as V2 BYTES; the function sees them under their own name.
TEXTUAL = frozenset({"str", "FILE", "dict", "BYTES"})
ALL = NUMERIC | TEXTUAL
# Other spellings (compared upper-cased) of the textual types; numeric names are taken in any case.
ALIASES = {"STR": "str", "STRING": "str", "DICT": "dict", "JSON": "dict", "FILE": "FILE", "BYTES": "BYTES"}
KNOWN = tuple(sorted(ALL))  # for messages


def canonical(name: Any) -> str | None:
    """The canonical spelling of a datatype name (``fp32`` → ``FP32``, ``json`` → ``dict``), or
    None when it is not one."""
    if not isinstance(name, str):
        return None
    upper = name.strip().upper()
    if upper in NUMERIC:
        return upper
    return ALIASES.get(upper)


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One declared input or output."""

    side: str  # "inputs" or "outputs"
    name: str
    description: str = ""  # the :param text with its continuation lines, joined by spaces
    datatypes: tuple[str, ...] = ()  # canonical, in written order, without repeats
    optional: bool = False
    shape: tuple[int, ...] | None = None  # from "shape [...]" in the description; -1 = any
    line: int = 0  # 0-based, in the docstring: the first :param/:type line of the field
    column: int = 0  # of the ':' that opens that line


@dataclass(frozen=True)
class Problem:
    line: int  # 0-based, in the docstring as given
    column: int  # 0-based
    length: int
    message: str
    suggestion: str = ""  # for a warning: the text the line most likely meant, e.g. ":param inputs.text:"


@dataclass(frozen=True)
class Docstring:
    summary: str = ""  # the first paragraph of the prose, on one line
    description: str = ""  # all of the prose (summary included), paragraphs kept
    fields: tuple[Field, ...] = ()
    problems: tuple[Problem, ...] = ()  # in the order of the text
    warnings: tuple[Problem, ...] = ()  # near misses of field lines: they declare nothing

    @property
    def inputs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.side == "inputs")

    @property
    def outputs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.side == "outputs")


# --- the parser ----------------------------------------------------------------------------------

_FIELD = re.compile(
    r"^\s*(?P<marker>:(?P<kind>param|type)\s+(?P<side>inputs|outputs)\.(?P<name>[^:\s]+)\s*:)"
    r"\s*(?P<text>.*?)\s*$"
)
# Any `:word word.name:` line (the closing colon optional): a field line, or a near miss of one.
_NEAR = re.compile(r"^\s*(?P<marker>:(?P<kind>[A-Za-z_]+)\s+(?P<side>[A-Za-z_]+)\.(?P<name>[^:\s]+)(?P<colon>\s*:)?)")
_KIND_ALIASES = {"params": "param", "parameter": "param", "arg": "param", "argument": "param", "types": "type"}
_SIDE_ALIASES = {"input": "inputs", "in": "inputs", "inp": "inputs", "output": "outputs", "out": "outputs"}
_SHAPE = re.compile(r"shape\s*\[([^\]]*)\]", re.IGNORECASE)
_TYPE_SPLIT = re.compile(r"\s+or\s+|\s*\|\s*|\s*/\s*")


@dataclass
class _Entry:
    side: str
    name: str
    line: int
    column: int
    length: int  # of the first line's ":param inputs.NAME:"
    param: list[str] | None = None
    type: list[str] | None = None
    type_line: int = 0
    type_column: int = 0
    type_length: int = 1


def parse(docstring: str | None) -> Docstring:
    """Parse a docstring as written; a docstring without field lines has no fields."""
    lines = (docstring or "").split("\n")
    expanded = [line.expandtabs() for line in lines]
    # Indentation as inspect.cleandoc sees it: the first line starts after the quotes.
    margin = min((_indent(line) for line in expanded[1:] if line.strip()), default=0)
    depth = [0] + [_indent(line) - margin for line in expanded[1:]]

    entries: dict[tuple[str, str], _Entry] = {}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    prose: list[str] = []
    current: list[str] | None = None  # the text of the field being continued
    owner: int | None = None  # the depth of the field-list line whose continuation lines follow
    for number, line in enumerate(lines):
        stripped = line.strip()
        match = _FIELD.match(line) if stripped.startswith(":") else None
        if match is None and owner is not None:
            if stripped and depth[number] > owner:
                if current is not None:
                    current.append(stripped)
                continue
            current = owner = None
        if match is None:
            if stripped.startswith(":"):
                owner = depth[number]  # :returns:, :param parameters:, ...: neither ours nor prose
                near = _near_miss(line, number)
                if near is not None:
                    warnings.append(near)
            else:
                prose.append(_clean(expanded, number, margin))
            continue
        owner = depth[number]
        column = match.start("marker")
        side, name, marker = match["side"], match["name"], match["marker"]
        entry = entries.setdefault((side, name), _Entry(side, name, number, column, len(marker)))
        if match["kind"] == "param":
            if entry.param is not None:
                problems.append(Problem(number, column, len(marker), f":param {side}.{name}: is given twice"))
            current = entry.param = [match["text"]]
        else:
            if entry.type is not None:
                problems.append(Problem(number, column, len(marker), f":type {side}.{name}: is given twice"))
            current = entry.type = [match["text"]]
            entry.type_line = number
            entry.type_column = match.start("text") if match["text"] else column
            entry.type_length = max(len(match["text"]), 1)

    fields = []
    for entry in entries.values():
        description = " ".join(entry.param or ()).strip()
        types: tuple[str, ...] = ()
        optional = False
        if entry.type is None:
            label = f"{entry.side}.{entry.name}"
            problems.append(Problem(entry.line, entry.column, entry.length, f"{label} has no `:type {label}:` line"))
        else:
            types, optional, unknown = _parse_type(" ".join(entry.type).strip())
            for word in unknown:
                problems.append(
                    Problem(
                        entry.type_line,
                        entry.type_column,
                        entry.type_length,
                        f"{entry.side}.{entry.name} has unknown datatype '{word}' (known: {', '.join(KNOWN)})",
                    )
                )
        fields.append(
            Field(entry.side, entry.name, description, types, optional, _parse_shape(description), entry.line, entry.column)
        )

    paragraphs = "\n".join(prose).strip().split("\n\n")
    return Docstring(
        summary=" ".join(paragraphs[0].split()),
        description="\n\n".join(p.strip() for p in paragraphs).strip(),
        fields=tuple(fields),
        problems=tuple(sorted(problems, key=lambda p: (p.line, p.column))),
        warnings=tuple(warnings),
    )


def _near_miss(line: str, number: int) -> Problem | None:
    """A warning for a line that looks like a field line but is not one (``:param input.text:``),
    or None when it looks like something else (``:param parameters.x:``, ``:returns:``)."""
    match = _NEAR.match(line)
    if match is None:
        return None
    kind = _closest(match["kind"], ("param", "type"), _KIND_ALIASES)
    side = _closest(match["side"], ("inputs", "outputs"), _SIDE_ALIASES)
    if kind is None or side is None:
        return None
    meant = f":{kind} {side}.{match['name']}:"
    written = match["marker"]
    return Problem(
        number,
        match.start("marker"),
        len(written),
        f"`{written}` is not a contract line, so it declares nothing; did you mean `{meant}`?",
        meant,
    )


def _closest(word: str, choices: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    lower = word.lower()
    if lower in choices:
        return lower
    if lower in aliases:
        return aliases[lower]
    close = get_close_matches(lower, choices, n=1, cutoff=0.75)
    return close[0] if close else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _clean(expanded: list[str], number: int, margin: int) -> str:
    """A prose line as inspect.cleandoc gives it: the margin removed, blank lines empty."""
    line = expanded[number]
    if not line.strip():
        return ""
    return line.lstrip() if number == 0 else line[margin:]


def _parse_type(text: str) -> tuple[tuple[str, ...], bool, list[str]]:
    """'FP32 or int32, optional' → (('FP32', 'INT32'), True, [unknown words]); no word at all is
    the unknown word '(empty)'."""
    parts = [p.strip() for p in text.split(",")]
    optional = any(p.lower() == "optional" for p in parts[1:])
    words = [w for w in _TYPE_SPLIT.split(parts[0]) if w] if parts[0] else []
    types: list[str] = []
    unknown: list[str] = []
    for word in words:
        name = canonical(word)
        if name is None:
            unknown.append(word)
        elif name not in types:
            types.append(name)
    return tuple(types), optional, unknown if words else ["(empty)"]


def _parse_shape(text: str) -> tuple[int, ...] | None:
    match = _SHAPE.search(text)
    if not match:
        return None
    dims = [part.strip() for part in match.group(1).split(",")]
    return tuple(int(d) if d.isdigit() else -1 for d in dims)
