"""Where this process's cgroup lives, for the limits read from it (memory, CPU).

A container sees its own cgroup at the mount point; a process on a host sees it under the path
``/proc/self/cgroup`` names. Both are looked at, cgroup v2 (the unified hierarchy, an empty
controller list) and v1 (one hierarchy per controller).
"""

from __future__ import annotations

from pathlib import Path

ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


def own_paths(controller: str, proc_cgroup: str = PROC_CGROUP) -> tuple[str, str]:
    """(v2 path, v1 path of `controller`) of this process's cgroup, relative to the hierarchy
    root ('' when not found)."""
    v2_path, v1_path = "", ""
    try:
        for line in Path(proc_cgroup).read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                v2_path = path
            elif controller in controllers.split(","):
                v1_path = path
    except (OSError, ValueError):
        pass
    return v2_path.lstrip("/"), v1_path.lstrip("/")
