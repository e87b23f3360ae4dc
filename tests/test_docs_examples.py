"""The runnable examples of docs/tasks.md and docs/tasks_protocols.md run as written.

A code block is runnable when the line before its opening fence is
``<!-- runnable -->``; each such block is executed in a fresh namespace.
"""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = ("docs/tasks.md", "docs/tasks_protocols.md")
BLOCK = re.compile(r"<!-- runnable -->\n```python\n(.*?)```", re.S)


def _blocks():
    for doc in DOCS:
        text = open(os.path.join(ROOT, doc), encoding="utf-8").read()
        for k, code in enumerate(BLOCK.findall(text)):
            yield pytest.param(code, id=f"{os.path.basename(doc)}-{k}")


def test_every_doc_has_a_runnable_example():
    for doc in DOCS:
        assert BLOCK.search(open(os.path.join(ROOT, doc), encoding="utf-8").read()), doc


@pytest.mark.parametrize("code", list(_blocks()))
def test_runnable_examples_run(code):
    if "evaluate(" in code:
        pytest.importorskip("brian2")
    exec(compile(code, "<doc example>", "exec"), {"__name__": "__doc_example__"})
