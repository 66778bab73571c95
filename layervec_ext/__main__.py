"""``python -m layervec_ext …`` is the ``layervec`` command."""

import sys

from layervec_ext.core.cli import main

sys.exit(main())
