"""The reference graph of a module (boxes → components → APIs → routes) as Mermaid or Graphviz DOT."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlcc.module import Module


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


def build_graph(module: Module) -> tuple[list[Node], list[Edge]]:
    nodes, edges = [], []
    for box in module.databoxes:
        nodes.append(Node(f"box_{box.name}", "DataBox", f"DataBox {box.name}\\n{box.obj.spec.s3_default_storage.capacity}"))
    for component in module.mlcomponents:
        spec = component.obj.spec
        cid = f"ml_{component.name}"
        nodes.append(Node(cid, "MLComponent", f"MLComponent {component.name}\\n{spec.ml_service.inference.entry_point.python_function}"))
        for box in spec.connected_boxes:
            how = f"mount at {box.path}" if box.mount_s3_box else "copy (file exchange)"
            edges.append(Edge(f"box_{box.box_ref.s3_box_name}", cid, how))
    for api in module.apicomponents:
        spec, aid = api.obj.spec, f"api_{api.name}"
        nodes.append(Node(aid, "APIComponent", f"APIComponent {api.name}" + ("" if spec.published else "\\n(unpublished)")))
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
            nodes.append(Node(f"route_{api.name}", "Route", f"{url}\\n({auth} auth)"))
            edges.append(Edge(aid, f"route_{api.name}", "route"))
    return nodes, edges


def _id(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", raw)


SHAPES_MERMAID = {"DataBox": ('[("', '")]'), "MLComponent": ('["', '"]'), "APIComponent": ('{{"', '"}}'), "Route": ('(["', '"])')}
SHAPES_DOT = {"DataBox": "cylinder", "MLComponent": "box", "APIComponent": "hexagon", "Route": "oval"}


def to_mermaid(module: Module) -> str:
    nodes, edges = build_graph(module)
    lines = ["flowchart LR", f"  %% module {module.name}, namespace {module.namespace}"]
    for node in nodes:
        left, right = SHAPES_MERMAID[node.kind]
        lines.append(f"  {_id(node.id)}{left}{node.label.replace(chr(92) + 'n', '<br/>')}{right}")
    for edge in edges:
        label = f'|"{edge.label}"|' if edge.label else ""
        lines.append(f"  {_id(edge.source)} -->{label} {_id(edge.target)}")
    return "\n".join(lines) + "\n"


def to_dot(module: Module) -> str:
    nodes, edges = build_graph(module)
    lines = [f'digraph "{module.name}" {{', "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in nodes:
        lines.append(f'  {_id(node.id)} [shape={SHAPES_DOT[node.kind]}, label="{node.label}"];')
    for edge in edges:
        lines.append(f'  {_id(edge.source)} -> {_id(edge.target)} [label="{edge.label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
