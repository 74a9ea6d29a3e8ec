"""Fixtures of the compiler tests.

Every case of the corpus (tests/compiler/cases/<case>/) is linted once per session,
all cases concurrently, and the tests read the results.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from compiler_support import Run, case_names, lint_case


@pytest.fixture(scope="session")
def corpus_runs() -> dict[str, Run]:
    names = case_names()
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(names, pool.map(lambda case: lint_case(case, "--format", "json"), names)))
