"""Plots of a quant-eval matrix, for `quant-eval report`.

Reads DIR/matrix.json and writes, per model:
  accuracy_vs_bits_<model>.png   top-1 against bits, one line per method
                                 family (simulation solid, integer dashed);
  pareto_<model>.png             stored size against top-1, every method,
                                 with the size/accuracy Pareto front drawn.

Usage: /usr/bin/python3 report_plots.py DIR
"""

import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def family(method):
    """qkeras-bits-4 -> qkeras-bits; rtn-8 -> rtn; ptq-int8 and ptq-int16x8
    -> ptq-int; ptq-f16 stays apart (a float format, not a grid)."""
    if method.startswith("ptq-int"):
        return "ptq-int"
    m = re.match(r"(.*?)-(\d+)(bit)?$", method)
    if m:
        return m.group(1)
    return method


def numeric_bits(bits):
    m = re.match(r"(\d+)", bits)
    return int(m.group(1)) if m else None


def pareto(points):
    """The points no other point beats in both size (lower) and accuracy."""
    front = []
    for p in sorted(points, key=lambda q: (q[0], -q[1])):
        if not front or p[1] > front[-1][1]:
            front.append(p)
    return front


def main():
    out = sys.argv[1]
    cells = json.load(open(os.path.join(out, "matrix.json")))["cells"]
    models = sorted({c["model"] for c in cells})
    for model in models:
        ok = [c for c in cells if c["model"] == model and c.get("status") == "ok"]
        if not ok:
            continue
        for c in ok:  # top-1, or mAP@0.5 for a detector
            c["score"] = c.get("score", c.get("top1", 0))
            if "integer" in c and "score" not in c["integer"] and "top1" in c["integer"]:
                c["integer"]["score"] = c["integer"]["top1"]
        metric = "mAP@0.5" if any(c.get("metric") == "map50" for c in ok) else "top-1"
        float_top1 = next((c["score"] for c in ok if c["method"] == "float"), None)

        fig, ax = plt.subplots(figsize=(7, 4.5))
        families = {}
        for c in ok:
            b = numeric_bits(c["bits"])
            if b is None or c["method"] == "float":
                continue
            families.setdefault(family(c["method"]), []).append((b, c))
        for name, entries in sorted(families.items()):
            entries.sort(key=lambda e: e[0])
            xs = [b for b, _ in entries]
            line, = ax.plot(xs, [100 * c["score"] for _, c in entries], "o-", label=name)
            ints = [(b, c["integer"]["score"]) for b, c in entries
                    if "score" in c.get("integer", {})]
            if ints:
                ax.plot([b for b, _ in ints], [100 * t for _, t in ints], "x--",
                        color=line.get_color(), label=name + " (integer)")
        if float_top1 is not None:
            ax.axhline(100 * float_top1, color="black", linewidth=0.8, label="float")
        ax.set_xlabel("bits")
        ax.set_ylabel(f"{metric} (%)")
        ax.set_title(f"{model}: {metric} against bits")
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"accuracy_vs_bits_{model}.png"), dpi=100)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(7, 4.5))
        points = []
        for c in ok:
            size = c["stored_bytes"] / 1024
            ax.scatter(size, 100 * c["score"], s=18)
            ax.annotate(c["method"], (size, 100 * c["score"]), fontsize=6,
                        xytext=(3, 2), textcoords="offset points")
            points.append((size, 100 * c["score"]))
        front = pareto(points)
        ax.plot([p[0] for p in front], [p[1] for p in front], "k--", linewidth=0.8,
                label="Pareto front")
        ax.set_xlabel("stored size (KiB)")
        ax.set_ylabel(f"{metric} (%)")
        ax.set_title(f"{model}: size against {metric}")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"pareto_{model}.png"), dpi=100)
        plt.close(fig)
        print(f"plots for {model}")


if __name__ == "__main__":
    main()
