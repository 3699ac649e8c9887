"""Held-out loss of one model trained in successive runs (each ``--init`` the one before),
against the training samples seen over all of them.

    python scripts/plot_continued.py LOG [LOG ...] --png FILE

Each LOG is a stage-1 ``log.jsonl`` (its first record holds the run's config, whose batch size
and gradient accumulation turn steps into samples). Prints a Markdown table and writes the
curves per rate, with the no-context loss dotted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gmsa_rag.io import read_jsonl  # noqa: E402

RATES = (4, 8)


def points(logs: list[Path]) -> list[dict]:
    """Evaluation records of all runs, with ``samples`` counted from the first run's start."""
    out, offset = [], 0
    for log in logs:
        records = read_jsonl(log)
        config = next(r["config"] for r in records if r.get("event") == "start")
        per_step = config["batch_size"] * config.get("grad_accum", 1)
        last_step = max(r.get("step") or 0 for r in records)
        evals = {r["step"]: r for r in records if "eval_loss_rate4" in r}  # a resumed run may repeat one
        out += [{**evals[step], "samples": offset + step * per_step} for step in sorted(evals)]
        offset += last_step * per_step
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("logs", type=Path, nargs="+")
    parser.add_argument("--png", type=Path, required=True)
    args = parser.parse_args()
    rows = points(args.logs)
    print("| samples | " + " | ".join(f"{r}x" for r in RATES) + " | no context |")
    print("|---" * (len(RATES) + 2) + "|")
    for p in rows:
        print(f"| {p['samples']:,} | " + " | ".join(f"{p[f'eval_loss_rate{r}']:.2f}" for r in RATES)
              + f" | {p['eval_loss_no_context']:.2f} |")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    x = [p["samples"] for p in rows]
    for rate in RATES:
        ax.plot(x, [p[f"eval_loss_rate{rate}"] for p in rows], marker=".", label=f"{rate}x")
    ax.plot(x, [p["eval_loss_no_context"] for p in rows], linestyle=":", color="grey", label="no context")
    ax.set_xlabel("stage-1 training samples (all runs)")
    ax.set_ylabel("held-out loss")
    ax.set_title("default model, stage 1 continued across runs", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
