"""Compare two rendered trees object by object: what is added, removed, changed, and what it does.

Input is what `render_tree` returns (`{relative path: YAML text}`); objects are identified by their
output file (`<env>/<namespace>/<kind>-<name>.yaml`), which is stable even for hashed names (the
runtime ConfigMap keeps its file when its name changes). Changes are reported as field paths, list
items matched by `name` where they have one (`spec.template.spec.containers[inference].image`).

Consequences are spelled out: Deployments whose pod template changed (pods restart) and destructive
changes — DataBox storage removed, renamed or shrunk, a route removed, a Namespace removed.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

STORAGE_KINDS = ("ObjectBucketClaim", "PersistentVolumeClaim", "PersistentVolume")
ROUTE_KINDS = ("Ingress", "HTTPRoute")
CAPACITY_KEYS = ("storage", "maxSize", "capacity")
SKIPPED_FILES = ("kustomization.yaml", "sourcemap.json")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any  # MISSING when added
    new: Any  # MISSING when removed


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass
class ObjectChange:
    status: str  # "added" | "removed" | "changed"
    kind: str
    name: str
    file: str  # relative file inside the env/namespace folder
    fields: list[FieldChange] = field(default_factory=list)
    restart: bool = False
    destructive: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class ModuleChange:
    env: str
    namespace: str  # or "argocd" for the Applications folder
    module: str | None  # app.kubernetes.io/part-of, when known
    objects: list[ObjectChange] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.namespace == "argocd":
            return "Argo CD Applications"
        if self.module:
            return f"module {self.module} (namespace {self.namespace})"
        return f"namespace {self.namespace}"


@dataclass
class DiffResult:
    modules: list[ModuleChange] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)  # unified diff lines of the YAML files

    @property
    def destructive(self) -> list[tuple[ModuleChange, ObjectChange, str]]:
        return [(m, o, d) for m in self.modules for o in m.objects for d in o.destructive]

    @property
    def restarts(self) -> list[tuple[ModuleChange, ObjectChange]]:
        return [(m, o) for m in self.modules for o in m.objects if o.restart]

    @property
    def environments(self) -> list[str]:
        return sorted({m.env for m in self.modules})


# --- comparing --------------------------------------------------------------------


def compare(old_objs: dict[str, dict], new_objs: dict[str, dict], raw: bool = False) -> DiffResult:
    """Objects keyed by `<env>/<folder>/<file>` (what `revisions.render_side` reads of a build) on each side."""
    result = DiffResult()
    folders = sorted({_folder(p) for p in (*old_objs, *new_objs)})
    for env, namespace in folders:
        prefix = f"{env}/{namespace}/"
        old = {p[len(prefix):]: o for p, o in old_objs.items() if p.startswith(prefix) and "/" not in p[len(prefix):]}
        new = {p[len(prefix):]: o for p, o in new_objs.items() if p.startswith(prefix) and "/" not in p[len(prefix):]}
        module = ModuleChange(env, namespace, _module_name(new) or _module_name(old))
        for file in sorted(set(old) | set(new)):
            change = _compare_object(file, old.get(file), new.get(file))
            if change is not None:
                module.objects.append(change)
        _renames(module)
        if module.objects:
            result.modules.append(module)
    if raw:
        from mlcc.syntax.yamlio import dump_yaml

        result.raw = unified({p: dump_yaml(o) for p, o in old_objs.items()}, {p: dump_yaml(o) for p, o in new_objs.items()})
    return result


def unified(base: dict[str, str], head: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for path in sorted(set(base) | set(head)):
        a, b = base.get(path), head.get(path)
        if a == b:
            continue
        lines += difflib.unified_diff(
            (a or "").splitlines(keepends=True),
            (b or "").splitlines(keepends=True),
            fromfile=f"a/{path}" if a is not None else "/dev/null",
            tofile=f"b/{path}" if b is not None else "/dev/null",
        )
    return [line if line.endswith("\n") else line + "\n" for line in lines]


def _folder(path: str) -> tuple[str, str]:
    env, namespace, _ = path.split("/", 2)
    return env, namespace


def _module_name(objs: dict[str, dict]) -> str | None:
    for obj in objs.values():
        name = ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/part-of")
        if name:
            return name
    return None


def _compare_object(file: str, old: dict | None, new: dict | None) -> ObjectChange | None:
    obj = new if new is not None else old
    kind, name = obj.get("kind", "?"), (obj.get("metadata") or {}).get("name", "?")
    if old is None:
        return ObjectChange("added", kind, name, file)
    if new is None:
        change = ObjectChange("removed", kind, name, file)
        change.destructive += _removal_danger(kind, name)
        return change
    fields = list(field_changes(old, new))
    if not fields:
        return None
    change = ObjectChange("changed", kind, name, file, fields)
    if kind in WORKLOAD_KINDS and any(f.path.startswith("spec.template.") or f.path == "spec.template" for f in fields):
        change.restart = True
    if kind in STORAGE_KINDS:
        old_name = (old.get("metadata") or {}).get("name")
        if old_name != name:
            change.destructive.append(f"DataBox storage {kind} renamed {old_name} → {name}: the new one starts empty")
        change.destructive += _shrinks(kind, name, fields)
    return change


def _removal_danger(kind: str, name: str) -> list[str]:
    if kind in STORAGE_KINDS:
        return [
            f"DataBox storage {kind} {name} removed: the module loses its data "
            "(Argo CD will not prune it — Prune=false — so it is orphaned, not deleted)"
        ]
    if kind in ROUTE_KINDS:
        return [f"route {kind} {name} removed: its URLs stop answering"]
    if kind == "Namespace":
        return [f"Namespace {name} removed: the whole module goes away"]
    return []


def _shrinks(kind: str, name: str, fields: list[FieldChange]) -> list[str]:
    from mlcc.model.quantity import parse_quantity

    for f in fields:
        leaf = f.path.rsplit(".", 1)[-1]
        if leaf not in CAPACITY_KEYS or f.old is MISSING or f.new is MISSING:
            continue
        try:
            before, after = parse_quantity(str(f.old)), parse_quantity(str(f.new))
        except ValueError:
            continue
        if after < before:
            return [f"DataBox storage {kind} {name} capacity shrinks {f.old} → {f.new} ({f.path}): data beyond the new size may be lost or writes refused"]
    return []


def _renames(module: ModuleChange) -> None:
    """A storage object removed and one of the same kind added in the same folder: a rename."""
    for kind in STORAGE_KINDS:
        removed = [o for o in module.objects if o.status == "removed" and o.kind == kind]
        added = [o for o in module.objects if o.status == "added" and o.kind == kind]
        for old, new in zip(removed, added):
            old.destructive = [
                f"DataBox storage {kind} renamed {old.name} → {new.name}: the new one starts empty, "
                f"the data stays in {old.name} (orphaned: Argo CD will not prune it)"
            ]


def _keyed_changes(old: dict, new: dict, label) -> list[FieldChange]:
    """Changes between two keyed collections (mapping keys, or list items by `name`), in old order."""
    out: list[FieldChange] = []
    for key in list(old) + [k for k in new if k not in old]:
        sub = label(key)
        if key not in new:
            out.append(FieldChange(sub, old[key], MISSING))
        elif key not in old:
            out.append(FieldChange(sub, MISSING, new[key]))
        else:
            out += field_changes(old[key], new[key], sub)
    return out


def field_changes(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        return _keyed_changes(old, new, lambda key: f"{path}.{key}" if path else str(key))
    if isinstance(old, list) and isinstance(new, list):
        if old == new:
            return []
        old_named, new_named = _by_name(old), _by_name(new)
        if old_named is not None and new_named is not None:
            return _keyed_changes(old_named, new_named, lambda key: f"{path}[{key}]")
        if len(old) == len(new):
            out = []
            for i, (a, b) in enumerate(zip(old, new)):
                out += field_changes(a, b, f"{path}[{i}]")
            return out
        return [FieldChange(path, old, new)]
    if old != new or type(old) is not type(new):
        return [FieldChange(path, old, new)]
    return []


def _by_name(items: list) -> dict[str, Any] | None:
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    names = [i["name"] for i in items]
    if len(set(names)) != len(names):
        return None
    return {i["name"]: i for i in items}


# --- printing ---------------------------------------------------------------------


def show(value: Any, limit: int = 80) -> str:
    if value is MISSING:
        return "(none)"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(change: FieldChange) -> str:
    if change.old is MISSING:
        return f"{change.path}: added {show(change.new)}"
    if change.new is MISSING:
        return f"{change.path}: removed (was {show(change.old)})"
    return f"{change.path}: {show(change.old)} → {show(change.new)}"


def _restart_reason(obj: ObjectChange) -> str:
    paths = [f.path.removeprefix("spec.template.") for f in obj.fields if f.path.startswith("spec.template")]
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"pod template changed: {shown}"


def format_text(result: DiffResult, base: str, head: str) -> str:
    lines: list[str] = []
    if not result.modules:
        lines.append(f"mlcc diff {base} → {head}: no changes to rendered objects")
    else:
        counts = _counts(result)
        lines.append(
            f"mlcc diff {base} → {head}: {counts['added']} added, {counts['removed']} removed, "
            f"{counts['changed']} changed in {len(result.environments)} environment(s); "
            f"{len(result.restarts)} Deployment(s) restart; {len(result.destructive)} destructive"
        )
    for module, obj, danger in result.destructive:
        lines.append(f"DESTRUCTIVE: {module.env}/{module.namespace}: {danger}")
    env = None
    for module in result.modules:
        if module.env != env:
            env = module.env
            lines += ["", f"=== environment {env} ==="]
        lines.append(f"--- {module.title} ---")
        for obj in module.objects:
            mark = {"added": "+", "removed": "-", "changed": "~"}[obj.status]
            lines.append(f"  {mark} {obj.status} {obj.label}")
            for f in obj.fields:
                lines.append(f"      {describe(f)}")
            for danger in obj.destructive:
                lines.append(f"      DESTRUCTIVE: {danger}")
        for obj in module.objects:
            if obj.restart:
                lines.append(f"  pods restart: {obj.label} ({_restart_reason(obj)})")
    if result.raw:
        lines += ["", "=== raw diff of the rendered YAML ==="]
        lines.append("".join(result.raw).rstrip("\n"))
    return "\n".join(lines) + "\n"


def format_markdown(result: DiffResult, base: str, head: str) -> str:
    out: list[str] = [f"## mlcc diff: `{base}` → {head}", ""]
    if not result.modules:
        out += ["No changes to rendered objects.", ""]
        return "\n".join(out)
    counts = _counts(result)
    out += [
        f"**{counts['added']}** added, **{counts['removed']}** removed, **{counts['changed']}** changed "
        f"in {len(result.environments)} environment(s); **{len(result.restarts)}** Deployment(s) restart; "
        f"**{len(result.destructive)}** destructive.",
        "",
    ]
    if result.destructive:
        out += ["> [!CAUTION]", "> **DESTRUCTIVE changes** — review before merging:", ">"]
        for module, obj, danger in result.destructive:
            out.append(f"> - `{module.env}/{module.namespace}`: {_md(danger)}")
        out.append("")
    env = None
    for module in result.modules:
        if module.env != env:
            env = module.env
            out += [f"### Environment `{env}`", ""]
        out += [f"#### {module.title}", "", "| | object | changes |", "|---|---|---|"]
        for obj in module.objects:
            icon = {"added": "➕ added", "removed": "➖ removed", "changed": "✏️ changed"}[obj.status]
            notes = [f"`{_cell(describe(f))}`" for f in obj.fields[:12]]
            if len(obj.fields) > 12:
                notes.append(f"… {len(obj.fields) - 12} more")
            if obj.restart:
                notes.append("🔄 **pods restart**")
            notes += [f"⚠️ **DESTRUCTIVE:** {_cell(d)}" for d in obj.destructive]
            out.append(f"| {icon} | `{obj.kind}/{obj.name}` | {'<br>'.join(notes)} |")
        out.append("")
    if result.raw:
        out += ["<details><summary>Raw diff of the rendered YAML</summary>", "", "```diff"]
        out.append("".join(result.raw).rstrip("\n"))
        out += ["```", "", "</details>", ""]
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def _counts(result: DiffResult) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0}
    for module in result.modules:
        for obj in module.objects:
            counts[obj.status] += 1
    return counts
