"""``python -m layervec_ext.bench quality``: our vectorizer against vtracer and potrace at equal node budgets.

For each image and path budget N, our SVG is rendered by resvg on white and scored (PSNR, SSIM)
against the PNG, exactly like every baseline SVG; paths and nodes (Bézier segments) are counted by
one counter for all methods. Our seconds are ``vectorize()`` wall time in a warmed-up process (the
CLI adds its start-up: imports, about 3 s). Each baseline sweeps its settings; per image the best
PSNR among settings whose node count is at most ours at that budget is reported ("—" when none fits).
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
import time
from collections import defaultdict

from layervec_ext.bench import QUALITY_IMAGES

METHODS = ("ours", "vtracer", "potrace")


def find_images(folder: str, families: list[str] | None, limit: int | None) -> dict[str, list[str]]:
    """``FAMILY__NAME.png`` files grouped by family (sorted), the first ``limit`` of each."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(folder, "*.png"))):
        name = os.path.basename(path)
        family = name.split("__", 1)[0] if "__" in name else "other"
        if families is None or family in families:
            groups[family].append(path)
    return {f: (ps[:limit] if limit else ps) for f, ps in groups.items()}


def run_ours(path: str, n_paths: int, preset: str, threads: int, save_dir: str | None = None) -> dict:
    """Vectorize, write the SVG, score it like any other SVG (and keep it in ``save_dir``)."""
    import torch

    from layervec_ext.bench.baselines import load_rgb, score_svg
    from layervec_ext.core.svg.write import scene_to_svg
    from layervec_ext.core.vectorize import Settings, load_image, vectorize

    torch.set_num_threads(max(1, threads))
    image = load_image(path)
    t0 = time.perf_counter()
    svg = scene_to_svg(vectorize(image, Settings.preset(preset, paths=n_paths, device="cpu")))
    seconds = time.perf_counter() - t0
    if save_dir:
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(save_dir, f"{stem}.ours{n_paths}.svg"), "w") as fh:
            fh.write(svg)
    from layervec_ext.bench import editability

    target = load_rgb(path)
    return {"seconds": seconds, **score_svg(svg, target), "edit": editability.report(svg, target)}


def warm_up(threads: int) -> None:
    """One tiny vectorization, untimed: lazy imports and first-call set-up (about 3 s here) would
    otherwise be charged to whichever image comes first."""
    import numpy as np
    import torch

    from layervec_ext.core.vectorize import Settings, vectorize

    torch.set_num_threads(max(1, threads))
    image = np.full((48, 48, 4), 255, dtype=np.uint8)
    image[12:36, 8:40, :3] = (200, 60, 30)
    vectorize(image, Settings.preset("fast", paths=3, device="cpu"))


def _row(family: str, path: str, n: int, method: str, result: dict | None, budget: int) -> dict:
    row = {"family": family, "image": os.path.basename(path), "paths_budget": n, "node_budget": budget,
           "method": method, "fits": result is not None}
    if result is not None:
        row.update({k: result[k] for k in ("psnr", "ssim", "paths", "nodes", "seconds")})
        if "edit" in result:
            row["edit"] = result["edit"]
        if "setting" in result:
            row["setting"] = result["setting"]
    return row


def family_means(rows: list[dict]) -> list[dict]:
    """Per (family, budget, method): mean PSNR/SSIM/paths/nodes/seconds over the images that fit,
    and how many were left out because no setting fitted the budget."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["family"], r["paths_budget"], r["method"])].append(r)
    out = []
    for (family, n, method), rs in groups.items():
        fit = [r for r in rs if r["fits"]]
        mean = {"family": family, "paths_budget": n, "method": method, "images": len(rs), "fit": len(fit),
                "left_out": len(rs) - len(fit)}
        for key in ("psnr", "ssim", "paths", "nodes", "seconds"):
            vals = [r[key] for r in fit if math.isfinite(r[key])]
            mean[key] = sum(vals) / len(vals) if vals else None
        out.append(mean)
    return out


def _cell(m: dict | None) -> str:
    if m is None or m["psnr"] is None:
        return "—"
    sec = f"{m['seconds']:.2f}" if m["seconds"] < 1 else f"{m['seconds']:.1f}"
    out = f"{m['psnr']:.2f} / {m['ssim']:.3f} / {m['paths']:.0f} / {m['nodes']:.0f} / {sec}"
    if m["left_out"]:
        out += f" ({m['left_out']} of {m['images']} left out)"
    return out


def markdown(means: list[dict], families: list[str], budgets: list[int]) -> str:
    """One row per family and budget; cells: PSNR dB / SSIM / paths / nodes / seconds."""
    index = {(m["family"], m["paths_budget"], m["method"]): m for m in means}
    lines = ["| family | images | paths N | " + " | ".join(f"{m}: PSNR / SSIM / paths / nodes / s" for m in METHODS)
             + " |", "|---|---|---|" + "---|" * len(METHODS)]
    for family in families:
        for n in budgets:
            ours = index.get((family, n, "ours"))
            if ours is None:
                continue
            cells = [_cell(index.get((family, n, m))) for m in METHODS]
            lines.append(f"| {family} | {ours['images']} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def positive_ints(text: str) -> list[int]:
    """Comma-separated positive integers (ValueError otherwise): the --paths style of option."""
    vals = [int(v) for v in text.split(",") if v.strip()]
    if not vals or min(vals) < 1:
        raise ValueError
    return vals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m layervec_ext.bench quality", description=__doc__.split("\n")[0])
    ap.add_argument("--images", default=str(QUALITY_IMAGES), help="folder of FAMILY__NAME.png")
    ap.add_argument("--paths", default="8,16,32,64", help="path budgets N, comma-separated")
    ap.add_argument("--families", default=None, help="families to run, comma-separated (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="first K images of each family")
    ap.add_argument("--preset", default="balanced", help="our vectorizer's preset")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for our vectorizer")
    ap.add_argument("--baselines", default="vtracer,potrace", help="baselines to run (comma-separated, or none)")
    ap.add_argument("--json", metavar="FILE", help="write per-image rows and per-family means")
    ap.add_argument("--save-svg", metavar="DIR", help="also keep our SVGs there (NAME.oursN.svg)")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="run nothing: print one table from earlier --json files (e.g. runs split by --families)")
    args = ap.parse_args(argv)
    if args.merge:
        return merge(args.merge, args.json)
    from layervec_ext.core.runtime import prepare_process

    prepare_process(args.threads)  # as the CLI does (thread pools, glibc keeps freed memory): the CLI's timings
    try:
        budgets = positive_ints(args.paths)
    except ValueError:
        print(f"error: --paths wants positive integers separated by commas, got {args.paths!r}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.images):
        print(f"error: no such image folder: {args.images}", file=sys.stderr)
        return 2
    families = [f for f in args.families.split(",") if f] if args.families else None
    groups = find_images(args.images, families, args.limit)
    if not groups:
        print(f"error: no FAMILY__NAME.png images in {args.images}", file=sys.stderr)
        return 2
    baselines = [b for b in args.baselines.split(",") if b and b != "none"]
    unknown = [b for b in baselines if b not in METHODS[1:]]
    if unknown:
        print(f"error: unknown baseline {unknown[0]!r} (choose from vtracer, potrace)", file=sys.stderr)
        return 2
    if args.save_svg:
        os.makedirs(args.save_svg, exist_ok=True)
    from layervec_ext.bench.baselines import best_within, sweep

    warm_up(args.threads)
    rows: list[dict] = []
    for family, paths in groups.items():
        for path in paths:
            sweeps = {m: sweep(m, path) for m in baselines}
            for n in budgets:
                try:
                    ours = run_ours(path, n, args.preset, args.threads, args.save_svg)
                except ValueError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                rows.append(_row(family, path, n, "ours", ours, ours["nodes"]))
                for m in baselines:
                    rows.append(_row(family, path, n, m, best_within(sweeps[m], ours["nodes"]), ours["nodes"]))
                print(f"{os.path.basename(path)} N={n}: ours {ours['psnr']:.2f} dB, {ours['nodes']} nodes, "
                      f"{ours['seconds']:.1f} s", file=sys.stderr, flush=True)
    report(rows, list(groups), budgets, args.preset, args.threads, args.json)
    return 0


def report(rows: list[dict], families: list[str], budgets: list[int], preset: str, threads: int,
           json_path: str | None) -> None:
    """Print the table of family means (and write rows + means as JSON)."""
    means = family_means(rows)
    print(f"cells: PSNR dB / SSIM / paths / nodes / seconds, means over images; baselines: best setting per "
          f"image with nodes ≤ ours; preset {preset}, {threads} thread(s)")
    print(markdown(means, families, budgets))
    from layervec_ext.bench import editability

    print("\neditability of ours (bench/editability.py):")
    print(editability.markdown([r for r in rows if r["method"] == "ours"], ("family", "paths_budget")))
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"preset": preset, "threads": threads, "budgets": budgets, "rows": rows, "means": means},
                      fh, indent=1)


def merge(paths: list[str], json_path: str | None) -> int:
    """One table from several ``--json`` runs (same preset and threads), families in file order."""
    runs = []
    for path in paths:
        try:
            with open(path) as fh:
                runs.append(json.load(fh))
        except (OSError, ValueError) as exc:
            print(f"error: cannot read {path}: {exc}", file=sys.stderr)
            return 2
    settings = {(r["preset"], r["threads"]) for r in runs}
    if len(settings) > 1:
        print(f"error: the runs used different presets or thread counts: {sorted(settings)}", file=sys.stderr)
        return 2
    rows = [row for r in runs for row in r["rows"]]
    families = list(dict.fromkeys(row["family"] for row in rows))
    budgets = sorted({b for r in runs for b in r["budgets"]})
    report(rows, families, budgets, runs[0]["preset"], runs[0]["threads"], json_path)
    return 0
