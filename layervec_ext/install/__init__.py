"""The installer behind ``python3 install.py``: environment, registration, check, demo, uninstall, test.

Standard library only and Python ≥ 3.9, so that it runs under whichever python3 runs install.py,
before the backend environment exists: :mod:`main` (flags, the order of the steps), :mod:`backend`
(the environment), :mod:`inkscape` (finding Inkscape and its folders), :mod:`register`,
:mod:`check`, :mod:`uninstall`, :mod:`demo`. Two run in other interpreters: :mod:`probe` (by path, in
the backend environment or Inkscape's Python: what they can import) and :mod:`score` (``-m``, in the
backend environment: the demo's PSNR).
"""
