"""Identical input gives byte-identical output: across runs, across checkouts, and
however the manifests are spread over files on disk."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from rendertools import OVERLAYS, REPO, RENDERED, copy_modules, files_of, mlcc_inprocess


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        run = mlcc_inprocess("build", "modules/", "-o", out, cwd=REPO)
        assert run.code == 0, run.text
    a, b = files_of(first), files_of(second)
    assert a == b
    assert len(a) > 40
    # ... and both equal the committed golden tree.
    assert a == files_of(RENDERED)


def test_output_does_not_depend_on_where_the_repo_is_checked_out(tmp_path: Path) -> None:
    copy_modules(tmp_path)
    shutil.copytree(OVERLAYS, tmp_path / "overlays")
    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=tmp_path)
    assert run.code == 0, run.text
    built = files_of(tmp_path / "out")
    assert built == files_of(RENDERED)
    for rel, data in built.items():
        assert str(tmp_path).encode() not in data, f"{rel} leaks the checkout path"


def test_no_timestamps_or_random_values() -> None:
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d|creationTimestamp|generation:|uid:")
    for rel, data in files_of(RENDERED).items():
        assert not stamp.search(data), rel


def _documents(folder: Path) -> list[str]:
    """Every YAML document of a module folder, as text, with its comments dropped."""
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append(yaml.safe_dump(doc, sort_keys=False))
    return docs


def test_file_layout_and_document_order_do_not_matter(tmp_path: Path) -> None:
    """Merge iris into one file with the documents reversed, split textstats into one file per
    document under other names: the objects come out the same, only the source map moves."""
    modules = copy_modules(tmp_path)
    shutil.copytree(OVERLAYS, tmp_path / "overlays")
    iris = modules / "iris"
    merged = list(reversed(_documents(iris)))
    for path in iris.glob("*.yaml"):
        path.unlink()
    (iris / "all-in-one.yml").write_text("---\n".join(merged))
    textstats = modules / "textstats"
    split = _documents(textstats)
    for path in textstats.glob("*.yaml"):
        path.unlink()
    for index, doc in enumerate(reversed(split)):
        (textstats / f"{index:02d}-part.yaml").write_text(doc)

    run = mlcc_inprocess("build", "modules", "-o", "out", cwd=tmp_path)
    assert run.code == 0, run.text
    built, golden = files_of(tmp_path / "out"), files_of(RENDERED)
    assert sorted(built) == sorted(golden)
    for rel in golden:
        if rel.endswith("sourcemap.json"):
            moved = json.loads(built[rel])
            assert sorted(moved) == sorted(json.loads(golden[rel]))
            assert all(v.startswith("modules/") for v in moved.values())
        else:
            assert built[rel] == golden[rel], rel
