"""Held-out stage-1 loss of the last three continued runs against stage-1 samples seen since v2.

    python docs/training/cpu_run_v12/plot_continued.py   # writes stage1_loss_continued.png here
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
RUNS = {"v10": (HERE.parent / "cpu_run_v10", 45_312), "v11 (0.5x peak LR)": (HERE.parent / "cpu_run_v11", 51_136), "v12 (0.25x)": (HERE, 56_248)}
BATCH = 8  # global batch of every run here


def points(log: Path) -> list[dict]:
    return [r for r in map(json.loads, log.read_text().splitlines()) if "eval_loss_rate4" in r]


fig, ax = plt.subplots(figsize=(8, 4.5))
for name, (folder, start) in RUNS.items():
    rows = points(folder / "ae_log.jsonl")
    samples = [start + BATCH * r["step"] for r in rows]
    for rate, style in ((4, "-"), (8, "--")):
        ax.plot(samples, [r[f"eval_loss_rate{rate}"] for r in rows], style, marker=".", label=f"{name} {rate}x")
ax.set_xlabel("stage-1 samples since v2")
ax.set_ylabel("held-out loss (128-token texts)")
ax.set_title("Stage 1 continued on the 2-core CPU: v10, v11, v12")
ax.grid(alpha=0.3)
ax.legend(ncol=3)
fig.tight_layout()
fig.savefig(HERE / "stage1_loss_continued.png", dpi=110)
