import torch

from layervec_ext.core.scene import Scene, circle_points, flat, path, radial


def test_circle_points_lie_on_the_circle():
    pts = circle_points(10.0, 20.0, 5.0, segments=4)
    anchors = pts[0::3]
    assert anchors.shape == (4, 2)
    assert torch.allclose(((anchors - torch.tensor([10.0, 20.0])) ** 2).sum(1).sqrt(), torch.full((4,), 5.0))


def test_segments_close_the_path():
    p = path(circle_points(0, 0, 1, segments=3), flat([1, 0, 0, 1]))
    seg = p.segments()
    assert seg.shape == (3, 4, 2)
    assert torch.equal(seg[-1, 3], p.points[0])


def test_scene_groups_and_copies():
    s = Scene(32, 32, layers=["coarse", "detail"])
    s.add(path(circle_points(8, 8, 4), flat([1, 0, 0, 1])))
    s.add(path(circle_points(16, 16, 4, 6), radial([16, 16], [4, 2], [0, 1], [[1, 1, 1, 1], [0, 0, 0, 1]]), layer=1))
    assert s.num_segments == 10
    groups = s.param_groups()
    assert len(groups["points"]) == 2 and len(groups["geometry"]) == 3  # center, radius, angle
    copy = s.detached()
    copy.paths[0].points += 1
    assert not torch.equal(copy.paths[0].points, s.paths[0].points)


def test_shoelace_area_and_union_find():
    """The one polygon area (numpy and torch alike) and the one union-find the reader and the
    segmentation share."""
    import numpy as np

    from layervec_ext.core.geometry import signed_area, union_roots

    square = [[0.0, 0.0], [2.0, 0.0], [2.0, 3.0], [0.0, 3.0]]  # counter-clockwise in math axes
    assert float(signed_area(np.array(square))) == 6.0
    assert float(signed_area(torch.tensor(square[::-1]))) == -6.0
    assert union_roots(5, [(0, 1), (3, 4), (1, 4)]) == [0, 0, 2, 0, 0]  # b's set joins a's


def test_rectangle_as_straight_cubics_split_evenly_on_its_sides():
    """A background of more than four segments: the extra nodes split the sides evenly, the first
    sides first, every cubic straight (controls at thirds), the outline closed at the corners."""
    import numpy as np

    from layervec_ext.core.geometry import rectangle_cubics

    pts = rectangle_cubics(0.0, 0.0, 30.0, 12.0, segments=6)
    nodes, controls = pts[0::3], pts.reshape(-1, 3, 2)
    assert nodes.tolist() == [[0, 0], [15, 0], [30, 0], [30, 6], [30, 12], [0, 12]]
    ends = np.roll(nodes, -1, axis=0)
    assert np.allclose(controls[:, 1], nodes + (ends - nodes) / 3)
    assert np.allclose(controls[:, 2], nodes + 2 * (ends - nodes) / 3)


def test_background_is_part_of_the_scene_not_a_path():
    s = Scene(30, 20, [path(circle_points(10, 10, 5), flat([1, 0, 0, 1]))], background=flat([0, 0, 1, 1]))
    assert s.num_paths == 2 and s.num_segments == 8  # an editor sees the background's rectangle
    rect = s.background_path()
    assert rect.fill is s.background and rect.layer == 0 and s.drawn_paths()[1:] == s.paths
    assert rect.points.min(0).values.tolist() == [0, 0] and rect.points.max(0).values.tolist() == [30, 20]
    assert "background.color" in dict(s.named_tensors())
    assert any(t is s.background.color for t in s.param_groups()["colors"])
    copy = s.detached()
    assert torch.equal(copy.background.color, s.background.color) and copy.background.color is not s.background.color
    assert Scene(1, 1).background_path() is None
