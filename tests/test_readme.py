"""The README's Python snippet runs and prints what the README says it prints."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def snippet(name: str) -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    block = text.split(f"<!-- readme-snippet: {name}")[1]
    code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
    printed = re.search(r"prints\n\n```\n(.*?)```", block, re.S).group(1)
    return code, printed


def test_compress_snippet_prints_the_documented_shapes_and_sizes():
    code, expected = snippet("compress")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().strip() == expected.strip()
