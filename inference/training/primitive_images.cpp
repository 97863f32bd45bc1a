#include "inference/training/primitive_images.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <torch/torch.h>

#include "inference/decoder/cameras.h"

namespace shape::training {
namespace {

using torch::Tensor;
constexpr double kPi = 3.14159265358979323846;
constexpr double kBoundingRadius = 1.8;  // the primitives fit in [-1, 1]^3
constexpr int kTraceSteps = 64;
constexpr double kHitTolerance = 2e-3;

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

std::array<float, 3> random_colour(std::mt19937_64& rng) {
  return {static_cast<float>(uniform(rng, 0, 1)), static_cast<float>(uniform(rng, 0, 1)),
          static_cast<float>(uniform(rng, 0, 1))};
}

Tensor vec(const std::array<float, 3>& v) { return torch::tensor({v[0], v[1], v[2]}, torch::kFloat32); }

Tensor srgb_to_linear(const Tensor& c) {
  return torch::where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055).pow(2.4));
}
Tensor linear_to_srgb(const Tensor& c) {
  const auto clamped = c.clamp(0.0, 1.0);
  return torch::where(clamped <= 0.0031308, clamped * 12.92, 1.055 * clamped.pow(1.0 / 2.4) - 0.055);
}

// Distance to the surface from outside (the SDF is positive inside).
Tensor outside_distance(const PrimitiveSpec& spec, const Tensor& points) {
  return -primitive_signed_distance(spec, points).to(torch::kFloat32);
}

// Sphere tracing from `origin` along `direction` ([R, 3]) starting at `t` ([R]): the distance
// reached, and whether it is on the surface.
std::pair<Tensor, Tensor> trace(const PrimitiveSpec& spec, const Tensor& origin, const Tensor& direction, Tensor t,
                                const Tensor& t_far) {
  for (int i = 0; i < kTraceSteps; ++i) {
    const auto d = outside_distance(spec, origin + t.unsqueeze(1) * direction);
    t = torch::minimum(t + d, t_far);
  }
  const auto d = outside_distance(spec, origin + t.unsqueeze(1) * direction);
  return {t, (d.abs() < kHitTolerance) & (t < t_far)};
}

// Outward unit normals by central differences of the SDF.
Tensor surface_normals(const PrimitiveSpec& spec, const Tensor& points) {
  constexpr float kStep = 1e-3f;
  std::vector<Tensor> gradient;
  for (int axis = 0; axis < 3; ++axis) {
    auto offset = torch::zeros({1, 3});
    offset[0][axis] = kStep;
    gradient.push_back(outside_distance(spec, points + offset) - outside_distance(spec, points - offset));
  }
  const auto n = torch::stack(gradient, 1);
  return n / n.norm(2, 1, true).clamp_min(1e-12);
}

// How much of the light reaches `points` ([R, 3]) past the primitive: 1 lit, 0 shadowed, soft in
// between (the penumbra of a light of some size).
Tensor soft_shadow(const PrimitiveSpec& spec, const Tensor& points, const Tensor& to_light) {
  constexpr double kSharpness = 8.0;
  auto t = torch::full({points.size(0)}, 0.02f);
  auto light = torch::ones({points.size(0)});
  for (int i = 0; i < 32; ++i) {
    const auto d = outside_distance(spec, points + t.unsqueeze(1) * to_light);
    light = torch::minimum(light, (kSharpness * d / t).clamp(0.0, 1.0));
    t = t + d.clamp(0.01, 0.2);
  }
  return light;
}

}  // namespace

std::string style_name(PrimitiveImageStyle style) {
  return style == PrimitiveImageStyle::kTraining ? "training" : "photo-like";
}

PrimitiveView random_primitive_view(PrimitiveImageStyle style, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool photo = style == PrimitiveImageStyle::kPhotoLike;
  PrimitiveView view;
  const double azimuth = uniform(rng, 0, 2 * kPi);
  const double elevation = uniform(rng, photo ? 0.15 : -0.1, photo ? 0.7 : 1.0);
  // The object, about 2 units across, fills 55-90% of the shorter side.
  const double distance = photo ? uniform(rng, 2.2, 3.0) : uniform(rng, 3.5, 6.0);
  const double frame_radius = uniform(rng, 1.1, 1.8);
  view.short_side_fov = static_cast<float>(2 * std::atan(frame_radius / distance));
  view.target = {static_cast<float>(uniform(rng, -0.1, 0.1)), static_cast<float>(uniform(rng, -0.1, 0.1)),
                 static_cast<float>(uniform(rng, -0.1, 0.1))};
  view.eye = {static_cast<float>(distance * std::cos(elevation) * std::cos(azimuth)),
              static_cast<float>(distance * std::cos(elevation) * std::sin(azimuth)),
              static_cast<float>(distance * std::sin(elevation))};
  const int min_size = photo ? 96 : 48, max_size = photo ? 200 : 128;
  view.width = std::uniform_int_distribution<int>(min_size, max_size)(rng);
  view.height = std::uniform_int_distribution<int>(min_size, max_size)(rng);
  // The light comes from above, on the camera's side of the object more often than not.
  const double light_azimuth = azimuth + uniform(rng, -1.6, 1.6);
  const double light_elevation = uniform(rng, 0.3, 1.3);
  view.light_direction = {static_cast<float>(std::cos(light_elevation) * std::cos(light_azimuth)),
                          static_cast<float>(std::cos(light_elevation) * std::sin(light_azimuth)),
                          static_cast<float>(std::sin(light_elevation))};
  view.ambient = static_cast<float>(uniform(rng, photo ? 0.15 : 0.2, photo ? 0.35 : 0.5));
  if (photo) {
    const double warmth = uniform(rng, -0.1, 0.1);
    view.light_colour = {static_cast<float>(1 + warmth), 1.0f, static_cast<float>(1 - warmth)};
  }
  view.background_top = random_colour(rng);
  view.background_bottom = uniform(rng, 0, 1) < 0.5 ? view.background_top : random_colour(rng);
  view.photo_effects = photo;
  view.floor_colour = random_colour(rng);
  return view;
}

ImageU8 render_primitive_image(const PrimitiveSpec& spec, const PrimitiveView& view) {
  if (view.width <= 0 || view.height <= 0) {
    throw std::invalid_argument("render_primitive_image: the image size must be positive, got " +
                                std::to_string(view.width) + "x" + std::to_string(view.height));
  }
  torch::NoGradGuard no_grad;
  // look_at_camera takes the vertical field of view; the shorter side gets `short_side_fov`, so a
  // centre crop keeps the whole object.
  const double aspect = static_cast<double>(view.width) / view.height;
  const double half_tan = std::tan(view.short_side_fov / 2.0);
  const auto y_fov = static_cast<float>(2 * std::atan(aspect >= 1 ? half_tan : half_tan / aspect));
  const Camera camera = look_at_camera(view.eye, view.target, {0.0f, 0.0f, 1.0f}, y_fov, view.width, view.height);
  const auto rays = camera_rays({camera})[0];  // [H * W, 2, 3]
  const auto origin = rays.select(1, 0), direction = rays.select(1, 1);
  const int64_t pixels = origin.size(0);

  // Background: a vertical gradient in sRGB.
  const auto row = torch::arange(view.height, torch::kFloat32).div(std::max(1, view.height - 1));
  const auto fraction = row.repeat_interleave(view.width).unsqueeze(1);
  auto colour = srgb_to_linear(vec(view.background_top) * (1 - fraction) + vec(view.background_bottom) * fraction);

  const auto to_light = vec(view.light_direction).unsqueeze(0);
  const auto light_colour = vec(view.light_colour).unsqueeze(0);
  const float floor_z = -spec.half_extents[2];

  // The floor (photo-like): lit, shadowed by the object, fading into the background far away.
  if (view.photo_effects) {
    const auto dz = direction.select(1, 2);
    const auto t_floor = (floor_z - origin.select(1, 2)) / dz;
    const auto on_floor = ((dz < -1e-4) & (t_floor > 0)).nonzero().squeeze(1);
    if (on_floor.numel() > 0) {
      const auto points = origin.index_select(0, on_floor) +
                          t_floor.index_select(0, on_floor).unsqueeze(1) * direction.index_select(0, on_floor);
      const auto lit = soft_shadow(spec, points, to_light.expand({points.size(0), 3}).contiguous());
      const double diffuse = std::max(0.0f, view.light_direction[2]);
      const auto shade = (view.ambient + (1 - view.ambient) * diffuse * lit).unsqueeze(1) * light_colour;
      const auto floor = srgb_to_linear(vec(view.floor_colour)).unsqueeze(0) * shade;
      const auto reach = points.slice(1, 0, 2).norm(2, 1, true);
      const auto fade = ((reach - 2.0) / 2.0).clamp(0.0, 1.0);
      colour.index_copy_(0, on_floor, floor * (1 - fade) + colour.index_select(0, on_floor) * fade);
    }
  }

  // Rays that pass near the object, traced from where they enter its bounding sphere.
  const auto b = (origin * direction).sum(1);
  const auto c = origin.square().sum(1) - kBoundingRadius * kBoundingRadius;
  const auto disc = b.square() - c;
  const auto near = (disc > 0).nonzero().squeeze(1);
  if (near.numel() > 0) {
    const auto o = origin.index_select(0, near), d = direction.index_select(0, near);
    const auto root = disc.index_select(0, near).sqrt();
    const auto bn = b.index_select(0, near);
    auto [t, hit] = trace(spec, o, d, (-bn - root).clamp_min(0.0), -bn + root);
    const auto hits = hit.nonzero().squeeze(1);
    if (hits.numel() > 0) {
      const auto points = o.index_select(0, hits) + t.index_select(0, hits).unsqueeze(1) * d.index_select(0, hits);
      const auto normals = surface_normals(spec, points);
      const auto& rgb = primitive_colours()[static_cast<size_t>(spec.colour)].rgb;
      const auto albedo = torch::tensor({rgb[0], rgb[1], rgb[2]}).unsqueeze(0);
      const auto lambert = (normals * to_light).sum(1).clamp_min(0.0);
      auto lit = torch::ones_like(lambert);
      auto specular = torch::zeros_like(lambert);
      if (view.photo_effects) {
        lit = soft_shadow(spec, points + 2e-3 * normals, to_light.expand({points.size(0), 3}).contiguous());
        const auto halfway = to_light - d.index_select(0, hits);
        const auto h = halfway / halfway.norm(2, 1, true).clamp_min(1e-12);
        specular = 0.35 * (normals * h).sum(1).clamp_min(0.0).pow(40.0) * lit;
      }
      const auto shade = (view.ambient + (1 - view.ambient) * lambert * lit).unsqueeze(1);
      const auto surface = (albedo * shade + specular.unsqueeze(1)) * light_colour;
      colour.index_copy_(0, near.index_select(0, hits), surface);
    }
  }

  const auto bytes = (linear_to_srgb(colour) * 255.0 + 0.5).floor().clamp(0, 255).to(torch::kUInt8).contiguous();
  ImageU8 image;
  image.width = view.width;
  image.height = view.height;
  image.channels = 3;
  image.pixels.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + pixels * 3);
  return image;
}

}  // namespace shape::training
