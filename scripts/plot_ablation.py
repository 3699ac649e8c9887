"""Loss curves and reconstruction scores of the ablation runs (scripts/ablation.py).

    python scripts/plot_ablation.py DIR [--png FILE]

DIR holds NAME_log.jsonl and NAME_eval.json for each run (scripts/ablation.py). Prints a
Markdown table (final held-out losses, the no-context loss, BLEU / ROUGE-L at rates 4 and 8 for
each evaluated length) and writes the held-out loss curves per rate, each with its decoder's
no-context loss, as a PNG (default DIR/ablation_loss.png).
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
    "default": "default recipe (decoder LoRA in stage 1, random-init LSA)",
    "gmsa": "GMSA (group merging + LSA)",
    "icae": "ICAE memory tokens + LSA",
    "linear": "group merging + linear",
    "random_lsa": "group merging + random-init LSA",
    "frozen_decoder": "decoder frozen in stage 1",
}
RATES = (4, 8)


def runs(directory: Path) -> list[str]:
    """Run names (VARIANT or VARIANT_sSEED) that have both a log and an evaluation, known ones first."""
    names = sorted(p.name[: -len("_eval.json")] for p in directory.glob("*_eval.json"))
    known = [n for n in LABELS if n in names]
    return known + [n for n in names if n not in known]


def label(name: str) -> str:
    variant, _, seed = name.rpartition("_s") if name.rsplit("_s", 1)[-1].isdigit() else (name, "", "")
    return LABELS.get(variant, variant) + (f" (seed {seed})" if seed else "")


def eval_points(log: Path) -> list[dict]:
    """The held-out evaluation records of a training log, in step order."""
    return [r for r in read_jsonl(log) if "eval_loss_rate4" in r]


def plot(directory: Path, png: Path) -> None:
    fig, axes = plt.subplots(1, len(RATES), figsize=(12, 4.5), sharey=True)
    for ax, rate in zip(axes, RATES):
        for name in runs(directory):
            points = eval_points(directory / f"{name}_log.jsonl")
            line, = ax.plot([p["step"] for p in points], [p[f"eval_loss_rate{rate}"] for p in points], marker=".", label=label(name))
            ax.plot([p["step"] for p in points], [p["eval_loss_no_context"] for p in points], linestyle=":", color=line.get_color())
        ax.set_title(f"held-out reconstruction loss, {rate}x (dotted: no context)", fontsize=10)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("cross-entropy")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def table(directory: Path) -> str:
    names = runs(directory)
    lengths = sorted({int(k.split("_")[0][len("tokens"):]) for n in names
                      for k in json.loads((directory / f"{n}_eval.json").read_text())["reconstruction"]})
    head = "| variant | held-out loss 4x / 8x | no context | " + " | ".join(
        f"BLEU {n} tok 4x / 8x | ROUGE-L {n} tok 4x / 8x" for n in lengths) + " |"
    lines = [head, "|" + "---|" * (3 + 2 * len(lengths))]
    for name in names:
        last = eval_points(directory / f"{name}_log.jsonl")[-1]
        scores = json.loads((directory / f"{name}_eval.json").read_text())["reconstruction"]

        def cell(length: int, key: str, fmt: str) -> str:
            return " / ".join(format(scores[f"tokens{length}_rate{r}"][key], fmt) for r in RATES)

        loss = " / ".join(f"{last[f'eval_loss_rate{r}']:.3f}" for r in RATES)
        cells = " | ".join(f"{cell(n, 'bleu', '.2f')} | {cell(n, 'rouge_l', '.3f')}" for n in lengths)
        lines.append(f"| {label(name)} | {loss} | {last['eval_loss_no_context']:.3f} | {cells} |")
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
