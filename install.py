#!/usr/bin/env python3
"""Set up LayerVec: ``python3 install.py [--check | --demo | --test | --uninstall] [--help]``.

A bootstrap, standard library only: it checks the Python it runs on, then hands over to
``layervec_ext.install`` in this checkout (also standard library only, so it runs before the backend
environment exists), which creates that environment and does the rest. Written for any python3, so
that an old one gets a clear line rather than a syntax error.
"""

import os
import sys


def main() -> int:
    if sys.version_info < (3, 9):  # noqa: UP036 - any python3 may run this file
        print("[layervec] needs Python 3.9 or newer; this is " + sys.version.split()[0])
        return 1
    sys.dont_write_bytecode = True  # the checkout stays as it was: no __pycache__ from installing
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    from layervec_ext.install.main import main as install

    return install(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
