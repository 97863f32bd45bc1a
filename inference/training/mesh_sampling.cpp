// Surface sampling and brute-force signed distance for arbitrary triangle meshes.
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "inference/training/shape_dataset.h"

namespace shape::training {
namespace {

using torch::Tensor;
constexpr double kPi = 3.14159265358979323846;

Tensor rows(const std::vector<std::array<float, 3>>& values) {
  Tensor t = torch::empty({static_cast<int64_t>(values.size()), 3}, torch::kFloat32);
  std::memcpy(t.data_ptr<float>(), values.data(), values.size() * sizeof(values[0]));
  return t;
}

Tensor triangle_indices(const Mesh& mesh) {
  Tensor t = torch::empty({static_cast<int64_t>(mesh.triangles.size()), 3}, torch::kInt32);
  std::memcpy(t.data_ptr<int32_t>(), mesh.triangles.data(), mesh.triangles.size() * sizeof(mesh.triangles[0]));
  return t.to(torch::kInt64);
}

// Vertex colours [V, 3], mid-grey for an uncoloured mesh.
Tensor vertex_colours(const Mesh& mesh) {
  if (mesh.colors.empty()) return torch::full({static_cast<int64_t>(mesh.positions.size()), 3}, 0.5f);
  return rows(mesh.colors);
}

void require_triangles(const Mesh& mesh, const char* function) {
  if (mesh.triangles.empty()) throw std::invalid_argument(std::string(function) + ": the mesh has no triangles");
  if (!mesh.colors.empty() && mesh.colors.size() != mesh.positions.size()) {
    throw std::invalid_argument(std::string(function) + ": colour and position counts differ");
  }
}

Tensor row_dot(const Tensor& a, const Tensor& b) { return (a * b).sum(-1); }

// Closest point on triangles (a, b, c) [N, 3] to points p [N, 3], all double: the barycentric
// weights [N, 3] of that point.
Tensor closest_barycentric(const Tensor& p, const Tensor& a, const Tensor& b, const Tensor& c) {
  const Tensor ab = b - a, ac = c - a, bc = c - b, ap = p - a, bp = p - b;
  const Tensor d00 = row_dot(ab, ab), d01 = row_dot(ab, ac), d11 = row_dot(ac, ac), d20 = row_dot(ap, ab), d21 = row_dot(ap, ac);
  const Tensor denom = d00 * d11 - d01 * d01;  // |ab x ac|^2
  const Tensor v = (d11 * d20 - d01 * d21), w = (d00 * d21 - d01 * d20);  // times denom
  const Tensor inside = (denom > 0).logical_and(v >= 0).logical_and(w >= 0).logical_and(v + w <= denom);
  const Tensor safe = denom.clamp_min(1e-300);
  const Tensor projected = torch::stack({1 - (v + w) / safe, v / safe, w / safe}, 1);

  // Otherwise the closest point is on an edge: the nearest of the three clamped projections.
  const Tensor t_ab = (d20 / d00.clamp_min(1e-300)).clamp(0, 1);
  const Tensor t_ac = (d21 / d11.clamp_min(1e-300)).clamp(0, 1);
  const Tensor t_bc = (row_dot(bp, bc) / row_dot(bc, bc).clamp_min(1e-300)).clamp(0, 1);
  const Tensor zero = torch::zeros_like(t_ab);
  const Tensor edge_weights = torch::stack({torch::stack({1 - t_ab, t_ab, zero}, 1), torch::stack({1 - t_ac, zero, t_ac}, 1),
                                            torch::stack({zero, 1 - t_bc, t_bc}, 1)},
                                           1);  // [N, 3 edges, 3]
  const Tensor corners = torch::stack({a, b, c}, 1);                                 // [N, 3, 3]
  const Tensor edge_points = torch::matmul(edge_weights, corners);                   // [N, 3 edges, 3]
  const Tensor nearest = (edge_points - p.unsqueeze(1)).square().sum(-1).argmin(1);  // [N]
  const Tensor on_edge = edge_weights.gather(1, nearest.view({-1, 1, 1}).expand({-1, 1, 3})).squeeze(1);
  return torch::where(inside.unsqueeze(1), projected, on_edge);
}

// Triangle data for the brute-force pass, float32: corner a and the edges from it as [3, F] rows,
// and the dot products that do not involve the query point, [F].
struct Triangles {
  Tensor a, ab, ac, normal;  // normal = ab x ac
  Tensor d00, d01, d11, ab_bc, dbc;  // ab.ab, ab.ac, ac.ac, ab.bc, bc.bc
};

Triangles prepare(const Tensor& a, const Tensor& b, const Tensor& c) {  // [F, 3] double each
  const Tensor ab = b - a, ac = c - a, bc = c - b;
  const auto f = [](const Tensor& t) { return t.to(torch::kFloat32).contiguous(); };
  return {f(a.t()), f(ab.t()), f(ac.t()), f(torch::cross(ab, ac, 1).t()), f(row_dot(ab, ab)), f(row_dot(ab, ac)),
          f(row_dot(ac, ac)),   f(row_dot(ab, bc)), f(row_dot(bc, bc))};
}

// Triangles whose float32 distances are nearly tied (around a vertex, along an edge) are all
// recomputed in double; this many is more than meet at a vertex of a typical mesh.
constexpr int64_t kCandidates = 8;

// For points p [n, 3] float32: the indices of the `candidates` nearest triangles [n, candidates]
// and the winding number [n]. Everything is expressed through ap = p - a, whose components are
// exact differences, so nothing cancels at the scale of the coordinates.
std::pair<Tensor, Tensor> nearest_and_winding(const Tensor& p, const Triangles& t, int64_t candidates) {
  const Tensor apx = p.select(1, 0).unsqueeze(1) - t.a[0], apy = p.select(1, 1).unsqueeze(1) - t.a[1];
  const Tensor apz = p.select(1, 2).unsqueeze(1) - t.a[2];
  const auto along = [&](const Tensor& d) { return apx * d[0] + apy * d[1] + apz * d[2]; };  // ap.d
  const Tensor ap2 = apx.square() + apy.square() + apz.square();
  const Tensor d20 = along(t.ab), d21 = along(t.ac), apn = along(t.normal);
  const Tensor bp2 = (ap2 - 2 * d20 + t.d00).clamp_min(0), cp2 = (ap2 - 2 * d21 + t.d11).clamp_min(0);

  // Squared distance: to the plane when the projection is inside, else to the nearest edge.
  const Tensor denom = t.d00 * t.d11 - t.d01 * t.d01;  // |normal|^2
  const Tensor v = t.d11 * d20 - t.d01 * d21, w = t.d00 * d21 - t.d01 * d20;  // barycentrics times denom
  const Tensor inside = (denom > 0).logical_and(v >= 0).logical_and(w >= 0).logical_and(v + w <= denom);
  const auto edge = [](const Tensor& start2, const Tensor& along_edge, const Tensor& length2) {
    const Tensor s = (along_edge / length2.clamp_min(1e-30)).clamp(0, 1);
    return start2 - 2 * s * along_edge + s * s * length2;
  };
  Tensor distance2 = torch::minimum(edge(ap2, d20, t.d00), edge(ap2, d21, t.d11));
  distance2 = torch::minimum(distance2, edge(bp2, d21 - d20 - t.ab_bc, t.dbc));  // bp.bc = ap.(ac - ab) - ab.bc
  distance2 = torch::where(inside, apn.square() / denom.clamp_min(1e-30), distance2);

  // Solid angle of each triangle seen from p (Van Oosterom and Strackee) with the corners relative
  // to p: a = -ap, b = ab - ap, c = ac - ap, so det[a b c] = -ap.normal.
  const Tensor la = ap2.sqrt(), lb = bp2.sqrt(), lc = cp2.sqrt();
  const Tensor ab = ap2 - d20, bc = t.d01 - d20 - d21 + ap2, ca = ap2 - d21;
  const Tensor denominator = la * lb * lc + ab * lc + bc * la + ca * lb;
  const Tensor winding = torch::atan2(-apn, denominator).sum(1) / (2 * kPi);
  return {std::get<1>(distance2.topk(candidates, 1, /*largest=*/false)), winding};
}

}  // namespace

torch::Tensor sample_surface(const Mesh& mesh, int64_t count, uint64_t seed) {
  require_triangles(mesh, "sample_surface");
  if (count < 0) throw std::invalid_argument("sample_surface: negative count");
  const Tensor positions = rows(mesh.positions).to(torch::kFloat64), faces = triangle_indices(mesh);
  const Tensor a = positions.index_select(0, faces.select(1, 0)), b = positions.index_select(0, faces.select(1, 1));
  const Tensor c = positions.index_select(0, faces.select(1, 2));
  const Tensor cumulative = torch::cross(b - a, c - a, 1).norm(2, 1).cumsum(0);
  const double total = cumulative[-1].item<double>();
  if (!(total > 0)) throw std::invalid_argument("sample_surface: the mesh has no area");

  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const Tensor u = torch::rand({count, 3}, generator, torch::kFloat64);
  const Tensor triangle =
      torch::searchsorted(cumulative, u.select(1, 0) * total, /*out_int32=*/false, /*right=*/true).clamp_max(faces.size(0) - 1);
  const Tensor r = u.select(1, 1).sqrt(), s = u.select(1, 2);
  const Tensor weights = torch::stack({1 - r, r * (1 - s), r * s}, 1);  // uniform in the triangle
  const Tensor corners = faces.index_select(0, triangle);                // [count, 3] vertex indices
  const auto interpolate = [&](const Tensor& attribute) {                // [V, 3] -> [count, 3]
    return (attribute.index_select(0, corners.reshape(-1)).view({count, 3, 3}) * weights.unsqueeze(2)).sum(1);
  };
  return torch::cat({interpolate(positions), interpolate(vertex_colours(mesh).to(torch::kFloat64))}, 1)
      .to(torch::kFloat32);
}

torch::Tensor mesh_signed_distance(const Mesh& mesh, const torch::Tensor& points, torch::Tensor* closest_colour) {
  require_triangles(mesh, "mesh_signed_distance");
  if (points.dim() != 2 || points.size(1) != 3) throw std::invalid_argument("mesh_signed_distance: points must be [N, 3]");
  const Tensor query = points.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const Tensor positions = rows(mesh.positions).to(torch::kFloat64), faces = triangle_indices(mesh);
  const Tensor a = positions.index_select(0, faces.select(1, 0)), b = positions.index_select(0, faces.select(1, 1));
  const Tensor c = positions.index_select(0, faces.select(1, 2));
  const Triangles triangles = prepare(a, b, c);

  // About 20 live [chunk, F] float32 temporaries of about 256 KB each: they stay in cache, which
  // makes the elementwise passes several times faster than larger chunks.
  const int64_t triangle_count = faces.size(0), point_count = query.size(0);
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 16) / triangle_count);
  const int64_t candidates = std::min<int64_t>(kCandidates, triangle_count);
  Tensor nearby = torch::empty({point_count, candidates}, torch::kInt64);
  Tensor winding = torch::empty({point_count}, torch::kFloat64);
  const Tensor query32 = query.to(torch::kFloat32);
  for (int64_t start = 0; start < point_count; start += chunk) {
    const int64_t end = std::min(point_count, start + chunk);
    auto [index, number] = nearest_and_winding(query32.slice(0, start, end), triangles, candidates);
    nearby.slice(0, start, end).copy_(index);
    winding.slice(0, start, end).copy_(number);
  }

  // The candidates again in double precision; the nearest of them is the closest triangle.
  const Tensor flat = nearby.reshape(-1);
  const Tensor repeated = query.repeat_interleave(candidates, 0);
  const Tensor ca = a.index_select(0, flat), cb = b.index_select(0, flat), cc = c.index_select(0, flat);
  const Tensor weights = closest_barycentric(repeated, ca, cb, cc);  // [N * candidates, 3]
  const Tensor nearest = (weights.unsqueeze(2) * torch::stack({ca, cb, cc}, 1)).sum(1);
  const auto [distance, best] = (repeated - nearest).norm(2, 1).view({point_count, candidates}).min(1);
  if (closest_colour) {
    const Tensor pick = torch::arange(point_count) * candidates + best;
    const Tensor corner_colours = vertex_colours(mesh).to(torch::kFloat64)
                                      .index_select(0, faces.index_select(0, flat.index_select(0, pick)).reshape(-1))
                                      .view({-1, 3, 3});
    *closest_colour = (weights.index_select(0, pick).unsqueeze(2) * corner_colours).sum(1).to(torch::kFloat32);
  }
  return torch::where(winding > 0.5, distance, -distance).to(torch::kFloat32);
}

}  // namespace shape::training
