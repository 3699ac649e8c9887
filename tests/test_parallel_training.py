"""Data-parallel training over two real CPU processes (gloo), as ``torchrun`` would start them."""

from __future__ import annotations

import hashlib
import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from gmsa_rag.errors import ConfigError
from gmsa_rag.training import parallel
from gmsa_rag.training.trainer import Trainer
from test_training import TINY, model, run_config, texts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _join(rank: int, world: int, port: int) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_WORLD_SIZE=str(world))
    assert parallel.init_from_env() == (rank, world)
    assert torch.get_num_threads() >= 1


def _digest(m) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(m.trained_state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().numpy().tobytes())
    return h.hexdigest()


def _train_worker(rank: int, world: int, port: int, ae_file: str, out: str, report: str) -> None:
    _join(rank, world, port)
    m = model(TINY.replace(lora_dropout=0.0)) if rank == 0 else _other_init()  # rank 0's start must win
    trainer = Trainer(m, run_config(ae_file, out, steps=4, eval_every=2, save_every=2))
    drawn = []
    sample = trainer.train_source.sample

    def recording(rng, **kwargs):
        s = sample(rng, **kwargs)
        drawn.append(list(s.target))
        return s

    trainer.train_source.sample = recording
    trainer.run()
    with open(f"{report}.{rank}", "w") as f:
        json.dump({"digest": _digest(m), "drawn": drawn, "rank_batch": trainer.rank_batch}, f)
    torch.distributed.destroy_process_group()


def _other_init():
    from gmsa_rag.model import GMSAModel
    from tiny import tiny_backbone

    lm, tokenizer = tiny_backbone("llama")
    torch.manual_seed(12345)  # other random adapters than model()'s
    return GMSAModel(TINY.replace(lora_dropout=0.0), lm, tokenizer)


def _average_worker(rank: int, world: int, port: int, report: str) -> None:
    _join(rank, world, port)
    a, b = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2, 2))
    a.grad = torch.full((3,), float(rank + 1))
    if rank == 0:
        b.grad = torch.full((2, 2), 4.0)  # rank 1 never reached b: it takes part with zeros
    parallel.average_gradients([a, b])
    sums = parallel.sum_over_ranks(1.0, float(rank))
    with open(f"{report}.{rank}", "w") as f:
        json.dump({"a": a.grad.tolist(), "b": b.grad.tolist(), "sums": sums,
                   "stop": parallel.any_rank(rank == 1), "go": parallel.any_rank(False)}, f)
    torch.distributed.destroy_process_group()


def _reports(path, world: int) -> list[dict]:
    return [json.loads(open(f"{path}.{r}").read()) for r in range(world)]


def test_gradients_are_averaged_and_flags_agree(tmp_path):
    report = str(tmp_path / "report")
    mp.spawn(_average_worker, args=(2, _free_port(), report), nprocs=2)
    for r in _reports(report, 2):
        assert r["a"] == [1.5, 1.5, 1.5]
        assert r["b"] == [[2.0, 2.0], [2.0, 2.0]]
        assert r["sums"] == [2.0, 1.0]
        assert r["stop"] is True and r["go"] is False


def test_two_processes_train_one_model_and_write_once(tmp_path):
    ae_file = tmp_path / "ae.jsonl"
    ae_file.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts()))
    out, report = tmp_path / "run", str(tmp_path / "report")
    mp.spawn(_train_worker, args=(2, _free_port(), str(ae_file), str(out), report), nprocs=2)
    first, second = _reports(report, 2)
    assert first["digest"] == second["digest"]  # same start (broadcast), same averaged updates
    assert first["rank_batch"] == second["rank_batch"] == 2  # each draws half of batch 4
    assert len(first["drawn"]) == len(second["drawn"]) == 8
    assert first["drawn"] != second["drawn"]  # the processes read different samples
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert sum(1 for r in records if r.get("event") == "start") == 1  # rank 0 alone logs
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4]
    assert any("eval_loss_rate1" in r for r in records)
    assert (out / "model" / "model.safetensors").is_file() and (out / "checkpoint").is_dir()


def test_a_batch_that_does_not_split_over_the_processes_is_refused(tmp_path, monkeypatch):
    ae_file = tmp_path / "ae.jsonl"
    ae_file.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts(8)))
    monkeypatch.setattr(parallel, "world", lambda: 2)
    with pytest.raises(ConfigError, match="does not split over 2 training processes"):
        Trainer(model(), run_config(ae_file, tmp_path / "run", batch_size=3))
    assert parallel.per_rank_batch(4) == 2
