"""The band coverage's hand-written backward gives autograd's gradients (float64, every region of
the coverage function: inside and outside, near a box corner, on the flat part, at a vertex, on a
zero-length edge), and the renderer's anti-aliasing is unchanged by it."""

import math

import torch

from layervec_ext.core.render.band import band_coverage, band_coverage_reference


def edges_and_pixels(n: int = 3000, seed: int = 0):
    """Random edges and pixel centres within 1.5 px of them, at every angle and position along
    the edge (``t`` beyond [0, 1]: the nearest point is a vertex)."""
    g = torch.Generator().manual_seed(seed)
    e = 400
    start_pts = torch.rand(e, 2, generator=g, dtype=torch.float64) * 50
    angle = torch.rand(e, generator=g, dtype=torch.float64) * 2 * math.pi
    length = torch.rand(e, generator=g, dtype=torch.float64) * 6
    length[:10] = 0.0  # zero-length edges (coincident control points)
    direction = torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    verts = torch.cat([start_pts, start_pts + length[:, None] * direction])
    edge = torch.randint(0, e, (n,), generator=g)
    along = torch.rand(n, generator=g, dtype=torch.float64) * 1.6 - 0.3
    side = (torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1) * 1.5
    normal = torch.stack([-direction[:, 1], direction[:, 0]], 1)
    centres = (start_pts[edge] + (along * length[edge])[:, None] * direction[edge]
               + side[:, None] * normal[edge])
    inside = torch.rand(n, generator=g) > 0.5
    return verts, edge, edge + e, centres, inside


def test_values_and_gradients_match_autograd():
    verts, start, end, centres, inside = edges_and_pixels()
    upstream = torch.rand(start.shape[0], dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    results = []
    for fn in (band_coverage_reference, band_coverage):
        v = verts.clone().requires_grad_()
        cov = fn(v, start, end, centres, inside)
        cov.backward(upstream)
        results.append((cov.detach(), v.grad))
    (ref_cov, ref_grad), (cov, grad) = results
    assert 0.05 < float(((ref_cov > 0) & (ref_cov < 1)).double().mean())  # partial coverage is exercised
    assert torch.allclose(cov, ref_cov, atol=1e-12, rtol=0)
    assert torch.allclose(grad, ref_grad, atol=1e-9, rtol=1e-9)


def test_gradcheck_against_finite_differences():
    verts, start, end, centres, inside = edges_and_pixels(n=200, seed=2)
    v = verts.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x: band_coverage(x, start, end, centres, inside), (v,), eps=1e-7,
                                    atol=1e-5, rtol=1e-4)


def test_pixel_aligned_edges_get_autograds_gradient():
    """A centre half a pixel from an edge on integer coordinates sits exactly on the coverage
    function's clamp (|sd| = half): autograd splits that tie, and so must the fast backward — the
    pair's coverage changes by -1 per pixel the edge moves right."""
    verts = torch.tensor([[5.0, 8.0], [5.0, 12.0]])
    start, end = torch.tensor([0, 0]), torch.tensor([1, 1])
    centres = torch.tensor([[4.5, 10.5], [5.5, 10.5]])
    inside = torch.tensor([False, True])
    grads = []
    for fn in (band_coverage_reference, band_coverage):
        v = verts.clone().requires_grad_()
        fn(v, start, end, centres, inside).sum().backward()
        grads.append(v.grad)
    assert torch.equal(grads[1], grads[0])
    assert abs(float(grads[1][:, 0].sum()) + 1.0) < 1e-6


def test_axis_aligned_short_edge_has_no_spurious_gradient():
    """An exactly vertical 0.03 px edge (a flattened cubic with collinear controls), the centre
    exactly half a pixel outside: the offset's y is exactly 0, as in the reference."""
    verts = torch.tensor([[5.0, 10.52529315953143], [5.0, 10.493750140070915]], dtype=torch.float64)
    args = (torch.tensor([0]), torch.tensor([1]), torch.tensor([[4.5, 10.5]], dtype=torch.float64),
            torch.tensor([False]))
    grads = []
    for fn in (band_coverage_reference, band_coverage):
        v = verts.clone().requires_grad_()
        fn(v, *args).sum().backward()
        grads.append(v.grad)
    assert torch.equal(grads[1], grads[0])
