"""The Inkscape half of LayerVec: runs in Inkscape's own Python (inkex >= 1.2 + standard library only).

It never imports torch or ``layervec_ext.core``: the backend runs in its own interpreter as a
subprocess (see :mod:`layervec_ext.inkscape.backend`). From the rest of the package it imports only
the shared standard-library modules: :mod:`layervec_ext.options` (the options it shares with the backend),
:mod:`layervec_ext.protocol` (the backend's messages) and the like. GTK, for the progress window, is
imported only when a window opens (:mod:`layervec_ext.inkscape.window`).
"""
