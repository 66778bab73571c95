"""``python -m layervec_ext.bench render|quality|scale|refine …``: the benchmark commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = {"render": "layervec_ext.bench.render", "quality": "layervec_ext.bench.quality",
                "scale": "layervec_ext.bench.scale", "refine": "layervec_ext.bench.refine"}
    if not argv or argv[0] not in commands:
        print("usage: python -m layervec_ext.bench {render,quality,scale,refine} [options]", file=sys.stderr)
        return 2
    import importlib

    return importlib.import_module(commands[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
