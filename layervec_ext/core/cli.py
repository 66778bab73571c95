"""The ``layervec`` command: ``layervec IN -o OUT.svg`` vectorizes, ``layervec refine`` refits an SVG's paths to
their bitmap, ``layervec render`` rasterises."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; the default (no sub-command word) is vectorization. A Ctrl-C that no
    stage caught (while the command starts, importing torch) is one line too, never a traceback."""
    try:
        return _dispatch(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        from layervec_ext.core.reporting import TerminalBar, fail
        from layervec_ext.protocol import EXIT_INTERRUPTED

        TerminalBar.close_last()
        return fail("interrupted", EXIT_INTERRUPTED)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] == "render":
        from layervec_ext.core.render_cmd import main as render_main

        return render_main(argv[1:])
    if argv and argv[0] == "refine":
        from layervec_ext.core.refine_cmd import main as refine_main

        return refine_main(argv[1:])
    from layervec_ext.core.vectorize_cmd import main as vectorize_main

    return vectorize_main(argv)
