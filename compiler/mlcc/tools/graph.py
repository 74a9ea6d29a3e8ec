"""The reference graph of a module (boxes → components → APIs → routes) as Mermaid or Graphviz DOT."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlcc.frontend.module import Module


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


def build_graph(module: Module) -> tuple[list[Node], list[Edge]]:
    nodes, edges = [], []
    for box in module.databoxes:
        nodes.append(Node(f"box_{box.name}", "DataBox", (f"DataBox {box.name}", str(box.obj.spec.s3_default_storage.capacity))))
    for component in module.mlcomponents:
        spec = component.obj.spec
        cid = f"ml_{component.name}"
        nodes.append(Node(cid, "MLComponent", (f"MLComponent {component.name}", spec.ml_service.inference.entry_point.python_function)))
        for box in spec.connected_boxes:
            how = f"mount at {box.path}" if box.mount_s3_box else "copy (file exchange)"
            edges.append(Edge(f"box_{box.box_ref.s3_box_name}", cid, how))
    for api in module.apicomponents:
        spec, aid = api.obj.spec, f"api_{api.name}"
        nodes.append(Node(aid, "APIComponent", (f"APIComponent {api.name}", *(() if spec.published else ("(unpublished)",)))))
        if spec.ml_component:
            edges.append(Edge(f"ml_{spec.ml_component.name}", aid, "publishes"))
            url = f"/{api.obj.metadata.namespace}/{spec.route_path}/predict"
        elif spec.data_box:
            edges.append(Edge(f"box_{spec.data_box.name}", aid, "file API"))
            url = f"/{api.obj.metadata.namespace}/{spec.route_path}/{spec.data_box.name}/…"
        else:
            continue
        if spec.published:
            auth = "basic" if spec.restful_api.auth.basic else "oidc"
            nodes.append(Node(f"route_{api.name}", "Route", (url, f"({auth} auth)")))
            edges.append(Edge(aid, f"route_{api.name}", "route"))
    return nodes, edges


def _id(module: Module, raw: str) -> str:
    """Unique across modules (each module has its own `box_models`), and a bare word in both syntaxes."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{module.name}__{raw}")


SHAPES_MERMAID = {"DataBox": ('[("', '")]'), "MLComponent": ('["', '"]'), "APIComponent": ('{{"', '"}}'), "Route": ('(["', '"])')}
SHAPES_DOT = {"DataBox": "cylinder", "MLComponent": "box", "APIComponent": "hexagon", "Route": "oval"}
# Labels hold user text (paths, names): as entities it can neither end the string nor add HTML.
_MERMAID_ESCAPES = str.maketrans({"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;"})


def _mermaid_text(*lines: str) -> str:
    return "<br/>".join(line.translate(_MERMAID_ESCAPES) for line in lines)


def _dot_text(*lines: str) -> str:
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def to_mermaid(modules: list[Module]) -> str:
    lines = ["flowchart LR"]
    for module in modules:
        nodes, edges = build_graph(module)
        title = _mermaid_text(f"module {module.name} (namespace {module.namespace})")
        lines.append(f'  subgraph {_id(module, "module")}["{title}"]')
        for node in nodes:
            left, right = SHAPES_MERMAID[node.kind]
            lines.append(f"    {_id(module, node.id)}{left}{_mermaid_text(*node.lines)}{right}")
        lines.append("  end")
        for edge in edges:
            label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
            lines.append(f"  {_id(module, edge.source)} -->{label} {_id(module, edge.target)}")
    return "\n".join(lines) + "\n"


def to_dot(modules: list[Module]) -> str:
    lines = ['digraph "mlcc" {', "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for module in modules:
        nodes, edges = build_graph(module)
        lines.append(f'  subgraph "cluster_{_id(module, "module")}" {{')
        lines.append(f'    label="{_dot_text(f"module {module.name} (namespace {module.namespace})")}";')
        for node in nodes:
            lines.append(f'    {_id(module, node.id)} [shape={SHAPES_DOT[node.kind]}, label="{_dot_text(*node.lines)}"];')
        lines.append("  }")
        for edge in edges:
            lines.append(f'  {_id(module, edge.source)} -> {_id(module, edge.target)} [label="{_dot_text(edge.label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
