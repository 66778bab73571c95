#!/usr/bin/env python3
"""Entry point named in layervec_refine.inx; Inkscape runs it with its own Python (inkex + stdlib).

Run directly, Python puts this file's folder first on sys.path: swap it for the folder holding the
``layervec_ext`` package, so modules import as ``layervec_ext.inkscape.*`` and nothing here
shadows a top-level module.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
sys.path.insert(0, os.path.dirname(os.path.dirname(_HERE)))

from layervec_ext.inkscape.refine import LayerVecRefine  # noqa: E402


class Refine(LayerVecRefine):
    """Defined here, named after the .inx id's last part, as inkex's .inx checker expects."""


if __name__ == "__main__":
    Refine().run()
