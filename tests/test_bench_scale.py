"""The scale bench end to end on one small real picture through the real command, and the picture set it ships."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from layervec_ext.bench import SCALE_IMAGES
from layervec_ext.bench.baselines import count_nodes, load_rgb, png_bytes_of, score_svg, vtracer_svg
from layervec_ext.bench.make_scale_images import main as make_images
from layervec_ext.bench.scale import _secs, main
from layervec_ext.core.metrics import psnr, rasterize_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def small_picture(tmp_path, side: int = 96) -> tuple:
    """A scale picture shrunk so that a run takes seconds: ``(folder, picture path)``."""
    images = tmp_path / "images"
    images.mkdir()
    small = images / "noto__hamburger.png"
    Image.open(SCALE_IMAGES / "noto__hamburger.png").convert("RGB").resize((side, side), Image.LANCZOS).save(small)
    return images, small


def test_scale_command_end_to_end(tmp_path, capsys) -> None:
    images, small = small_picture(tmp_path)
    out, plot, svgs = tmp_path / "s.json", tmp_path / "s.svg", tmp_path / "svgs"
    assert main(["--images", str(images), "--paths", "2,4", "--sizes", "48,64", "--json", str(out),
                 "--plot", str(plot), "--save-svg", str(svgs)]) == 0
    table = capsys.readouterr().out
    data = json.loads(out.read_text())
    rows = data["rows"]
    assert [(r["method"], r["size"], r["paths_asked"]) for r in rows] == [
        ("vtracer", None, None), ("ours", 48, 2), ("ours", 48, 4), ("ours", 64, 2), ("ours", 64, 4)]
    target = load_rgb(str(small))
    for r in rows[1:]:
        assert r["ok"] and r["error"] is None
        assert r["summary"].startswith(f"done: {r['paths']}")  # the command's own last line
        assert f"| noto__hamburger | ours | {r['size']} | {r['size']}×{r['size']} | {r['paths_asked']} |" in table
        assert r["work"] == [r["size"], r["size"]]
        # the row is what resvg shows of the SVG the command wrote, at the picture's size
        svg = (svgs / f"noto__hamburger.s{r['size']}.n{r['paths_asked']}.svg").read_text()
        assert count_nodes(svg) == (r["paths"], r["nodes"])
        assert abs(psnr(rasterize_svg(svg, 96, 96), target) - r["psnr"]) < 1e-6
        assert 1 <= r["paths"] <= r["paths_asked"] and r["nodes"] > 0
        assert r["psnr"] > 12.0 and 0 < r["ssim"] <= 1
        # a whole command in a child process: start-up included, its own memory
        assert r["seconds"] > 0.5 and r["cpu_seconds"] > 0.3 and 50 < r["peak_mb"] < 4000
        assert f"| {_secs(r['seconds'])} | {_secs(r['cpu_seconds'])} | {r['peak_mb']:.0f} |" in table
    vt = rows[0]
    assert vt["ok"] and vt["work"] == [96, 96] and vt["peak_mb"] is None
    again = score_svg(vtracer_svg(png_bytes_of(target), {}), target)
    assert {k: vt[k] for k in again} == again
    assert "| noto__hamburger | vtracer default |" in table

    means = {(m["size"], m["paths_asked"]): m for m in data["means"]}
    assert set(means) == {(48, 2), (48, 4), (64, 2), (64, 4)}
    assert means[(64, 4)]["psnr"] == rows[4]["psnr"] and means[(64, 4)]["ok"] == 1
    assert means[(64, 4)]["cpu_seconds"] == rows[4]["cpu_seconds"]

    # the plot: one line per working size in each panel, through the means; vtracer and the linear reference
    root = ET.parse(plot).getroot()
    panels = {g.get("id"): g for g in root.iter(f"{SVG_NS}g") if g.get("id")}
    assert {"seconds", "psnr", "cost"} <= set(panels)
    for name in ("seconds", "psnr", "cost"):
        lines = panels[name].findall(f"{SVG_NS}polyline")
        assert sorted(line.get("data-size") for line in lines) == ["48", "64"]
        assert all(len(line.get("points").split()) == 2 for line in lines)
    assert panels["psnr"].find(f"{SVG_NS}line[@class='vtracer']") is not None
    assert panels["cost"].find(f"{SVG_NS}line[@class='reference']") is not None

    # shards split by size merge into the table one run printed (vtracer's row, in both, counted once)
    shards = []
    for size in (48, 64):
        shard = tmp_path / f"shard{size}.json"
        shard.write_text(json.dumps({**data, "rows": [r for r in rows if r["size"] in (None, size)]}))
        shards.append(str(shard))
    png = tmp_path / "merged.png"
    assert main(["--merge", *shards, "--plot-png", str(png)]) == 0
    assert capsys.readouterr().out == table
    with Image.open(png) as im:
        assert im.size[0] > 1000 and im.getextrema() != ((255, 255),) * len(im.getbands())


def test_inkscape_scores_what_inkscape_draws(tmp_path, capsys) -> None:
    """``--inkscape``: every row also carries the PSNR of the SVG as Inkscape's own exporter draws
    it (exported here by hand, the way an artist would), in a column of both tables."""
    images, small = small_picture(tmp_path, 64)
    out, svgs = tmp_path / "i.json", tmp_path / "svgs"
    assert main(["--images", str(images), "--paths", "4", "--sizes", "64", "--inkscape", "--json", str(out),
                 "--save-svg", str(svgs)]) == 0
    table = capsys.readouterr().out
    vt, ours = json.loads(out.read_text())["rows"]
    assert "PSNR by Inkscape |" in table.splitlines()[1] and f"| {ours['psnr_inkscape']:.2f} |" in table
    png = tmp_path / "by-hand.png"
    subprocess.run(["timeout", "120", "inkscape", ours["svg"], "--export-type=png", f"--export-filename={png}",
                    "--export-background=white", "--export-background-opacity=1"], check=True, capture_output=True)
    with Image.open(png) as im:
        drawn = np.asarray(im.convert("RGB"))
    assert ours["psnr_inkscape"] == psnr(drawn, load_rgb(str(small)))
    assert abs(ours["psnr_inkscape"] - ours["psnr"]) < 3.0  # two renderers of one SVG
    assert vt["psnr_inkscape"] is not None and abs(vt["psnr_inkscape"] - vt["psnr"]) < 3.0


def test_a_run_past_its_timeout_is_a_row_and_the_bench_goes_on(tmp_path, capsys) -> None:
    images, _ = small_picture(tmp_path, 64)
    out = tmp_path / "t.json"
    assert main(["--images", str(images), "--paths", "2", "--sizes", "48", "--timeout", "0.5",
                 "--json", str(out)]) == 1
    rows = json.loads(out.read_text())["rows"]
    ours = [r for r in rows if r["method"] == "ours"]
    assert len(ours) == 1 and not ours[0]["ok"] and ours[0]["error"] == "timed out after 0.5 s"
    assert 0.5 <= ours[0]["seconds"] < 5 and ours[0]["psnr"] is None
    assert [r["ok"] for r in rows if r["method"] == "vtracer"] == [True]
    assert "| timed out after 0.5 s |" in capsys.readouterr().out


def test_bad_arguments_are_one_line(tmp_path, capsys) -> None:
    images, _ = small_picture(tmp_path, 40)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--images", str(tmp_path / "nowhere")]) == 2
    assert main(["--images", str(empty)]) == 2
    assert main(["--images", str(images), "--paths", "0"]) == 2
    assert main(["--images", str(images), "--sizes", "big"]) == 2
    assert main(["--images", str(images), "--pictures", "noto__nothing"]) == 2
    assert main(["--images", str(images), "--json", str(tmp_path / "no" / "such.json")]) == 2
    assert main(["--merge", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 7 and all(line.startswith("error: ") for line in err)


def _scale_section() -> str:
    sources = (SCALE_IMAGES.parent / "SOURCES.md").read_text(encoding="utf-8")
    start = sources.index("## `scale/`")
    end = sources.find("\n## ", start + 1)
    return sources[start:end if end > 0 else None]


def test_the_scale_pictures_are_big_and_licensed() -> None:
    pictures = sorted(SCALE_IMAGES.glob("*.png"))
    assert len(pictures) >= 6
    section = _scale_section()
    lines = {p.name: [ln for ln in section.splitlines() if f"`{p.name}`" in ln] for p in pictures}
    for p in pictures:
        with Image.open(p) as im:
            assert im.mode == "RGB", p.name
            w, h = im.size
        assert len(lines[p.name]) == 1, f"{p.name} has no row of its own in SOURCES.md"
        if max(w, h) < 1024:  # only a picture declared there at its size may be smaller
            assert p.name.startswith("photo__") and f"{w}×{h}" in lines[p.name][0], p.name
    families = {p.name.split("__", 1)[0] for p in pictures}
    assert {"noto", "fluent", "twemoji", "photo"} <= families
    for family in families:
        row = [ln for ln in section.splitlines() if ln.startswith(f"| {family} |")]
        assert len(row) == 1 and "http" in row[0], f"family {family} has no licence row"
    assert sum(p.stat().st_size for p in pictures) < 4e6  # the repository stays small


def test_the_picture_script_renders_an_icon_package(tmp_path, capsys) -> None:
    """make_scale_images on npm-shaped folders (what ``npm pack`` unpacks to): 1024 px, on white."""
    from layervec_ext.bench.make_scale_images import EMOJI, PHOTOS

    for i, (pkg, names) in enumerate(EMOJI.values()):
        folder = tmp_path / "pk" / f"p{i}" / "package"
        folder.mkdir(parents=True)
        (folder / "package.json").write_text(json.dumps({"name": pkg, "version": "9.9.9"}))
        body = '<rect x="4" y="4" width="8" height="8" fill="#c03020"/>'
        icons = {"prefix": "x", "width": 16, "height": 16, "icons": {name: {"body": body} for name in names}}
        (folder / "icons.json").write_text(json.dumps(icons))
    out = tmp_path / "out"
    assert make_images([str(tmp_path / "pk"), "--out", str(out)]) == 0
    made = sorted(p.name for p in out.glob("*.png"))
    expected = sorted([f"{fam}__{n}.png" for fam, (_, names) in EMOJI.items() for n in names]
                      + [f"photo__{n}.png" for n in PHOTOS])
    assert made == expected
    name = next(f"{fam}__{names[0]}.png" for fam, (_, names) in EMOJI.items())
    with Image.open(out / name) as im:
        assert im.size == (1024, 1024) and im.mode == "RGB"
        assert im.getpixel((10, 10)) == (255, 255, 255) and im.getpixel((512, 512)) == (0xC0, 0x30, 0x20)
    assert "9.9.9" in capsys.readouterr().out
    assert make_images([str(tmp_path / "nowhere")]) == 2
