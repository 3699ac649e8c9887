"""The CLI as a user runs it: the default model, offline, on the bundled sample."""

import json
import os
import socket
import subprocess
import sys

import pytest
import torch

from gmsa_rag.cli import main
from gmsa_rag.documents import SAMPLE_DIR


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_ask_json_with_the_shipped_model_offline(no_network, capsys, tmp_path):
    root = ["--root", str(tmp_path)]
    assert main(["ask", "--json", "--max-new-tokens", "8", *root, "When was Alain Connes born?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sources"][0]["doc_id"] == "alain_connes.txt"  # the sample index was built on first use
    assert out["stats"]["cache_hits"] == len(out["sources"]) and out["stats"]["cache_misses"] == 0
    assert out["stats"]["mode"] == "gmsa" and out["stats"]["rate"] == 4
    assert 0 < out["stats"]["soft_tokens"] < out["stats"]["text_tokens"] / 3
    assert out["stats"]["time_to_first_token_s"] > 0 and len(out["model"]) == 32
    assert isinstance(out["answer"], str)


def test_compress_reports_sizes(capsys):
    assert main(["compress", "--json", "--text", str(SAMPLE_DIR / "alain_connes.txt")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["rate"] for r in rows} == {4, 8}
    for r in rows:
        assert r["shape"][0] == -(-r["text_tokens"] // r["rate"])
        assert r["kv_cache_bytes"] > 50 * r["soft_token_bytes"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "--rate", "3", "--text", str(SAMPLE_DIR / "alain_connes.txt"), "who?"], "rate 3"),
        (["ask", "--text", "/nonexistent.txt", "who?"], "no such file"),
        (["ask", "--text", str(SAMPLE_DIR / "alain_connes.txt"), "   "], "question is empty"),
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


def test_index_info_delete_cycle(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The Seine is the river of Paris. Paris is the capital of France.")
    (docs / "b.md").write_text("Rome is the capital of Italy.")
    (docs / "bad.txt").write_bytes(b"\x00\x00binary")
    root = ["--root", str(tmp_path / "idx")]
    assert main(["index", str(docs), "--index", "t", "--quiet", *root]) == 0
    captured = capsys.readouterr()
    assert "2 added" in captured.out and "skipped" in captured.err and "bad.txt" in captured.err
    assert main(["index", str(docs), "--index", "t", "--quiet", *root]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    assert main(["info", "--index", "t", "--json", *root]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == 2 and info["store_entries"] == 2 * info["chunks"]
    assert main(["delete", "a.txt", "--index", "t", *root]) == 0
    assert main(["delete", "b.md", "--index", "t", *root]) == 0
    capsys.readouterr()
    assert main(["ask", "--index", "t", *root, "Which river?"]) == 1
    assert "holds no documents" in capsys.readouterr().err
    assert main(["ask", "--index", "nope", *root, "Which river?"]) == 1
    assert "no index named 'nope'" in capsys.readouterr().err


def test_eval_reconstruct_json(tmp_path, capsys):
    data = tmp_path / "texts.jsonl"
    data.write_text(json.dumps({"text": (SAMPLE_DIR / "alain_connes.txt").read_text()}) + "\n")
    assert main(["eval", "reconstruct", "--data", str(data), "--rate", "8", "--max-tokens", "16", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["n"] == 1 and out["rate"] == 8 and 0 <= out["bleu"] <= 100 and 0 <= out["rouge_l"] <= 1
    assert main(["eval", "reconstruct", "--data", str(tmp_path / "none.jsonl"), "--rate", "4"]) == 1


def test_train_autoencoder_with_the_decoder_adapter(tmp_path, capsys):
    """`gmsa-rag train autoencoder --train-decoder` adds the named decoder LoRA, trains it in
    stage 1 and saves a model that restates with it."""
    from gmsa_rag.config import GMSAConfig
    from tiny import WORDS, save_tiny_backbone

    backbone = save_tiny_backbone(tmp_path / "tiny")
    gmsa = tmp_path / "gmsa.json"
    GMSAConfig(backbone=str(backbone), encoder_layers=2, lora_r=4, lora_alpha=8, rates=(2,)).save(gmsa)
    data = tmp_path / "ae.jsonl"
    words = [w for w in WORDS if w.isalpha()]
    data.write_text("".join(json.dumps({"text": " ".join(words[i:] + words[:i])}) + "\n" for i in range(8)))
    argv = ["train", "autoencoder", "--gmsa-config", str(gmsa), "--train-data", str(data), "--out", str(tmp_path / "run"),
            "--steps", "2", "--batch-size", "2", "--rates", "2", "--train-decoder", "--decoder-r", "4",
            "--decoder-targets", "q_proj,v_proj", "--lr-decoder", "1e-3", "--device", "cpu"]
    assert main(argv) == 0
    saved = GMSAConfig.load(tmp_path / "run" / "model" / "config.json")
    assert saved.decoder_adapter == "lora" and saved.decoder_targets == ("q_proj", "v_proj") and saved.decoder_lora_r == 4
    assert saved.restate_decoder == "adapted"
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[0]["config"]["train_decoder"] is True and log[0]["config"]["lr_decoder"] == 1e-3


def test_train_keft_with_its_own_answer_adapter(tmp_path):
    """`gmsa-rag train keft --init STAGE1 --answer-adapter own` trains a copy of the stage-1
    decoder adapter; the restating adapter and everything else stay as stage 1 left them."""
    from safetensors.torch import load_file

    from gmsa_rag.config import GMSAConfig
    from tiny import WORDS, save_tiny_backbone

    backbone = save_tiny_backbone(tmp_path / "tiny")
    gmsa = tmp_path / "gmsa.json"
    GMSAConfig(backbone=str(backbone), encoder_layers=2, lora_r=4, lora_alpha=8, rates=(2,)).save(gmsa)
    ae, qa = tmp_path / "ae.jsonl", tmp_path / "qa.jsonl"
    words = [w for w in WORDS if w.isalpha()]
    ae.write_text("".join(json.dumps({"text": " ".join(words[i:] + words[:i])}) + "\n" for i in range(8)))
    qa.write_text(json.dumps({"question": "what is the capital of france ?", "answers": ["paris"],
                              "context": "paris is the capital of france", "distractors": ["rome is in italy"]}) + "\n")
    common = ["--steps", "2", "--batch-size", "2", "--rates", "2", "--device", "cpu"]
    assert main(["train", "autoencoder", "--gmsa-config", str(gmsa), "--train-data", str(ae), "--out", str(tmp_path / "ae"),
                 "--train-decoder", "--decoder-r", "4", "--lr-decoder", "1e-2", *common]) == 0
    assert main(["train", "keft", "--init", str(tmp_path / "ae" / "model"), "--answer-adapter", "own",
                 "--train-data", str(qa), "--out", str(tmp_path / "keft"), "--lr-decoder", "1e-2", *common]) == 0
    saved = GMSAConfig.load(tmp_path / "keft" / "model" / "config.json")
    assert saved.answer_adapter == "own" and saved.restate_decoder == "adapted"
    stage1 = load_file(str(tmp_path / "ae" / "model" / "model.safetensors"))
    keft = load_file(str(tmp_path / "keft" / "model" / "model.safetensors"))
    assert all(torch.equal(v, keft[k]) for k, v in stage1.items())  # nothing stage 1 trained has moved
    answering = {k.removeprefix("answer_lm."): v for k, v in keft.items() if k.startswith("answer_lm.")}
    assert answering and any(not torch.equal(v, stage1["decoder_lm." + k]) for k, v in answering.items())
