"""LayerVec: bitmaps to layered, gradient-filled Bézier paths, for Inkscape and the command line.

Two halves that never import each other's dependencies:

* ``layervec_ext.inkscape`` runs inside Inkscape's own Python (inkex + standard library only);
* ``layervec_ext.core`` is the backend (torch, numpy, OpenCV): scene model, renderers, SVG I/O,
  the vectorizer and the CLI. ``layervec_ext.bench`` holds the benchmark commands.

Both import the package's standard-library modules: ``options`` (every user option, declared once),
``svgunits`` (SVG lengths and preserveAspectRatio) and ``limits`` (the largest bitmap taken).
``layervec_ext.install`` is the installer behind ``install.py`` (standard library only).
"""

__version__ = "0.1.0"
