"""Loss curves and reconstruction scores of the ablation runs (scripts/ablation.py).

    python scripts/plot_ablation.py DIR [--png FILE]

DIR holds VARIANT_log.jsonl and VARIANT_eval.json for each variant. Prints a Markdown table
(final held-out losses, BLEU / ROUGE-L / prefix-EM at rates 4 and 8) and writes the held-out
loss curves per rate, with the no-context level, as a PNG (default DIR/ablation_loss.png).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gmsa_rag.io import read_jsonl  # noqa: E402

LABELS = {
    "gmsa": "GMSA (group merging + LSA)",
    "icae": "ICAE memory tokens + LSA",
    "linear": "group merging + linear",
    "random_lsa": "group merging + random-init LSA",
}
RATES = (4, 8)


def eval_points(log: Path) -> list[dict]:
    """The held-out evaluation records of a training log, in step order."""
    return [r for r in read_jsonl(log) if "eval_loss_rate4" in r]


def plot(directory: Path, png: Path) -> None:
    fig, axes = plt.subplots(1, len(RATES), figsize=(11, 4), sharey=True)
    for ax, rate in zip(axes, RATES):
        no_context = None
        for variant, label in LABELS.items():
            points = eval_points(directory / f"{variant}_log.jsonl")
            ax.plot([p["step"] for p in points], [p[f"eval_loss_rate{rate}"] for p in points], marker=".", label=label)
            no_context = points[-1]["eval_loss_no_context"]
        ax.axhline(no_context, color="grey", linestyle="--", label="no context (decoder alone)")
        ax.set_title(f"held-out reconstruction loss, rate {rate}x")
        ax.set_xlabel("training step (batch 16)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cross-entropy")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def table(directory: Path) -> str:
    head = "| variant | held-out loss 4x / 8x | BLEU 4x / 8x | ROUGE-L 4x / 8x | prefix-EM 4x / 8x |"
    lines = [head, "|---|---|---|---|---|"]
    for variant, label in LABELS.items():
        last = eval_points(directory / f"{variant}_log.jsonl")[-1]
        scores = json.loads((directory / f"{variant}_eval.json").read_text())["reconstruction"]
        cell = lambda key, fmt: " / ".join(format(scores[f"tokens128_rate{r}"][key], fmt) for r in RATES)  # noqa: E731
        loss = " / ".join(f"{last[f'eval_loss_rate{r}']:.3f}" for r in RATES)
        lines.append(f"| {label} | {loss} | {cell('bleu', '.2f')} | {cell('rouge_l', '.3f')} | {cell('prefix_em', '.2f')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args()
    plot(args.directory, args.png or args.directory / "ablation_loss.png")
    print(table(args.directory))


if __name__ == "__main__":
    main()
