"""SVG in and out: ``write.scene_to_svg`` (scene → standalone layered SVG), ``read.svg_to_scene``."""
