"""The Inkscape half of LayerVec: runs in Inkscape's own Python (inkex >= 1.2 + standard library only).

It never imports torch or ``layervec_ext.core``: the backend runs in its own interpreter as a
subprocess (see :mod:`layervec_ext.inkscape.backend`). From the rest of the package it imports only
:mod:`layervec_ext.options` (standard library only), where the options it shares with the backend are declared.
"""
