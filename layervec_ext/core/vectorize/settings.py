"""Every value that steers the vectorizer, in one frozen object, with complete presets.

``vectorize(image, settings)`` reads nothing else: the stages receive the fields they need as
arguments, so a value tuned here is the value used everywhere. The figures quoted in the field
comments were measured with ``python -m layervec_ext.bench quality`` (256² set) unless they say
otherwise; re-run it after changing one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from layervec_ext.limits import MAX_SEGMENTS
from layervec_ext.options import DEVICES, FILLS


@dataclass(frozen=True)
class LearningRates:
    """Adam's step sizes at a 256-px working size; geometry scales with the canvas.

    Points and gradient geometry move in pixels per step, colours and offsets in [0, 1] units, the
    gradient's angle in radians. Doubled from LIVE's rates (with 64 rather than 120 steps a stage at
    balanced: about half the time for about −0.5 dB at 8 paths)."""

    points: float = 0.7
    geometry: float = 1.0
    angle: float = 0.02
    colors: float = 0.024
    offsets: float = 0.012

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Settings:
    """What to make (the first block: the job a user asks for) and how hard to try (the rest)."""

    # -- the job ---------------------------------------------------------------------------------
    paths: int = 32  # the most paths in the result
    fill: str = "radial"  # one of FILLS
    segments: int = 4  # cubic segments per path on average: the node budget is paths × segments
    device: str = "auto"  # one of DEVICES
    seed: int = 0
    max_size: int = 512  # the working image's long side at most (the SVG keeps the input's grid)
    layers: int | str = "auto"  # "auto": one layer per stage; K: that many layers

    # -- effort (what the presets change) --------------------------------------------------------
    stage_iters: int = 64  # Adam steps per stage at most
    patience: int = 12  # a stage ends after this many steps without a relative gain of ``tol``
    tol: float = 2e-4
    final_iters: int = 32  # steps of the last pass over every path together (0: none), up to 32 paths
    # ... and this many more per doubling of the budget past 32 paths: more paths, and the nodes
    # split for the pass, have more to fit (python -m layervec_ext.bench scale; see final_steps).
    # Above the default max_size they are fewer, costing what they would at it.
    final_growth: int = 16
    # Steps of the detail pass: on a picture bigger than the working size, a pass over every path
    # at the picture's own size (twice the working size at most) after the untangle step, where the
    # working size blurred the edges (0: none; pipeline._detail_pass).
    detail_iters: int = 16
    final_lr: float = 1.0  # the last pass's learning rates, as a fraction of the stages'
    final_warmup: int = 8  # the last pass's rates grow linearly over this many first steps
    # Refine (``layervec refine``): steps of a pass over the artist's paths (and one more with the
    # added ones), its early stop, its rates as a multiple of the stages', and the sizes (fractions
    # of the working size) it works at in turn. Paths an artist moved by several pixels are far from
    # where a stage's steps reach: coarse sizes first, more steps, patience and speed bring them back
    # (python -m layervec_ext.bench refine; the smiley's 16 paths moved and recoloured: at the full size
    # only 31.4 dB, these 37.5 dB by resvg against the original's 38.5).
    refine_iters: int = 150
    refine_patience: int = 30
    refine_lr: float = 2.0
    refine_scales: tuple[float, ...] = (0.25, 0.5, 1.0)

    # -- stages ----------------------------------------------------------------------------------
    # A stage moves every path while the paths' bounding boxes add up to at most this many working
    # pixels (what a step over the whole scene costs grows with it); past that, only its own new
    # paths, over the canvas the earlier ones leave (drawn once), and the final pass moves them
    # all. Moving everything is better by 1–3 dB at 8–32 paths on 256² pictures, where it is cheap.
    joint_area: int = 600_000
    max_stages: int = 4  # the most stages (= detail layers); budgets past 80 paths get one more per doubling
    # On a working image bigger than coarse_above, the stages optimise at half its size at most and
    # each stage before the last at half the size of the next, down to coarse_size; the passes over
    # every path after them work at the full size (python -m layervec_ext.bench scale measures what
    # it saves: the last stage at half size, on the 1024² set at 64 and 256 paths, +0.3 and −0.02
    # dB mean, the hamburger 18.0 → 15.1 s and 33.1 → 28.0 s); pictures up to coarse_above are
    # small enough to work on whole.
    coarse_size: int = 128
    coarse_above: int = 256
    # The segmentation works on the working image brought within this long side (its cost grows
    # with the pixels: python -m layervec_ext.bench scale --sizes 1024); its partitions are scaled
    # back up.
    segment_size: int = 512
    levels: int = 3  # candidates come from this many cuts of the hierarchy per stage (K, 2K, 4K regions)
    regions_per_path: int = 3  # the coarsest cut of a stage has this many regions per new path
    # Candidate regions are fitted and scored on every k-th row and column, k chosen so that this
    # grid's long side is at most this (k = 1 up to it: pictures of that size are scored whole).
    propose_size: int = 256
    min_region_area: int = 6  # regions smaller than this many working pixels are noise
    # How much the pixels inside a region's holes count when scoring it: 0.25–0.5 beat 1.0 (honest)
    # by ~1 dB on outlined shapes at 8 paths (0.25 best on the smiley).
    hole_weight: float = 0.25
    # Each stage's loss weighs pixels by 1 + focus × (blurred residual before the stage / its mean,
    # capped at focus_cap), so new paths answer for what the canvas got wrong; the final pass is
    # unweighted. At 8 paths on 6 images: 0.5 → +0.06 dB mean (smiley +1.7 dB), 1.0 → −0.3.
    focus: float = 0.5
    focus_cap: float = 4.0
    gradient_stops: int = 3  # stops of a fitted gradient
    # A stage's segments (its paths × segments) can be shared by need: each outline gets at least
    # least_segments, at most most_segments, and every next one goes where the outline's fit error
    # falls most. Off (least = segments) by default: at 2–3 it gained at 8 paths (+1.4 dB mean on
    # four 256² pictures) but lost at 64 (−1.2 to −2 dB; icons up to −4 dB, fewer paths kept).
    least_segments: int = 4
    most_segments: int = 16
    # Before the final pass, the node budget clean-up left (paths × segments, less what the kept
    # paths and a flat background's share have) halves up to this fraction of the scene's cubics,
    # those along which the picture misses most first (nodes.split_by_need), for the pass to fit
    # (python -m layervec_ext.bench scale: see the README's table).
    split_share: float = 1.0

    # -- optimiser -------------------------------------------------------------------------------
    learning_rates: LearningRates = field(default_factory=LearningRates)
    lr_decay_to: float = 0.4  # linear decay of every rate over a stage, to this fraction (as LIVE)
    xing_weight: float = 0.002  # LIVE's self-intersection penalty
    show_every: int = 8  # steps between the scenes shown to a watcher (the Inkscape window's preview)
    min_radius: float = 0.5  # a radial gradient's semi-axes stay at least this many pixels
    # On a canvas of more than sample_above pixels, a step's loss draws every pixel some path's
    # boundary band reaches and, elsewhere (wholly inside, where only the paints' gradients come
    # from), one pixel in each sample_block × sample_block block, standing for the block
    # (raster.render_packed_sampled): a step shades a fraction of the fragments.
    sample_block: int = 2
    sample_above: int = 100_000

    # -- clean-up and background -----------------------------------------------------------------
    # A path whose removal changes the picture by less than this summed squared error (premultiplied
    # RGBA in [0, 1], over all pixels) is dropped: about one pixel off by 0.2 in three channels.
    # Absolute, so a bigger working image keeps the same small details.
    drop_below: float = 0.13
    # When clean-up leaves more than this fraction of the budget unused, one more stage spends it
    # on the largest remaining errors — unless the picture already reaches enough_db.
    refill_above: float = 0.1
    enough_db: float = 45.0
    transparent_alpha: float = 0.5  # a border with median alpha below this is transparent
    uniform_rms: float = 0.04  # a border whose colours spread less than this (RMS) is one colour
    min_work: int = 32  # tiny inputs are enlarged (nearest) to at least this long side

    @classmethod
    def preset(cls, name: str, **job) -> Settings:
        """The named preset with the job's fields (``paths=…``, ``fill=…``) set."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        return dataclasses.replace(PRESETS[name], **job)

    @property
    def node_budget(self) -> int:
        """The cubics the result may hold in all: paths × segments."""
        return self.paths * self.segments

    def final_steps(self, long_side: int) -> int:
        """Steps of the last pass over every path on a working image ``long_side`` pixels long:
        :attr:`final_iters` at up to 32 paths, and :attr:`final_growth` more per doubling of the
        budget past that — fewer past the default working size, where each step costs more, so
        that they cost what they would there (none when the pass is off)."""
        if not self.final_iters:
            return 0
        doublings = max(0.0, math.log2(self.paths / 32))
        dearer = max(1.0, (long_side / Settings.max_size) ** 2)
        return self.final_iters + round(self.final_growth * doublings / dearer)

    def sample_every(self, width: int, height: int) -> int:
        """The sampling block of a step's loss on a ``width × height`` canvas (1: every pixel)."""
        return self.sample_block if width * height > self.sample_above else 1

    def check(self) -> None:
        """A one-line ``ValueError`` for a value no run can use."""
        if self.paths < 1:
            raise ValueError("paths must be at least 1")
        if self.fill not in FILLS:
            raise ValueError(f"unknown fill {self.fill!r}; choose one of {', '.join(FILLS)}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; choose one of {', '.join(DEVICES)}")
        if not 2 <= self.segments <= MAX_SEGMENTS:
            raise ValueError(f"segments must be between 2 and {MAX_SEGMENTS}")
        if self.detail_iters < 0:
            raise ValueError("detail-iters must not be negative")
        if self.split_share < 0:
            raise ValueError("split-share must not be negative")
        if self.max_size < 8:
            raise ValueError("max-size must be at least 8")
        if not (self.layers == "auto" or (isinstance(self.layers, int) and self.layers >= 1)):
            raise ValueError("layers must be 'auto' or a positive number")


PRESETS: dict[str, Settings] = {
    "fast": Settings(stage_iters=40, patience=6, final_iters=0, detail_iters=0, refine_iters=80, refine_patience=20),
    "balanced": Settings(),
    "best": Settings(stage_iters=300, patience=25, final_iters=200, refine_iters=400, refine_patience=60),
}
