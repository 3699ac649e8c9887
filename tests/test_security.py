"""A static scan of the package (and app/, if present) for unsafe loading and execution patterns.

Nothing on a load path may unpickle, run remote code, eval/exec data or go through a shell. A
pattern that is legitimate somewhere must be listed in ALLOWED with the reason, or carry the
comment ``security-scan: allow`` on its line. Also checks that ``trust_remote_code`` defaults to
False wherever it is a parameter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = [ROOT / "gmsa_rag", ROOT / "app", ROOT / "scripts"]
PATTERNS = {
    "pickle": re.compile(r"\b(c?pickle|dill|cloudpickle|joblib\.load|shelve|marshal\.loads?)\b"),
    "torch.load without weights_only=True": re.compile(r"torch\.load\((?![^)]*weights_only\s*=\s*True)"),
    "trust_remote_code=True": re.compile(r"trust_remote_code\s*=\s*True"),
    "eval/exec": re.compile(r"(?<![\w.])(eval|exec)\s*\("),
    "allow_dangerous_deserialization": re.compile(r"allow_dangerous_deserialization"),
    "shell=True": re.compile(r"shell\s*=\s*True"),
    "os.system / os.popen": re.compile(r"\bos\.(system|popen)\s*\("),
    "yaml.load without SafeLoader": re.compile(r"yaml\.load\((?![^)]*SafeLoader)"),
    "numpy allow_pickle=True": re.compile(r"allow_pickle\s*=\s*True"),
}
# (file relative to the repository, pattern name) -> why it is fine. Keep this short.
ALLOWED: dict[tuple[str, str], str] = {}
INLINE_ALLOW = "security-scan: allow"


def python_files() -> list[Path]:
    return sorted(p for folder in SCANNED if folder.is_dir() for p in folder.rglob("*.py"))


def code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of lines that are code: docstrings and comments do not count."""
    source = path.read_text(encoding="utf-8")
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            docstring_lines.update(range(node.lineno, node.end_lineno + 1))
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split("#", 1)[0] if INLINE_ALLOW not in line else ""
        if number not in docstring_lines and code.strip():
            lines.append((number, code))
    return lines


def findings() -> list[str]:
    found = []
    for path in python_files():
        relative = path.relative_to(ROOT).as_posix()
        for number, code in code_lines(path):
            for name, pattern in PATTERNS.items():
                if pattern.search(code) and (relative, name) not in ALLOWED:
                    found.append(f"{relative}:{number}: {name}: {code.strip()}")
    return found


def test_the_scan_covers_the_package():
    files = {p.relative_to(ROOT).as_posix() for p in python_files()}
    assert {"gmsa_rag/store.py", "gmsa_rag/model/gmsa.py", "gmsa_rag/backbones.py", "gmsa_rag/retrieval.py"} <= files


def test_no_unsafe_loading_or_execution_on_any_path():
    assert findings() == []


@pytest.mark.parametrize(
    "line",
    [
        "data = pickle.loads(blob)",
        "state = torch.load(path)",
        "state = torch.load(path, map_location='cpu')",
        "AutoModel.from_pretrained(name, trust_remote_code=True)",
        "value = eval(text)",
        "exec(code, {})",
        "FAISS.load_local(p, e, allow_dangerous_deserialization=True)",
        "subprocess.run(cmd, shell=True)",
        "os.system(cmd)",
        "np.load(path, allow_pickle=True)",
    ],
)
def test_the_scan_catches_each_pattern(line):
    assert any(p.search(line) for p in PATTERNS.values()), line


@pytest.mark.parametrize("line", ["torch.load(path, weights_only=True)", "model.eval()", "self.evaluate()", "yaml.load(f, Loader=yaml.SafeLoader)"])
def test_the_scan_lets_safe_forms_pass(line):
    assert not any(p.search(line) for p in PATTERNS.values()), line


def test_trust_remote_code_defaults_to_false_wherever_it_is_a_parameter():
    seen = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            args = node.args
            positional = args.posonlyargs + args.args
            defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
            defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
            names = [a.arg for a in positional + args.kwonlyargs]
            if "trust_remote_code" in names:
                default = defaults.get("trust_remote_code")
                where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                assert isinstance(default, ast.Constant) and default.value is False, where
                seen.append(where)
    assert seen, "expected load_backbone to take trust_remote_code"


def test_keyword_calls_pass_trust_remote_code_through_or_false():
    """Every call that names trust_remote_code passes False or the (False-by-default) parameter."""
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "trust_remote_code":
                        value = keyword.value
                        ok = (isinstance(value, ast.Constant) and value.value is False) or (
                            isinstance(value, ast.Name) and value.id == "trust_remote_code"
                        )
                        assert ok, f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_load_paths_read_only_safe_formats():
    """The model, store and index loaders use safetensors / raw bytes / JSON, as the scan found."""
    gmsa = (ROOT / "gmsa_rag/model/gmsa.py").read_text()
    trainer = (ROOT / "gmsa_rag/training/trainer.py").read_text()
    assert "from safetensors.torch import load_file" in gmsa and "load_file(" in trainer
    store = (ROOT / "gmsa_rag/store.py").read_text()
    assert "class _RawBytesDisk" in store and "refuses to unpickle" in store
