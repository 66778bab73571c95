"""The quality command end to end on one small real image: ours and both baselines, scored alike."""

from __future__ import annotations

import json
import os

from PIL import Image

from layervec_ext.bench import QUALITY_IMAGES
from layervec_ext.bench.baselines import count_nodes, load_rgb
from layervec_ext.bench.quality import main
from layervec_ext.core.metrics import psnr, rasterize_svg

IMAGES = str(QUALITY_IMAGES)


def test_quality_command_end_to_end(tmp_path, capsys) -> None:
    images = tmp_path / "images"
    images.mkdir()
    small = images / "icons__lock.png"
    Image.open(os.path.join(IMAGES, "icons__lock.png")).convert("RGB").resize((64, 64), Image.LANCZOS).save(small)
    out = tmp_path / "q.json"
    svgs = tmp_path / "svgs"
    assert main(["--images", str(images), "--paths", "4", "--json", str(out), "--save-svg", str(svgs)]) == 0

    table = capsys.readouterr().out
    assert "| icons | 1 | 4 |" in table
    data = json.loads(out.read_text())
    rows = {r["method"]: r for r in data["rows"]}
    assert set(rows) == {"ours", "vtracer", "potrace"}
    ours = rows["ours"]
    for key in ("family", "image", "paths_budget", "node_budget", "method", "fits", "psnr", "ssim", "paths",
                "nodes", "seconds"):
        assert key in ours
    assert ours["paths"] <= 4 and ours["nodes"] == ours["node_budget"] <= 4 * 4
    # our row is what resvg shows of the SVG we wrote, scored like the baselines
    svg = (svgs / "icons__lock.ours4.svg").read_text()
    assert count_nodes(svg) == (ours["paths"], ours["nodes"])
    assert abs(psnr(rasterize_svg(svg, 64, 64), load_rgb(str(small))) - ours["psnr"]) < 1e-6
    assert ours["psnr"] > 15.0
    for m in ("vtracer", "potrace"):
        r = rows[m]
        assert r["node_budget"] == ours["nodes"]
        if r["fits"]:
            assert r["nodes"] <= ours["nodes"] and "setting" in r and r["psnr"] > 0
    means = {(m["family"], m["method"]) for m in data["means"]}
    assert ("icons", "ours") in means and ("icons", "vtracer") in means

    # a run split in two (as by --families) merges into the table one run printed
    halves = []
    for i, keep in enumerate(({"ours"}, {"vtracer", "potrace"})):
        half = tmp_path / f"half{i}.json"
        half.write_text(json.dumps({**data, "rows": [r for r in data["rows"] if r["method"] in keep]}))
        halves.append(str(half))
    merged = tmp_path / "merged.json"
    assert main(["--merge", *halves, "--json", str(merged)]) == 0
    assert capsys.readouterr().out == table
    assert json.loads(merged.read_text())["means"] == data["means"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "preset": "fast"}))
    assert main(["--merge", halves[0], str(other)]) == 2
    assert main(["--merge", str(tmp_path / "missing.json")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_bad_arguments_are_one_line(tmp_path, capsys) -> None:
    assert main(["--images", str(tmp_path / "nowhere")]) == 2
    assert main(["--images", str(tmp_path), "--paths", "0"]) == 2
    assert main(["--images", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
