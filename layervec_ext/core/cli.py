"""The ``layervec`` command: ``layervec IN -o OUT.svg`` vectorizes, ``layervec refine`` refits an SVG's paths to
their bitmap, ``layervec render`` rasterises."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; the default (no sub-command word) is vectorization."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "render":
        from layervec_ext.core.render_cmd import main as render_main

        return render_main(argv[1:])
    if argv and argv[0] == "refine":
        from layervec_ext.core.refine_cmd import main as refine_main

        return refine_main(argv[1:])
    from layervec_ext.core.vectorize_cmd import main as vectorize_main

    return vectorize_main(argv)
