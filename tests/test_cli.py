"""The CLI as a user runs it: the default model, offline, on the bundled sample."""

import json
import os
import socket
import subprocess
import sys

import pytest

from gmsa_rag.cli import main


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_ask_json_with_the_shipped_model_offline(no_network, capsys):
    assert main(["ask", "--json", "--max-new-tokens", "8", "When was Alain Connes born?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stats"]["mode"] == "gmsa" and out["stats"]["rate"] == 4
    assert 0 < out["stats"]["soft_tokens"] < out["stats"]["text_tokens"] / 3
    assert out["stats"]["time_to_first_token_s"] > 0 and len(out["model"]) == 32
    assert isinstance(out["answer"], str)


def test_compress_reports_sizes(capsys):
    assert main(["compress", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["rate"] for r in rows} == {4, 8}
    for r in rows:
        assert r["shape"][0] == -(-r["text_tokens"] // r["rate"])
        assert r["kv_cache_bytes"] > 50 * r["soft_token_bytes"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "--rate", "3", "who?"], "rate 3"),
        (["ask", "--text", "/nonexistent.txt", "who?"], "no such file"),
        (["ask", "   "], "question is empty"),
        (["ask", "--model", "untrained", "--backbone", "no-such-model", "who?"], "no-such-model"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(argv, message, capsys):
    assert main(argv) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after any loading progress bars
    assert last.startswith("error: ") and message in last


def test_binary_file_is_refused(tmp_path, capsys):
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["ask", "--text", str(binary), "who?"]) == 1
    assert "binary" in capsys.readouterr().err


def test_console_script_usage_error_exits_2():
    result = subprocess.run([sys.executable, "-m", "gmsa_rag.cli", "ask"], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2 and "usage" in result.stderr
