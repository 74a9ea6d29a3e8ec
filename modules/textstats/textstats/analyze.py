"""Inference function of the textstats module (the contract: docs/inference-function.md).

Reads an uploaded UTF-8 text file, counts its words without stop words, and writes a JSON
report next to the input file; the runtime uploads that report to the user's box.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

OUTPUT_NAMES = ("report", "word_count")
DEFAULT_TOP_N = 10
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def load_stopwords(model_key: str) -> frozenset[str]:
    """Load the stop-word list: one word per line, ``#`` starts a comment."""
    path = Path(model_key)
    if not path.is_file():
        raise FileNotFoundError(f"stop-word list {model_key!r} not found")
    log.info("loading stop words from %s", path)
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip().lower()
        if word:
            words.add(word)
    return frozenset(words)


def tokenize(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def _top_n(parameters: list[dict]) -> int:
    params = {p.get("name"): p.get("value") for p in (parameters or [])}
    value = params.get("top_n", DEFAULT_TOP_N)
    try:
        top_n = int(value)
        if isinstance(value, float) and value != top_n:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"parameter 'top_n' must be an integer, got {value!r}") from None
    if top_n < 1:
        raise ValueError(f"parameter 'top_n' must be at least 1, got {top_n}")
    return top_n


def _document(inputs: list[dict]) -> Path:
    by_name = {i.get("name"): i for i in (inputs or [])}
    if "document" not in by_name:
        raise ValueError("missing input 'document' (FILE: a UTF-8 text file)")
    data = by_name["document"].get("data")
    if isinstance(data, str):
        data = [data]
    if not isinstance(data, (list, tuple)) or len(data) != 1 or not isinstance(data[0], str):
        raise ValueError("input 'document' must hold exactly one file path")
    path = Path(data[0])
    if not path.is_file():
        raise ValueError(f"input file {data[0]!r} does not exist")
    return path


def inference(
    parameters: list[dict],
    inputs: list[dict],
    output_fields: list[dict],
    model_key: str,
    model: Any = None,
) -> tuple[list[dict], Any]:
    """Count the words of a text document, leaving out stop words.

    Parameter ``top_n`` (integer, default 10) limits the report to the most common words.

    :param inputs.document: the text to analyse, a UTF-8 encoded plain-text file
    :type inputs.document: FILE
    :param outputs.report: JSON report: total and distinct word counts, and the top_n most
        common words that are not stop words with their counts
    :type outputs.report: FILE
    :param outputs.word_count: number of words in the document, stop words included, shape [1]
    :type outputs.word_count: INT32
    """
    if model is None:
        model = load_stopwords(model_key)
    stopwords: frozenset[str] = model

    requested = [f.get("name") for f in (output_fields or [])] or list(OUTPUT_NAMES)
    unknown = [n for n in requested if n not in OUTPUT_NAMES]
    if unknown:
        raise ValueError(f"unknown output field(s) {unknown}; available: {list(OUTPUT_NAMES)}")

    top_n = _top_n(parameters)
    path = _document(inputs)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"input file {path.name!r} is not UTF-8 text") from None

    words = tokenize(text)
    counts = Counter(w for w in words if w not in stopwords)

    outputs = []
    for name in requested:
        if name == "word_count":
            outputs.append({"name": name, "datatype": "INT32", "data": [len(words)], "shape": [1]})
        elif name == "report":
            report_path = path.with_name(f"{path.stem}.report.json")
            report = {
                "source": path.name,
                "word_count": len(words),
                "content_word_count": sum(counts.values()),
                "distinct_words": len(counts),
                "top_n": top_n,
                "top_words": [{"word": w, "count": c} for w, c in counts.most_common(top_n)],
            }
            report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
            outputs.append({"name": name, "datatype": "FILE", "content_type": "application/json",
                            "data": [str(report_path)], "shape": [1]})
    return outputs, model
