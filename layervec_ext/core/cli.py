"""The ``layervec`` command: ``layervec IN -o OUT.svg`` vectorizes, ``layervec refine`` refits an SVG's paths to
their bitmap, ``layervec render`` rasterises."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; the default (no sub-command word) is vectorization. A Ctrl-C that no
    stage caught (while the command starts, importing torch) is one line too, never a traceback."""
    from layervec_ext.protocol import EXIT_INTERRUPTED

    try:
        code = _dispatch(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        from layervec_ext.core.reporting import TerminalBar, fail

        TerminalBar.close_last()
        code = fail("interrupted", EXIT_INTERRUPTED)
    if code == EXIT_INTERRUPTED and argv is None and "concurrent.futures.process" not in sys.modules:
        # Ended here, with our exit code: where the Ctrl-C landed in code that a library runs through
        # PyRun_String (torch, while it loads), CPython keeps a flag that the interrupt went unhandled
        # and, at a normal exit, kills the process with SIGINT instead (exit -2, not 130). A batch
        # that started worker processes exits normally, for multiprocessing to tidy up; it never
        # loads torch in this process. Only as the command itself (no argv): called in a process
        # of its own, main returns.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] == "render":
        from layervec_ext.core.render_cmd import main as render_main

        return render_main(argv[1:])
    if argv and argv[0] == "refine":
        from layervec_ext.core.refine_cmd import main as refine_main

        return refine_main(argv[1:])
    from layervec_ext.core.vectorize_cmd import main as vectorize_main

    return vectorize_main(argv)
