"""``python -m layervec_ext.bench render``: renderer speed as the optimiser sees it.

One step = render + MSE loss against a target + backward + Adam update, on random scenes of
N paths × 4 cubics with radial gradients (two stops), at each canvas size. The target is the
same scene with every point moved up to 2 px and every colour jittered — a fitting problem like
the vectorizer's, so the scene keeps its size while it is timed (against a noise target the
blobs swell by ~4 % a step). Prints the median milliseconds per step and the peak memory as a
markdown table; ``--json FILE`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

from layervec_ext.core.runtime import prepare_process

prepare_process()  # before torch loads: passive OpenMP workers, freed memory kept (see runtime.py)

import torch  # noqa: E402

from layervec_ext.core.scene import PARAM_GROUP, Scene, circle_points, flat, linear, path, radial  # noqa: E402


def random_scene(n_paths: int, size: int, seed: int = 0, fills: str = "radial", self_intersecting: bool = False,
                 device: str | torch.device = "cpu") -> Scene:
    """Blobs of 4 cubics (perturbed circles, radius 3–18 % of the canvas) with partly transparent
    fills. ``fills``: ``radial``, or ``mixed`` (radial / linear / flat in turn). With
    ``self_intersecting`` the control points are thrown far enough to make loops."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape) -> torch.Tensor:
        return torch.rand(*shape, generator=g)

    scene = Scene(size, size)
    for i in range(n_paths):
        c = rnd(2) * size
        r = float(0.03 + 0.15 * rnd(())) * size
        jitter = 3.0 if self_intersecting else 0.35
        pts = circle_points(float(c[0]), float(c[1]), r) + (rnd(12, 2) - 0.5) * r * jitter
        colors = rnd(2, 4)
        colors[:, 3] = 0.55 + 0.45 * colors[:, 3]
        kind = "radial" if fills == "radial" else ("radial", "linear", "flat")[i % 3]
        if kind == "radial":
            fill = radial(c + (rnd(2) - 0.5) * r, (0.4 + rnd(2)) * r, sorted(rnd(2).tolist()), colors,
                          angle=float(rnd(()) * math.pi))
        elif kind == "linear":
            d = (rnd(2) - 0.5) * 2 * r
            fill = linear(c - d, c + d, sorted(rnd(2).tolist()), colors)
        else:
            fill = flat(colors[0])
        scene.add(path(pts, fill, opacity=float(0.5 + 0.5 * rnd(()))))
    return scene.to(device)


LEARNING_RATES = {"points": 1.0, "colors": 0.01, "offsets": 0.01, "geometry": 0.5, "opacity": 0.01}


def _adam_groups(named: list[tuple[str, torch.Tensor]]) -> list[dict]:
    """The vectorizer's learning rates (points 1.0, colours 0.01, …) by the tensors' last name."""
    groups: dict[str, list[torch.Tensor]] = {}
    for name, t in named:
        field = name.rsplit(".", 1)[-1]
        groups.setdefault(PARAM_GROUP.get(field, field), []).append(t)
    return [{"params": ts, "lr": LEARNING_RATES[name]} for name, ts in groups.items()]


def time_steps(scene: Scene, renderer: str, steps: int, warmup: int = 2) -> list[float]:
    """Milliseconds of each of ``steps`` forward+backward+Adam steps. Our renderer is timed as the
    optimiser drives it — on a packed scene (a few flat tensors); the others on the scene's per-path
    tensors."""
    from layervec_ext.core.render import composite, render

    if renderer == "torch":
        from layervec_ext.core.render.packed import PackedScene
        from layervec_ext.core.render.raster import render_packed

        packed = PackedScene.pack(scene.detached()).requires_grad_()
        named = list(packed.named_tensors())

        def draw() -> torch.Tensor:
            return render_packed(packed)
    else:
        named = list(scene.requires_grad_(True).named_tensors())

        def draw() -> torch.Tensor:
            return render(scene, renderer=renderer)
    try:  # fused Adam: one kernel for all tensors
        opt = torch.optim.Adam(_adam_groups(named), fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.Adam(_adam_groups(named), foreach=True)
    target = _target(scene)
    cuda = scene.device.type == "cuda"
    times = []
    for i in range(warmup + steps):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(composite(draw()), target)
        loss.backward()
        opt.step()
        if cuda:
            torch.cuda.synchronize()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000.0)
    return times


@torch.no_grad()
def _target(scene: Scene) -> torch.Tensor:
    """RGB on white of ``scene`` with points moved up to 2 px and colours jittered by up to 0.1."""
    from layervec_ext.core.render import composite, render

    g = torch.Generator().manual_seed(1)

    def jitter(t: torch.Tensor, amount: float) -> torch.Tensor:
        return t + (torch.rand(t.shape, generator=g) * 2 - 1).to(t.device) * amount

    moved = scene.detached()
    for p in moved.paths:
        p.points = jitter(p.points, 2.0)
        if p.fill.kind == "flat":
            p.fill.color = jitter(p.fill.color, 0.1).clamp(0.0, 1.0)
        else:
            p.fill.colors = jitter(p.fill.colors, 0.1).clamp(0.0, 1.0)
    return composite(render(moved))


def _status_mb(field: str) -> float | None:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MiB; None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (Linux ≥ 4.0), so each case reports its own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class _CpuPeak:
    """Peak resident memory a case adds above what the process held when it started. Linux: the
    resettable ``VmHWM``; elsewhere the growth of ``ru_maxrss``, which never falls, so a case below
    an earlier case's peak reads 0."""

    def __init__(self) -> None:
        self.exact = _reset_peak_rss() and _status_mb("VmHWM") is not None
        self.start = _status_mb("VmRSS") if self.exact else self._maxrss()
        self.kind = "rss_peak_above_start" if self.exact else "ru_maxrss_growth"

    @staticmethod
    def _maxrss() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    def peak_mb(self) -> float:
        end = _status_mb("VmHWM") if self.exact else self._maxrss()
        return max(0.0, end - self.start)


def bench_one(size: int, n_paths: int, device: str, renderer: str, steps: int, threads: int) -> dict:
    scene = random_scene(n_paths, size, seed=n_paths * 7 + size, device=device)
    if renderer == "diffvg":  # diffvg's radial gradients are axis-aligned
        for p in scene.paths:
            if p.fill.kind == "radial":
                p.fill.angle = torch.zeros((), device=device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    cpu_peak = _CpuPeak()
    times = time_steps(scene, renderer, steps)
    if device == "cuda":
        peak, kind = torch.cuda.max_memory_allocated() / 2**20, "cuda_max_allocated"
    else:
        peak, kind = cpu_peak.peak_mb(), cpu_peak.kind
    return {"size": size, "paths": n_paths, "segments": 4 * n_paths, "fill": "radial", "device": device,
            "threads": threads if device == "cpu" else None, "renderer": renderer, "steps": steps,
            "ms_per_step": round(statistics.median(times), 2), "ms_min": round(min(times), 2),
            "peak_mb": round(peak, 1), "peak_kind": kind}


def _bench_isolated(size: int, n_paths: int, device: str, args) -> dict:
    """One case in a fresh interpreter (warmed up there), so its peak memory is not hidden by
    memory an earlier case left resident."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "row.json")
        cmd = [sys.executable, "-m", "layervec_ext.bench", "render", "--in-process",
               "--sizes", str(size), "--paths", str(n_paths), "--device", device, "--threads", str(args.threads),
               "--renderer", args.renderer, "--steps", str(args.steps), "--json", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark case {size}² × {n_paths} failed: {proc.stderr.strip()[-500:]}")
        with open(out) as fh:
            return json.load(fh)["rows"][0]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m layervec_ext.bench render", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="256,512", help="canvas sizes (square), comma-separated")
    ap.add_argument("--paths", default="8,32,128", help="path counts, comma-separated")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda", "all"))
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--renderer", default="torch", choices=("torch", "reference", "diffvg"))
    ap.add_argument("--steps", type=int, default=10, help="timed steps per case (median reported)")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--in-process", action="store_true",
                    help="run every case in this process (default: one fresh process per case, so each "
                         "case's peak memory is its own)")
    args = ap.parse_args(argv)

    torch.set_num_threads(max(1, args.threads))
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        if args.device == "cuda":
            print("error: CUDA is not available on this machine", file=sys.stderr)
            return 2
        devices.remove("cuda")
    if args.renderer == "diffvg":
        from layervec_ext.core.render.diffvg import require_pydiffvg
        try:
            require_pydiffvg()
        except RuntimeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    if args.in_process:  # load kernels before measuring memory
        time_steps(random_scene(4, 64), args.renderer, 1, warmup=1)
    rows = []
    print("| device | threads | size | paths | ms/step (median) | min | peak MB |")
    print("|---|---|---|---|---|---|---|")
    for device in devices:
        for size in _ints(args.sizes):
            for n in _ints(args.paths):
                if args.in_process:
                    row = bench_one(size, n, device, args.renderer, args.steps, args.threads)
                else:
                    try:
                        row = _bench_isolated(size, n, device, args)
                    except RuntimeError as exc:
                        print(f"error: {exc}", file=sys.stderr)
                        return 1
                rows.append(row)
                print(f"| {device} | {row['threads'] or '-'} | {size} | {n} | {row['ms_per_step']:.1f} | "
                      f"{row['ms_min']:.1f} | {row['peak_mb']:.0f} |", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"renderer": args.renderer, "torch": torch.__version__, "rows": rows}, fh, indent=1)
    return 0
