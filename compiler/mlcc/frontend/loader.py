"""Find modules on disk and parse their manifest files, keeping source positions.

A module is a folder whose top-level `*.yaml`/`*.yml` files are its manifests;
a modules root is a folder whose sub-folders are modules. Problems reading files
become diagnostics, never exceptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlcc.diagnostics import Diagnostic, Location
from mlcc.syntax.fastyaml import load_documents
from mlcc.syntax.source import Document, SourceFile

MANIFEST_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 4 * 1024 * 1024
# Deeper and bigger than any manifest needs; guards the recursive walks against
# YAML bombs (aliases that expand exponentially).
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_ERRORS_PER_FILE = 50


@dataclass
class ModuleSource:
    """A module folder and what was read from it."""

    root: Path
    files: list[Path]
    documents: list[Document] = field(default_factory=list)
    # Files some of whose documents could not be read (YAML that does not parse, a file that cannot
    # be read): what they define is unknown, so references to it cannot be judged.
    unread: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.resolve().name


def is_manifest(path: Path) -> bool:
    return path.suffix in MANIFEST_SUFFIXES and not path.name.startswith(".")


def manifest_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and is_manifest(p))


def is_modules_root(path: Path) -> bool:
    """A folder of module folders (not a module itself, nor a single file)."""
    return path.is_dir() and not manifest_files(path)


def links_outside(path: Path, root: Path) -> bool:
    """`path` is (or runs through) a symlink to somewhere outside `root`.

    mlcc shows source lines in its reports, so a link to a file elsewhere (a CI
    token, `/proc/self/environ`) would print that file into a build log.
    """
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return True


def link_out(path: Path, scope: str) -> Diagnostic:
    return Diagnostic(
        "MLCC107",
        f"'{path}' is a link to '{path.resolve()}', outside its {scope}; mlcc does not read it",
        Location.of_file(path),
        hint=f"copy it into the {scope} instead of linking to it",
    )


def discover(paths: list[Path]) -> tuple[list[ModuleSource], list[Diagnostic]]:
    """Modules named by `paths`: module folders, modules roots, or single files.

    A single file stands for its whole module, since its references reach the
    other manifests of that folder (pre-commit passes only changed files).
    """
    found: dict[Path, Path] = {}
    diagnostics: list[Diagnostic] = []
    for path in paths:
        for folder in _module_folders(path, diagnostics):
            found.setdefault(folder.resolve(), folder)
    modules = [ModuleSource(folder, manifest_files(folder)) for _, folder in sorted(found.items())]
    for module in modules:
        if not module.files:
            diagnostics.append(
                Diagnostic(
                    "MLCC106",
                    f"module folder '{module.root}' holds no manifest files",
                    Location.of_file(module.root),
                    hint="put the module's *.yaml manifests directly in its folder",
                )
            )
    return modules, diagnostics


def _module_folders(path: Path, diagnostics: list[Diagnostic]) -> list[Path]:
    if path.is_file():
        return [path.parent]
    if not path.is_dir():
        diagnostics.append(
            Diagnostic("MLCC105", f"'{path}' does not exist", Location.of_file(path))
        )
        return []
    if manifest_files(path):
        return [path]
    candidates = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    folders = [folder for folder in candidates if not links_outside(folder, path)]
    diagnostics += [link_out(folder, "modules folder") for folder in candidates if folder not in folders]
    if not candidates:  # neither a module nor a modules root: say so rather than pass
        diagnostics.append(
            Diagnostic(
                "MLCC106",
                f"'{path}' holds no manifest files and no module folders",
                Location.of_file(path),
                hint="name a module folder (with *.yaml manifests) or a folder of modules",
            )
        )
    return folders


def load(module: ModuleSource) -> list[Diagnostic]:
    """Parse every manifest file of `module` into `module.documents`."""
    diagnostics: list[Diagnostic] = []
    for path in module.files:
        if links_outside(path, module.root):
            diagnostics.append(link_out(path, "module folder"))
            module.unread.append(path)
            continue
        documents, problems = parse_file(path)
        module.documents.extend(documents)
        diagnostics.extend(problems)
        if any(p.code in ("MLCC101", "MLCC105") for p in problems):
            module.unread.append(path)
    if module.files and not module.documents and not diagnostics:
        diagnostics.append(
            Diagnostic(
                "MLCC106",
                f"the manifest files of module '{module.name}' hold no documents",
                Location.of_file(module.files[0]),
                hint="a module needs at least one DataBox, MLComponent or APIComponent",
            )
        )
    return diagnostics


def parse_file(path: Path) -> tuple[list[Document], list[Diagnostic]]:
    source, problem = read_source(path)
    if problem:
        return [], [problem]
    return parse_source(source)


def read_source(path: Path) -> tuple[SourceFile, Diagnostic | None]:
    empty = SourceFile(path, "")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return empty, _unreadable(path, f"file is {size} bytes, over the {MAX_FILE_BYTES} limit")
        raw = path.read_bytes()
    except OSError as exc:
        return empty, _unreadable(path, exc.strerror or str(exc))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1  # characters, not bytes
        return empty, Diagnostic(
            "MLCC105",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            Location(str(path), line, col),
            hint="save the file as UTF-8",
        )
    return SourceFile(path, text), None


def _unreadable(path: Path, why: str) -> Diagnostic:
    return Diagnostic("MLCC105", f"cannot read file: {why}", Location.of_file(path))


def parse_source(source: SourceFile) -> tuple[list[Document], list[Diagnostic]]:
    """Every document of `source`; a broken document does not hide the ones after it.

    A syntax error ends a YAML stream, so parsing restarts at the next `---` line
    (line numbers kept), and each broken document gets its own diagnostic.
    """
    fast = load_documents(source.text, MAX_DEPTH)
    if fast is not None:
        return [Document(source, i, root, start_line=line) for i, (root, line) in enumerate(fast)], []
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    lines = source.text.splitlines(keepends=True)
    start = 0
    while len(diagnostics) < MAX_ERRORS_PER_FILE:
        failed_at = _parse_stream(source, "".join(lines[start:]), start, documents, diagnostics)
        if failed_at is None:
            break
        restart = _next_document_start(lines, failed_at, start, source.text)
        if restart is None:
            break
        start = restart
    return documents, _unique(diagnostics)


def _parse_stream(
    source: SourceFile, text: str, first_line: int, documents: list[Document], diagnostics: list[Diagnostic]
) -> int | None:
    """Parse `text`, which starts at 0-based line `first_line` of the file.

    Returns None when the stream was read to its end, else the 0-based line of
    the syntax error that ended it.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import MaxDepthExceededError
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    parser = None
    try:
        # Inside the try: the reader already rejects non-printable characters here.
        constructor, parser = yaml.get_constructor_parser(text)
        yaml.reader.line = first_line  # marks, and so every position, count from the file's start
        constructor.composer.warn_double_anchors = False  # legal YAML: the later anchor wins
        while constructor.composer.check_node():
            node = constructor.composer.get_node()
            if node is None:
                continue
            problem = _size_problem(source, node)
            if problem:
                diagnostics.append(problem)
                continue
            try:
                root = constructor.construct_document(node)
            except DuplicateKeyError as exc:
                diagnostics.append(_duplicate(source, exc))
                # Reported once; then read on as if the first key won, so the
                # document's other problems (and its name, for references) count.
                _reset(constructor)
                constructor.allow_duplicate_keys = True
                root = constructor.construct_document(node)
                constructor.allow_duplicate_keys = False
            if root is None:  # an empty document between two `---`
                continue
            documents.append(Document(source, len(documents), root, start_line=node.start_mark.line + 1))
    except MaxDepthExceededError as exc:
        diagnostics.append(_marked(source, exc, "MLCC101", f"document nests deeper than {MAX_DEPTH} levels"))
        return _line_of(exc)
    except MarkedYAMLError as exc:
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        diagnostics.append(_indentation(source, exc, message) or _with_help(_marked(source, exc, "MLCC101", message)))
        return _line_of(exc)
    except ReaderError as exc:  # a character YAML forbids; its mark is an offset into `text`
        line, column = _position(text, exc.position)
        diagnostics.append(
            Diagnostic("MLCC101", f"cannot parse YAML: {exc.reason} ({_code_point(exc.character)})",
                       Location(str(source.path), first_line + line, column),
                       hint="remove the character, or write it as an escape inside a double-quoted string")
        )
    except (YAMLError, RecursionError, ValueError, TypeError) as exc:
        diagnostics.append(
            Diagnostic("MLCC101", f"cannot parse YAML: {exc}", Location(str(source.path), first_line + 1, 1))
        )
    finally:
        if parser is not None:
            parser.dispose()
    return None


# A parser error that a wrong indentation typically causes: worth a search for the line.
_INDENTATION_SIGNS = ("expected <block end>", "mapping values are not allowed", "could not find expected ':'",
                      "did not find expected key", "did not find expected '-'")
# Bounds of that search (it runs only on a broken document): lines of one document, lines above the
# error tried, and parses in all.
MAX_SEARCH_LINES = 1000
MAX_LINES_TRIED = 40
MAX_TRIALS = 300


def _with_help(diagnostic: Diagnostic) -> Diagnostic:
    """The parser's own message, with a `help:` for the usual causes."""
    message = diagnostic.message
    if "'\\t'" in message or "\t" in message:
        hint = "YAML indents with spaces only: replace the tab with spaces"
    elif any(sign in message for sign in _INDENTATION_SIGNS):
        hint = ("check the indentation of this line and of the lines above it: the keys of one mapping start "
                "in one column, and so do the `- ` items of one list")
    else:
        return diagnostic
    return replace(diagnostic, hint=hint)


def _indentation(source: SourceFile, exc: Exception, message: str) -> Diagnostic | None:
    """A parser error caused by one wrongly indented line, reported at that line (which may be well
    above where the parser stopped) with the column it belongs in; None when no such line is found.

    The line is found by trying: the nearest line at or above the error whose indentation, changed to
    one the lines above it use (alone, or with the lines nested under it), makes the document parse.
    """
    mark = getattr(exc, "problem_mark", None)
    if mark is None or not any(sign in message for sign in _INDENTATION_SIGNS):
        return None
    lines = source.text.split("\n")
    found = _misindented(lines, mark.line)
    if found is None:
        return None
    number, written, meant, block = found
    text = lines[number]
    token = text.split()[0][:40]
    like = _like(lines, number, meant)
    where = f", like {like}" if like else ""
    if block:
        fix = f"move it and the {block} line(s) under it {_direction(written, meant)} to column {meant + 1}{where}"
    else:
        fix = f"move it to column {meant + 1}{where}"
    stopped = f"the YAML parser stopped at line {mark.line + 1}, column {mark.column + 1}: {message}"
    return Diagnostic(
        "MLCC101",
        f"wrong indentation: `{token}` starts at column {written + 1}; it belongs at column {meant + 1}",
        Location(str(source.path), number + 1, written + 1, len(token)),
        hint=f"{fix}: the keys of one mapping start in one column, and so do the `- ` items of one list",
        related=(Location(str(source.path), mark.line + 1, mark.column + 1),) if mark.line != number else (),
        notes=(stopped,),
    )


def _direction(written: int, meant: int) -> str:
    return f"{meant - written} column(s) right" if meant > written else f"{written - meant} column(s) left"


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _misindented(lines: list[str], error: int) -> tuple[int, int, int, int] | None:
    """(line, column written, column meant, lines moved with it), 0-based, of the line to re-indent.

    Every re-indentation (of a line at or up to MAX_LINES_TRIED above the error, to a column the
    lines above it use) that makes the document parse is a candidate; the one that leaves the
    document's indentation most regular wins (a nested line two columns in, when the file indents by
    two), then the one nearest the error. Moving the culprit back and moving its neighbours to match
    it may both parse; only the first gives the file its usual shape.
    """
    if error >= len(lines):
        return None
    start = next((j + 1 for j in range(error - 1, -1, -1) if _DOCUMENT_START.match(lines[j])), 0)
    end = next((j for j in range(error, len(lines)) if j >= start and _DOCUMENT_START.match(lines[j])), len(lines))
    document = lines[start:end]
    if len(document) > MAX_SEARCH_LINES or _parses(document):
        return None
    step = _usual_step(document)
    best: tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None = None
    trials = 0
    for number in range(min(error, end - 1), max(start - 1, error - MAX_LINES_TRIED), -1):
        line = lines[number]
        if not _content(line) or "\t" in line[: len(line) - len(line.lstrip())]:
            continue
        written = _indent_of(line)
        below = [j for j in range(number + 1, end) if _content(lines[j])]
        nested = 0
        for j in below if _opens_block(line) else ():
            if _indent_of(lines[j]) <= written:
                break
            nested += 1
        columns = _levels(lines[start:number])
        above = next((lines[j] for j in range(number - 1, start - 1, -1) if _content(lines[j])), None)
        if above is not None and _opens_block(above):  # the first line of a block may start a column
            columns.add(_indent_of(above) + step)
        for meant in sorted(columns - {written}, key=lambda c: (abs(c - written), -c)):
            if trials >= MAX_TRIALS:
                return best[1] if best else None
            trials += 2
            shift = meant - written
            fixed = list(document)
            fixed[number - start] = " " * meant + line.lstrip(" ")
            # Alone, when what was nested under the line stays nested under it; else with it.
            if not nested or _indent_of(lines[below[0]]) > meant:
                moved = 0
            else:
                moved = nested
                for j in below[:nested]:
                    fixed[j - start] = " " * (_indent_of(lines[j]) + shift) + lines[j].lstrip(" ")
            if not _parses(fixed):
                continue
            rank = (_irregular(fixed, step), error - number, moved, abs(shift))
            if best is None or rank < best[0]:
                best = (rank, (number, written, meant, moved))
    return best[1] if best else None


def _steps(lines: list[str]) -> list[int]:
    """How far each line is indented past the nearest line above it that is indented less."""
    found = []
    open_: list[int] = []  # the indentations of the lines above that are still open, increasing
    for line in lines:
        if not _content(line):
            continue
        column = _indent_of(line)
        while open_ and open_[-1] >= column:
            open_.pop()
        if open_:
            found.append(column - open_[-1])
        open_.append(column)
    return found


def _usual_step(lines: list[str]) -> int:
    steps = _steps(lines)
    return max(set(steps), key=steps.count) if steps else 2


def _irregular(lines: list[str], step: int) -> int:
    """Lines indented by other than the usual step, and `key:` lines with nothing under them."""
    content = [line for line in lines if _content(line)]
    empty = sum(
        1
        for line, after in zip(content, [*content[1:], ""])
        if _COMMENT.sub("", line).rstrip().endswith(":") and (not after or _indent_of(after) <= _indent_of(line))
        and not after.lstrip().startswith("- ")
    )
    return empty + sum(1 for s in _steps(lines) if s != step)


_OPENS = re.compile(r"(:|:\s*[|>][-+0-9]*|^\s*-.*)\s*$")
_COMMENT = re.compile(r"\s+#.*$")


def _opens_block(line: str) -> bool:
    """Whether the lines more indented below `line` are its own: after `key:`, `key: |` or a `- ` item
    (not after `key: value`, where they would be a continued scalar)."""
    return bool(_OPENS.search(_COMMENT.sub("", line)))


def _levels(lines: list[str]) -> set[int]:
    """The columns where the lines above start a key or a list item (`- key:` starts two)."""
    found = {0}
    for line in lines:
        if not _content(line):
            continue
        column = _indent_of(line)
        found.add(column)
        rest = line[column:]
        while rest.startswith("- "):  # `- - a` and `- name: x`: the item's content starts further in
            step = len(rest) - len(rest[1:].lstrip(" "))
            column += step
            rest = rest[step:]
            found.add(column)
    return found


def _like(lines: list[str], number: int, column: int) -> str:
    """`key:` on line N: the nearest line above `number` with something starting at `column`."""
    for j in range(number - 1, -1, -1):
        line = lines[j]
        if _DOCUMENT_START.match(line):
            break
        if _content(line) and len(line) > column and line[column] not in " -" and line[:column].strip(" -") == "":
            return f"`{line[column:].split()[0][:40]}` on line {j + 1}"
    return ""


def _parses(lines: list[str]) -> bool:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for _ in yaml.compose_all("\n".join(lines), Loader=loader):
            pass
    except (yaml.YAMLError, RecursionError, ValueError):
        return False
    return True


def _code_point(character: int | str) -> str:
    return f"U+{character if isinstance(character, int) else ord(character):04X}"


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset into `text`."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _line_of(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line if mark is not None else None


def _reset(constructor: object) -> None:
    constructor.constructed_objects = {}  # type: ignore[attr-defined]
    constructor.recursive_objects = {}  # type: ignore[attr-defined]
    constructor.state_generators = []  # type: ignore[attr-defined]
    constructor.deep_construct = False  # type: ignore[attr-defined]


_DOCUMENT_START = re.compile(r"^---(\s|$)")


def _next_document_start(lines: list[str], error_line: int | None, start: int, text: str) -> int | None:
    """The first `---` line at or after the error that moves parsing forward.

    A document marker always ends the document before it (YAML forbids it inside
    any scalar), so the text from there parses on its own.
    """
    if error_line is None or "\n%" in "\n" + text:
        return None  # directives belong to the next document: do not guess
    for number in range(max(error_line, start + 1), len(lines)):
        if _DOCUMENT_START.match(lines[number]):
            return number
    return None


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop repeats (a restart may meet the same broken line twice)."""
    seen: set[tuple] = set()
    return [d for d in diagnostics if not (d.sort_key() in seen or seen.add(d.sort_key()))]


def _size_problem(source: SourceFile, root: object) -> Diagnostic | None:
    """A document too deep or too big once its aliases are expanded (a YAML bomb)."""
    depth, size = _measure(root, {}, 0)
    if depth <= MAX_DEPTH and size <= MAX_NODES:
        return None
    mark = getattr(root, "start_mark", None)
    line = mark.line + 1 if mark is not None else 1
    why = f"nests deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else f"expands to more than {MAX_NODES} values"
    return Diagnostic(
        "MLCC101",
        f"document {why}",
        Location(str(source.path), line, 1),
        hint="a manifest needs neither deep nesting nor many aliases (`*name`); write the values out",
    )


def _measure(node: object, memo: dict[int, tuple[int, int]], level: int) -> tuple[int, int]:
    """(depth, node count) of a composed YAML node, aliases expanded, in linear time."""
    children = getattr(node, "value", None)
    if not isinstance(children, list):
        return 0, 1
    if level > MAX_DEPTH:  # deep enough to reject: stop before Python's own recursion limit
        return MAX_DEPTH + 1, 1
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = (MAX_DEPTH + 1, MAX_NODES + 1)  # a node reached again while measuring it: a cycle
    depth, size = 0, 1
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            d, n = _measure(part, memo, level + 1)
            depth, size = max(depth, d), min(size + n, MAX_NODES + 1)
    memo[key] = (depth + 1, size)
    return memo[key]


def _duplicate_key(exc: Exception) -> str | None:
    problem = getattr(exc, "problem", "") or ""
    return problem.split('"')[1] if problem.count('"') >= 2 else None


def _duplicate(source: SourceFile, exc: Exception) -> Diagnostic:
    key = _duplicate_key(exc)
    diagnostic = _marked(source, exc, "MLCC102", f"key '{key}' appears twice in one mapping" if key else "duplicate key")
    return replace(
        diagnostic,
        location=replace(diagnostic.location, length=max(len(key or ""), 1)),
        hint="each key may appear only once; remove or rename one",
    )


def _marked(source: SourceFile, exc: Exception, code: str, message: str) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    context = getattr(exc, "context_mark", None)  # e.g. where the unclosed `{` opened
    related = (Location(str(source.path), context.line + 1, context.column + 1),) if context is not None else ()
    return Diagnostic(code, message, Location(str(source.path), line, col), related=related)
