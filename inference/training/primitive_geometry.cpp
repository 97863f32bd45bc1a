// The primitives' geometry: exact signed distances (Inigo Quilez's formulas where they are exact,
// negated so inside is positive), uniform sampling of their exact surfaces, and their marching-cubes meshes.
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "inference/mesh/marching_cubes.h"
#include "inference/mesh/mesh_ops.h"
#include "inference/training/primitives.h"

namespace shape::training {
namespace {

using torch::Tensor;
constexpr double kPi = 3.14159265358979323846;

// A primitive's own parameters, in double precision:
//   cube: half-extents a, b, c;  sphere: radius a;  torus: major radius a, minor radius b;
//   cone, cylinder, pyramid: base radius (pyramid: base half-width) a, half height b;
//   capsule: radius a, half length b of its axis segment.
struct Geometry {
  PrimitiveKind kind;
  double a = 0, b = 0, c = 0;
};

Geometry geometry_of(const PrimitiveSpec& spec) {
  const double hx = spec.half_extents[0], hy = spec.half_extents[1], hz = spec.half_extents[2];
  const double width = (hx + hy) / 2;  // the round and square-based kinds are symmetric in x and y
  switch (spec.kind) {
    case PrimitiveKind::kCube: return {spec.kind, hx, hy, hz};
    case PrimitiveKind::kSphere: return {spec.kind, (hx + hy + hz) / 3};
    case PrimitiveKind::kTorus: {
      // Without these bounds a torus fitted to a sphere's box degenerates into that sphere.
      const double ratio = width > hz ? std::clamp(hz / (width - hz), 0.2, 0.5) : 0.5;
      const double major = width / (1 + ratio);
      return {spec.kind, major, ratio * major};
    }
    case PrimitiveKind::kCone:
    case PrimitiveKind::kCylinder:
    case PrimitiveKind::kPyramid: return {spec.kind, width, hz};
    case PrimitiveKind::kCapsule: {
      const double radius = std::clamp(width, hz / 3.5, hz / 2);  // or it would fit a sphere too
      return {spec.kind, radius, hz - radius};
    }
  }
  throw std::invalid_argument("unknown primitive kind");
}

// Elementwise cond ? if_true : if_false, in double precision (a Scalar would pass through float).
Tensor choose(const Tensor& cond, double if_true, double if_false) {
  return torch::where(cond, torch::full(cond.sizes(), if_true, torch::kFloat64),
                      torch::full(cond.sizes(), if_false, torch::kFloat64));
}

Tensor length2(const Tensor& x, const Tensor& y) { return (x.square() + y.square()).sqrt(); }

// Box, capped cylinder: distance to the box `q` = |p| - half extents, negative inside.
Tensor box_distance(const std::vector<Tensor>& q) {
  Tensor outside = torch::zeros_like(q[0]);
  Tensor inside = q[0];
  for (const Tensor& qi : q) {
    outside = outside + qi.clamp_min(0).square();
    inside = torch::maximum(inside, qi);
  }
  return outside.sqrt() + inside.clamp_max(0);
}

// Cone with base radius r at z = -h and apex at z = +h (sdCappedCone with r2 = 0).
Tensor cone_distance(const Tensor& radial, const Tensor& z, double r, double h) {
  const Tensor ca_x = torch::where(z < 0, (radial - r).clamp_min(0), radial);
  const Tensor ca_y = z.abs() - h;
  // Closest point on the slanted side, from apex (0, h) along k2 = (-r, 2h) towards the base rim.
  const double k2x = -r, k2y = 2 * h, k2_len2 = k2x * k2x + k2y * k2y;
  const Tensor t = ((-radial) * k2x + (h - z) * k2y).div(k2_len2).clamp(0, 1);
  const Tensor cb_x = radial + k2x * t;
  const Tensor cb_y = z - h + k2y * t;
  const Tensor sign = choose((cb_x < 0).logical_and(ca_y < 0), -1.0, 1.0);
  return sign * torch::minimum(ca_x.square() + ca_y.square(), cb_x.square() + cb_y.square()).sqrt();
}

// Distance from points (x, y, z) [N] each to the triangle (a, b, c), given as 3-vectors.
Tensor triangle_distance(const Tensor& x, const Tensor& y, const Tensor& z, const std::array<double, 3>& a,
                         const std::array<double, 3>& b, const std::array<double, 3>& c) {
  const auto along = [&](const std::array<double, 3>& from, const std::array<double, 3>& d) {  // (p - from).d
    return (x - from[0]) * d[0] + (y - from[1]) * d[1] + (z - from[2]) * d[2];
  };
  const auto minus = [](const std::array<double, 3>& u, const std::array<double, 3>& v) {
    return std::array<double, 3>{u[0] - v[0], u[1] - v[1], u[2] - v[2]};
  };
  const auto dot3 = [](const std::array<double, 3>& u, const std::array<double, 3>& v) {
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  };
  const auto segment = [&](const std::array<double, 3>& from, const std::array<double, 3>& to) {
    const auto d = minus(to, from);
    const Tensor t = (along(from, d) / dot3(d, d)).clamp(0, 1);
    return ((x - from[0] - t * d[0]).square() + (y - from[1] - t * d[1]).square() + (z - from[2] - t * d[2]).square());
  };
  const auto ab = minus(b, a), ac = minus(c, a);
  const std::array<double, 3> n = {ab[1] * ac[2] - ab[2] * ac[1], ab[2] * ac[0] - ab[0] * ac[2], ab[0] * ac[1] - ab[1] * ac[0]};
  const double d00 = dot3(ab, ab), d01 = dot3(ab, ac), d11 = dot3(ac, ac), denom = d00 * d11 - d01 * d01;
  const Tensor d20 = along(a, ab), d21 = along(a, ac);
  const Tensor v = d11 * d20 - d01 * d21, w = d00 * d21 - d01 * d20;  // barycentrics times denom
  const Tensor inside = (v >= 0).logical_and(w >= 0).logical_and(v + w <= denom);
  const Tensor plane = along(a, n).square() / dot3(n, n);
  const Tensor edges = torch::minimum(torch::minimum(segment(a, b), segment(b, c)), segment(c, a));
  return torch::where(inside, plane, edges).sqrt();
}

// Square pyramid: base of half-width w at z = -h, apex at z = +h. Folded by its symmetries into
// x >= y >= 0, where the +x side triangle is the nearest side face. Inside: the nearest face plane;
// outside: the nearer of that triangle and the base square.
Tensor pyramid_distance(const Tensor& x, const Tensor& y, const Tensor& z, double w, double h) {
  const Tensor fx = torch::maximum(x.abs(), y.abs()), fy = torch::minimum(x.abs(), y.abs());
  const Tensor side_plane = (2 * h * (fx - w) + w * (z + h)) / std::hypot(2 * h, w);
  const Tensor base_plane = -(z + h);
  const Tensor side = triangle_distance(fx, fy, z, {0, 0, h}, {w, -w, -h}, {w, w, -h});
  const Tensor base = ((fx - w).clamp_min(0).square() + (fy - w).clamp_min(0).square() + (z + h).square()).sqrt();
  const Tensor plane_distance = torch::maximum(side_plane, base_plane);
  return torch::where(plane_distance <= 0, plane_distance, torch::minimum(side, base));
}

// Positive inside, for points [N, 3] in double precision.
Tensor signed_distance(const Geometry& g, const Tensor& points) {
  const Tensor x = points.select(1, 0), y = points.select(1, 1), z = points.select(1, 2);
  switch (g.kind) {
    case PrimitiveKind::kCube: return -box_distance({x.abs() - g.a, y.abs() - g.b, z.abs() - g.c});
    case PrimitiveKind::kSphere: return g.a - points.norm(2, 1);
    case PrimitiveKind::kTorus: return g.b - length2(length2(x, y) - g.a, z);
    case PrimitiveKind::kCone: return -cone_distance(length2(x, y), z, g.a, g.b);
    case PrimitiveKind::kCylinder: return -box_distance({length2(x, y) - g.a, z.abs() - g.b});
    case PrimitiveKind::kPyramid: return -pyramid_distance(x, y, z, g.a, g.b);
    case PrimitiveKind::kCapsule: return g.a - torch::stack({x, y, z - z.clamp(-g.b, g.b)}, 1).norm(2, 1);
  }
  throw std::invalid_argument("unknown primitive kind");
}

// Which of the surface patches with these areas each uniform number in [0, 1) falls on.
Tensor pick_patch(const std::vector<double>& areas, const Tensor& u) {
  std::vector<double> bounds;
  double total = 0;
  for (double area : areas) bounds.push_back(total += area);
  for (double& bound : bounds) bound /= total;
  bounds.back() = 2.0;  // rounding must not leave u past the last bound
  return torch::searchsorted(torch::tensor(bounds, torch::kFloat64), u.contiguous(), /*out_int32=*/false, /*right=*/true);
}

Tensor ring(const Tensor& radius, const Tensor& angle, const Tensor& z) {
  return torch::stack({radius * angle.cos(), radius * angle.sin(), z}, 1);
}

// A point uniform in each triangle (corners [N, 3] each) from two uniforms.
Tensor in_triangle(const Tensor& p0, const Tensor& p1, const Tensor& p2, const Tensor& u, const Tensor& v) {
  const Tensor r = u.sqrt().unsqueeze(1), s = v.unsqueeze(1);
  return (1 - r) * p0 + r * (1 - s) * p1 + r * s * p2;
}

// Points [n, 3] uniform over the exact surface. U: [n, 4] uniforms, N: [n, 3] standard normals.
Tensor surface_points(const Geometry& g, const Tensor& U, const Tensor& N) {
  const Tensor u0 = U.select(1, 0), u1 = U.select(1, 1), u2 = U.select(1, 2), u3 = U.select(1, 3);
  const Tensor angle = 2 * kPi * u1;
  const Tensor direction = N / N.norm(2, 1, true).clamp_min(1e-12);
  switch (g.kind) {
    case PrimitiveKind::kCube: {  // the pair of faces normal to an axis, by area; uniform on one face
      const Tensor axis = pick_patch({g.b * g.c, g.a * g.c, g.a * g.b}, u0);
      const Tensor half = torch::tensor({g.a, g.b, g.c}, torch::kFloat64);
      const Tensor inside_face = (U.slice(1, 1, 4) * 2 - 1) * half;
      const Tensor face = choose(N.select(1, 0) < 0, -1.0, 1.0).unsqueeze(1) * half;
      const Tensor on_axis = torch::nn::functional::one_hot(axis, 3).to(torch::kBool);
      return torch::where(on_axis, face, inside_face);
    }
    case PrimitiveKind::kSphere: return g.a * direction;
    case PrimitiveKind::kTorus: {
      // The tube angle phi has density proportional to R + r cos(phi): invert its CDF by Newton.
      const double R = g.a, r = g.b;
      const Tensor target = 2 * kPi * R * u2;
      Tensor phi = 2 * kPi * u2;
      for (int i = 0; i < 30; ++i) phi = phi - (R * phi + r * phi.sin() - target) / (R + r * phi.cos());
      return ring(R + r * phi.cos(), angle, r * phi.sin());
    }
    case PrimitiveKind::kCone: {  // side: the distance from the apex has density proportional to it
      const double slant = std::hypot(g.a, 2 * g.b);
      const Tensor on_side = pick_patch({slant, g.a}, u0) == 0;  // areas pi a slant and pi a^2
      const Tensor f = u2.sqrt();
      const Tensor side = ring(f * g.a, angle, g.b - 2 * g.b * f);
      const Tensor base = ring(g.a * u2.sqrt(), angle, torch::full_like(u2, -g.b));
      return torch::where(on_side.unsqueeze(1), side, base);
    }
    case PrimitiveKind::kCylinder: {
      const Tensor on_side = pick_patch({2 * g.b, g.a}, u0) == 0;  // areas 4 pi a b and 2 pi a^2
      const Tensor side = ring(torch::full_like(u2, g.a), angle, (2 * u2 - 1) * g.b);
      const Tensor cap = ring(g.a * u2.sqrt(), angle, choose(u3 < 0.5, -g.b, g.b));
      return torch::where(on_side.unsqueeze(1), side, cap);
    }
    case PrimitiveKind::kPyramid: {  // four side triangles, then the square base
      const double w = g.a, h = g.b, face = w * std::hypot(w, 2 * h);
      const Tensor patch = pick_patch({face, face, face, face, 4 * w * w}, u0);
      const Tensor corners = torch::tensor({{w, w, -h}, {-w, w, -h}, {-w, -w, -h}, {w, -w, -h}}, torch::kFloat64);
      const Tensor apex = torch::tensor({0.0, 0.0, h}, torch::kFloat64).expand({U.size(0), 3});
      const Tensor side_index = patch.clamp_max(3);
      const Tensor side = in_triangle(apex, corners.index_select(0, side_index),
                                      corners.index_select(0, (side_index + 1) % 4), u1, u2);
      const Tensor base = torch::stack({(2 * u1 - 1) * w, (2 * u2 - 1) * w, torch::full_like(u1, -h)}, 1);
      return torch::where((patch < 4).unsqueeze(1), side, base);
    }
    case PrimitiveKind::kCapsule: {  // side of the segment, or a hemisphere at its nearer end
      const Tensor on_side = pick_patch({g.b, g.a}, u0) == 0;  // areas 4 pi a b and 4 pi a^2
      const Tensor side = ring(torch::full_like(u2, g.a), angle, (2 * u2 - 1) * g.b);
      const Tensor end = choose(direction.select(1, 2) < 0, -g.b, g.b);
      const Tensor cap = g.a * direction + torch::stack({torch::zeros_like(end), torch::zeros_like(end), end}, 1);
      return torch::where(on_side.unsqueeze(1), side, cap);
    }
  }
  throw std::invalid_argument("unknown primitive kind");
}

torch::Tensor colour_of(const PrimitiveSpec& spec) {
  const auto& rgb = primitive_colours().at(static_cast<size_t>(spec.colour)).rgb;
  return torch::tensor({rgb[0], rgb[1], rgb[2]}, torch::kFloat32);
}

}  // namespace

torch::Tensor primitive_signed_distance(const PrimitiveSpec& spec, const torch::Tensor& points) {
  if (points.dim() != 2 || points.size(1) != 3) throw std::invalid_argument("primitive_signed_distance: points must be [N, 3]");
  return signed_distance(geometry_of(spec), points.to(torch::kFloat64)).to(torch::kFloat32);
}

torch::Tensor sample_primitive_surface(const PrimitiveSpec& spec, int64_t count, uint64_t seed) {
  if (count < 0) throw std::invalid_argument("sample_primitive_surface: negative count");
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const Tensor U = torch::rand({count, 4}, generator, f64);
  const Tensor N = torch::randn({count, 3}, generator, f64);
  const Tensor points = surface_points(geometry_of(spec), U, N).to(torch::kFloat32);
  return torch::cat({points, colour_of(spec).expand({count, 3})}, 1);
}

Mesh primitive_mesh(const PrimitiveSpec& spec, int64_t grid) {
  if (grid < 2) throw std::invalid_argument("primitive_mesh: grid must be at least 2, got " + std::to_string(grid));
  const Tensor axis = torch::linspace(-1.0, 1.0, grid, torch::kFloat64);
  const auto grids = torch::meshgrid({axis, axis, axis}, "ij");
  const Tensor points = torch::stack({grids[0].reshape(-1), grids[1].reshape(-1), grids[2].reshape(-1)}, 1);
  const Tensor field = signed_distance(geometry_of(spec), points).reshape({grid, grid, grid}).to(torch::kFloat32);
  const MarchingCubesResult surface = marching_cubes(field, {-1, -1, -1}, {2, 2, 2});
  const Tensor colours = colour_of(spec).expand({surface.vertices.size(0), 3});
  Mesh mesh = mesh_from_tensors(surface.vertices, surface.faces, colours);
  weld_vertices(mesh);  // marching cubes repeats grid points that lie exactly on the surface
  return mesh;
}

}  // namespace shape::training
