#include "inference/decoder/nerf_renderer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace shape {
namespace {

constexpr double kSafeDivideEpsilon = 1e-6;

int64_t params_batch_size(const MetaParameters& params) {
  TORCH_CHECK(!params.empty(), "rendering needs the meta parameters of at least one latent");
  const int64_t batch = params.begin()->second.size(0);
  for (const auto& [name, tensor] : params) {
    TORCH_CHECK(tensor.size(0) == batch, "meta parameter ", name, " has batch ", tensor.size(0), ", expected ", batch);
  }
  return batch;
}

// Splits [t0, t1] at the midpoints between samples: the interval each sample stands for.
// ts [..., samples, 1], t0 / t1 [..., 1] -> lower, upper [..., samples, 1].
std::pair<torch::Tensor, torch::Tensor> sample_intervals(const torch::Tensor& ts, const torch::Tensor& t0,
                                                         const torch::Tensor& t1) {
  const int64_t n = ts.size(-2);
  const auto mids = (ts.narrow(-2, 1, n - 1) + ts.narrow(-2, 0, n - 1)) * 0.5;
  return {torch::cat({t0.unsqueeze(-2), mids}, -2), torch::cat({mids, t1.unsqueeze(-2)}, -2)};
}

// Alpha compositing weights of the samples and the transmittance through all of them.
struct Integration {
  torch::Tensor weights;        // [..., samples, 1]
  torch::Tensor transmittance;  // [..., 1]
};

Integration integrate_density(const torch::Tensor& ts, const torch::Tensor& density, const torch::Tensor& t0,
                              const torch::Tensor& t1) {
  const auto [lower, upper] = sample_intervals(ts, t0, t1);
  const auto optical_depth = density * (upper - lower);
  const auto mass = torch::cumsum(optical_depth, -2);
  const int64_t n = ts.size(-2);
  Integration result;
  result.transmittance = torch::exp(-mass.select(-2, n - 1));
  const auto alphas = 1.0 - torch::exp(-optical_depth);
  const auto before = torch::exp(torch::cat({torch::zeros_like(mass.narrow(-2, 0, 1)), -mass.narrow(-2, 0, n - 1)}, -2));
  result.weights = alphas * before;
  return result;
}

// StratifiedRaySampler (linear depth): one uniform sample in each of n equal strata of [t0, t1].
torch::Tensor stratified_samples(const torch::Tensor& t0, const torch::Tensor& t1, int64_t n,
                                 const torch::Tensor& offsets) {
  const auto fractions = torch::linspace(0, 1, n, t0.options());
  const auto ts = t0 * (1.0 - fractions) + t1 * fractions;  // [batch, rays, n]
  const auto mids = 0.5 * (ts.narrow(-1, 1, n - 1) + ts.narrow(-1, 0, n - 1));
  const auto upper = torch::cat({mids, t1}, -1);
  const auto lower = torch::cat({t0, mids}, -1);
  return (lower + (upper - lower) * offsets).unsqueeze(-1);
}

// ImportanceRaySampler: fine samples drawn from the coarse weights (+ alpha) as a piecewise
// constant density over the coarse samples' intervals, then sorted.
torch::Tensor importance_samples(const torch::Tensor& coarse_ts, const torch::Tensor& coarse_weights,
                                 const torch::Tensor& t0, const torch::Tensor& t1,
                                 const NerfRendererSettings& settings, const torch::Tensor& bin_draws,
                                 const torch::Tensor& offset_draws) {
  const auto [lower, upper] = sample_intervals(coarse_ts, t0, t1);
  auto weights = coarse_weights;
  const int64_t n_coarse = coarse_ts.size(-2);
  if (settings.importance_blur_pool) {
    // mip-NeRF's 2-tap max then 2-tap blur.
    const auto padded = torch::cat({weights.narrow(-2, 0, 1), weights, weights.narrow(-2, n_coarse - 1, 1)}, -2);
    const auto maxes = torch::maximum(padded.narrow(-2, 0, n_coarse + 1), padded.narrow(-2, 1, n_coarse + 1));
    weights = 0.5 * (maxes.narrow(-2, 0, n_coarse) + maxes.narrow(-2, 1, n_coarse));
  }
  weights = weights + settings.importance_alpha;
  const auto pmf = weights / weights.sum(-2, true);
  const auto cdf = torch::cumsum(pmf.reshape({-1, n_coarse}), 1);
  auto bins = torch::searchsorted(cdf, bin_draws.contiguous());
  bins = bins.view(offset_draws.sizes()).clamp(0, n_coarse - 1);
  const auto lower_picked = torch::gather(lower, -2, bins);
  const auto upper_picked = torch::gather(upper, -2, bins);
  const auto ts = lower_picked + (upper_picked - lower_picked) * offset_draws;
  return std::get<0>(torch::sort(ts, -2));
}

// The MLP at positions [batch, rays, samples, 3], skipping rays that miss the box if asked.
NerstfFields query_samples(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& positions,
                           const torch::Tensor& directions, const torch::Tensor& intersected, NerfLevel level,
                           const NerfRenderOptions& options) {
  const int64_t batch = positions.size(0), rays = positions.size(1), samples = positions.size(2);
  auto flat = [&](const torch::Tensor& t, int64_t b, int64_t n) { return t.reshape({b, n * samples, 3}); };
  const bool all_hit = intersected.all().item<bool>();
  if (!options.skip_missed_rays || all_hit) {
    auto fields = mlp.query(flat(positions, batch, rays), directions.defined() ? flat(directions, batch, rays) : directions,
                            params, level, FieldMode::kNerf, options.points_per_chunk);
    return {fields.density.view({batch, rays, samples, 1}), fields.signed_distance.view({batch, rays, samples, 1}),
            fields.channels.view({batch, rays, samples, 3})};
  }
  std::vector<torch::Tensor> density, signed_distance, channels;
  for (int64_t b = 0; b < batch; ++b) {
    const auto hit = intersected[b].view({rays}).nonzero().view({-1});
    const int64_t n_hit = hit.size(0);
    const auto pick = [&](const torch::Tensor& t) { return flat(t[b].index_select(0, hit), 1, n_hit); };
    auto fields = mlp.query(pick(positions), directions.defined() ? pick(directions) : directions,
                            batch == 1 ? params : select_latent(params, b), level, FieldMode::kNerf,
                            options.points_per_chunk);
    // Missed rays get zeros; their results are replaced by the background later.
    auto scatter = [&](const torch::Tensor& values, int64_t width) {
      return torch::zeros({rays, samples, width}, values.options())
          .index_copy(0, hit, values.view({n_hit, samples, width}));
    };
    density.push_back(scatter(fields.density, 1));
    signed_distance.push_back(scatter(fields.signed_distance, 1));
    channels.push_back(scatter(fields.channels, 3));
  }
  return {torch::stack(density), torch::stack(signed_distance), torch::stack(channels)};
}

// The fast path's queries of samples at ts [batch, rays, n, 1] (sorted along each ray), a segment of
// depth at a time: a sample is queried when `pending`, its ray hits the box, its cell is occupied
// and more than the termination transmittance of the light reaches its segment. The others keep
// their values in `fields` ([batch, rays, n, k]).
NerstfFields march_samples(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& origin,
                           const torch::Tensor& direction, const torch::Tensor& ts, const RayBoxRange& range,
                           NerstfFields fields, const torch::Tensor& pending, NerfLevel level,
                           const NerfRenderOptions& options, int64_t& queried) {
  constexpr int64_t kSegment = 16;
  const int64_t batch = ts.size(0), samples = ts.size(2);
  const auto [lower, upper] = sample_intervals(ts, range.t0, range.t1);
  const auto lengths = (upper - lower).squeeze(-1);
  const auto directions = direction.unsqueeze(-2).expand({-1, -1, samples, 3});
  const auto positions = origin.unsqueeze(-2) + ts * directions;
  auto candidates = pending & range.intersected;
  if (options.occupancy) {
    std::vector<torch::Tensor> occupied;
    for (int64_t b = 0; b < batch; ++b) occupied.push_back(options.occupancy->occupied(positions[b], b));
    candidates = candidates & torch::stack(occupied);
  }
  auto optical_depth = torch::zeros({batch, ts.size(1), 1}, ts.options());
  for (int64_t start = 0; start < samples; start += kSegment) {
    const int64_t length = std::min(kSegment, samples - start);
    auto query = candidates.narrow(2, start, length);
    if (options.termination_transmittance > 0.0) {
      query = query & (torch::exp(-optical_depth) > options.termination_transmittance);
    }
    for (int64_t b = 0; b < batch; ++b) {
      const auto where = query[b].nonzero();
      queried += where.size(0);
      if (where.size(0) == 0) continue;
      const auto ray = where.select(1, 0), sample = where.select(1, 1) + start;
      const auto pick = [&](const torch::Tensor& t) { return t[b].index({ray, sample}).unsqueeze(0); };
      const auto values = mlp.query(pick(positions), options.render_with_direction ? pick(directions) : torch::Tensor(),
                                    batch == 1 ? params : select_latent(params, b), level, FieldMode::kNerf,
                                    options.points_per_chunk);
      fields.density[b].index_put_({ray, sample}, values.density[0]);
      fields.signed_distance[b].index_put_({ray, sample}, values.signed_distance[0]);
      fields.channels[b].index_put_({ray, sample}, values.channels[0]);
    }
    optical_depth = optical_depth +
                    (fields.density.narrow(2, start, length).squeeze(-1) * lengths.narrow(2, start, length)).sum(2, true);
  }
  return fields;
}

torch::Tensor merge_sorted(const torch::Tensor& fine, const torch::Tensor& coarse, const torch::Tensor& order) {
  const auto merged = torch::cat({fine, coarse}, -2);
  return torch::gather(merged, -2, order.expand(merged.sizes()));
}

NerstfFields merge_sorted(const NerstfFields& fine, const NerstfFields& coarse, const torch::Tensor& order) {
  return {merge_sorted(fine.density, coarse.density, order),
          merge_sorted(fine.signed_distance, coarse.signed_distance, order),
          merge_sorted(fine.channels, coarse.channels, order)};
}

// One batch of rays [batch, rays, 2, 3] through the coarse and fine passes.
NerfRenderResult render_ray_batch(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& background,
                                  const torch::Tensor& rays, const NerfRendererSettings& settings,
                                  const NerfRenderOptions& options, RaySampleRandomness& randomness) {
  const int64_t batch = rays.size(0), count = rays.size(1);
  const auto origin = rays.select(2, 0), direction = rays.select(2, 1);
  const auto range = intersect_bounding_box(origin, direction, settings.volume);
  const auto draw = [&](torch::Tensor values) { return values.to(origin.options()); };

  int64_t queried = 0;
  auto sample_fields = [&](const torch::Tensor& ts, NerfLevel level) {
    queried += ts.size(-2) * (options.skip_missed_rays ? range.intersected.sum().item<int64_t>() : batch * count);
    const auto directions = direction.unsqueeze(-2).expand({batch, count, ts.size(-2), 3});
    const auto positions = origin.unsqueeze(-2) + ts * directions;
    return query_samples(mlp, params, positions, options.render_with_direction ? directions : torch::Tensor(),
                         range.intersected, level, options);
  };
  const bool fast = options.occupancy != nullptr || options.termination_transmittance > 0.0;
  // Zero fields for samples at ts, as the fast path leaves the ones it skips.
  auto empty_fields = [&](const torch::Tensor& ts) {
    const auto zeros = torch::zeros_like(ts);
    return NerstfFields{zeros, zeros.clone(), torch::zeros({batch, count, ts.size(-2), 3}, ts.options())};
  };

  // Coarse pass: only its weights are used, to place the fine samples.
  const auto coarse_ts = stratified_samples(
      range.t0, range.t1, settings.n_coarse_samples,
      draw(randomness.stratified_offsets({batch, count, settings.n_coarse_samples})));
  const auto coarse = fast ? march_samples(mlp, params, origin, direction, coarse_ts, range, empty_fields(coarse_ts),
                                           torch::ones_like(coarse_ts.squeeze(-1), torch::kBool), NerfLevel::kCoarse, options,
                                           queried)
                           : sample_fields(coarse_ts, NerfLevel::kCoarse);
  const auto coarse_weights = integrate_density(coarse_ts, coarse.density, range.t0, range.t1).weights.detach();

  const auto bin_draws = draw(randomness.importance_bins({batch * count, settings.n_fine_samples}));
  const auto offset_draws = draw(randomness.importance_offsets({batch, count, settings.n_fine_samples, 1}));
  const auto fine_ts = importance_samples(coarse_ts.detach(), coarse_weights, range.t0, range.t1, settings, bin_draws,
                                          offset_draws);

  // Fine pass over all samples: the coarse ones keep their coarse-level outputs, as in shap-e.
  const auto sorted = torch::sort(torch::cat({fine_ts, coarse_ts}, -2), -2);
  const auto ts = std::get<0>(sorted);
  const auto order = std::get<1>(sorted);
  NerstfFields merged;
  if (fast) {
    // The fast path marches the merged samples in depth order, so the coarse ones count towards
    // the light that reaches the fine ones.
    const auto is_fine = torch::cat({torch::ones_like(fine_ts), torch::zeros_like(coarse_ts)}, -2);
    const auto pending = torch::gather(is_fine, -2, order).squeeze(-1) > 0;
    merged = march_samples(mlp, params, origin, direction, ts, range, merge_sorted(empty_fields(fine_ts), coarse, order),
                           pending, NerfLevel::kFine, options, queried);
  } else {
    merged = merge_sorted(sample_fields(fine_ts, NerfLevel::kFine), coarse, order);
  }
  const auto& density = merged.density;
  const auto& channels = merged.channels;
  const auto integration = integrate_density(ts, density, range.t0, range.t1);

  const auto hit = range.intersected;
  NerfRenderResult result;
  result.transmittance = torch::where(hit, integration.transmittance, torch::ones_like(integration.transmittance));
  auto rendered = torch::where(hit, (channels * integration.weights).sum(-2), torch::zeros({}, channels.options()));
  result.distances = torch::where(hit, (ts * integration.weights).sum(-2), torch::zeros({}, ts.options()));
  rendered = rendered + result.transmittance * background.to(rendered.options()).view({1, 1, -1});
  const auto scale = torch::tensor({settings.channel_scale[0], settings.channel_scale[1], settings.channel_scale[2]},
                                   torch::kFloat32)
                         .to(rendered.options());
  result.channels = rendered * scale.view({1, 1, 3});
  result.t0 = range.t0;
  result.t1 = range.t1;
  result.intersected = hit;
  result.samples_queried = queried;
  if (options.keep_raw) {
    result.raw_density = density.squeeze(-1);
    result.raw_signed_distance = merged.signed_distance.squeeze(-1);
  }
  return result;
}

std::vector<torch::Tensor NerfRenderResult::*> result_fields() {
  return {&NerfRenderResult::channels, &NerfRenderResult::transmittance, &NerfRenderResult::distances,
          &NerfRenderResult::depth,    &NerfRenderResult::t0,            &NerfRenderResult::t1,
          &NerfRenderResult::intersected, &NerfRenderResult::raw_density, &NerfRenderResult::raw_signed_distance};
}

}  // namespace

SeededRaySampleRandomness::SeededRaySampleRandomness(uint64_t seed)
    : generator_(at::detail::createCPUGenerator(seed)) {}

torch::Tensor SeededRaySampleRandomness::draw(c10::IntArrayRef shape) {
  return torch::rand(shape, generator_, torch::kFloat32);
}

NerfRendererSettings NerfRendererSettings::from_config(const DecoderConfig& config) {
  NerfRendererSettings settings;
  settings.volume = config.volume;
  settings.n_coarse_samples = config.n_coarse_samples;
  settings.n_fine_samples = config.n_fine_samples;
  settings.importance_blur_pool = config.importance_blur_pool;
  settings.importance_alpha = config.importance_alpha;
  settings.channel_scale = config.channel_scale;
  return settings;
}

RayBoxRange intersect_bounding_box(const torch::Tensor& origin, const torch::Tensor& direction,
                                   const BoundingBoxConfig& volume) {
  const auto corners = torch::tensor({volume.bbox_min[0], volume.bbox_min[1], volume.bbox_min[2], volume.bbox_max[0],
                                      volume.bbox_max[1], volume.bbox_max[2]},
                                     torch::kFloat32)
                           .to(origin.options())
                           .view({2, 3});
  // Per axis, the ray distances to both slabs (shap-e's safe_divide keeps them finite).
  const auto d = direction.unsqueeze(-2);
  const auto ts = (corners - origin.unsqueeze(-2)) /
                  torch::where(d < 0, d - kSafeDivideEpsilon, d + kSafeDivideEpsilon);  // [..., 2, 3]
  auto t0 = std::get<0>(std::get<0>(ts.min(-2)).max(-1, true)).clamp_min(volume.min_dist);
  auto t1 = std::get<0>(std::get<0>(ts.max(-2)).min(-1, true));
  RayBoxRange range;
  range.intersected = t0 + volume.min_t_range < t1;
  range.t0 = torch::where(range.intersected, t0, torch::zeros_like(t0));
  range.t1 = torch::where(range.intersected, t1, torch::ones_like(t1));
  return range;
}

NerfRenderResult render_rays(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& background,
                             const torch::Tensor& rays, const NerfRendererSettings& settings,
                             const NerfRenderOptions& options, RaySampleRandomness& randomness) {
  const int64_t batch = params_batch_size(params);
  TORCH_CHECK((rays.dim() == 3 || rays.dim() == 4) && rays.size(-2) == 2 && rays.size(-1) == 3,
              "rays must be [batch, rays, 2, 3] or [rays, 2, 3], got ", rays.sizes());
  const auto all_rays = rays.dim() == 3 ? rays.unsqueeze(0).expand({batch, -1, 2, 3}) : rays;
  TORCH_CHECK(all_rays.size(0) == batch, "rays have batch ", all_rays.size(0), " but the params ", batch);
  TORCH_CHECK(options.ray_batch_size > 0, "ray_batch_size must be positive");
  TORCH_CHECK(options.n_coarse_samples >= 0 && options.n_fine_samples >= 0, "sample counts must not be negative");
  NerfRendererSettings sampling = settings;
  // At least 2 coarse samples: the stratified sampler splits the range at their midpoints.
  if (options.n_coarse_samples > 0) {
    sampling.n_coarse_samples = std::min(sampling.n_coarse_samples, std::max<int64_t>(2, options.n_coarse_samples));
  }
  if (options.n_fine_samples > 0) sampling.n_fine_samples = std::min(sampling.n_fine_samples, options.n_fine_samples);
  const int64_t total = all_rays.size(1);

  std::vector<NerfRenderResult> parts;
  for (int64_t start = 0; start < total; start += options.ray_batch_size) {
    if (options.cancel && options.cancel->load()) throw RenderCancelled();
    const int64_t count = std::min(options.ray_batch_size, total - start);
    parts.push_back(render_ray_batch(mlp, params, background, all_rays.narrow(1, start, count), sampling, options,
                                     randomness));
  }
  NerfRenderResult result;
  for (auto field : result_fields()) {
    if (!(parts.front().*field).defined()) continue;
    std::vector<torch::Tensor> pieces;
    for (const auto& part : parts) pieces.push_back(part.*field);
    result.*field = torch::cat(pieces, 1);
  }
  for (const auto& part : parts) result.samples_queried += part.samples_queried;
  return result;
}

NerfRenderResult render_views(NerstfMlpImpl& mlp, const MetaParameters& params, const torch::Tensor& background,
                              const std::vector<Camera>& cameras, const NerfRendererSettings& settings,
                              const NerfRenderOptions& options, RaySampleRandomness& randomness) {
  params_batch_size(params);  // checks the params before their options are used
  const auto value_options = field_options(params);
  const auto rays = camera_rays(cameras, value_options);  // [views, pixels, 2, 3]
  const int64_t views = rays.size(0), pixels = rays.size(1);
  auto result = render_rays(mlp, params, background, rays.reshape({views * pixels, 2, 3}), settings, options, randomness);

  // Depth: distance along the camera axis rather than along the ray.
  const auto axis = camera_view_directions(cameras, value_options).unsqueeze(1).expand({views, pixels, 3});
  const auto cosines = (rays.select(2, 1) * axis).sum(-1, true).reshape({1, views * pixels, 1});
  result.depth = result.distances * cosines;

  const int64_t batch = result.channels.size(0);
  const auto& camera = cameras.front();
  for (auto field : result_fields()) {
    auto& tensor = result.*field;
    if (tensor.defined()) tensor = tensor.reshape({batch, views, camera.height, camera.width, -1});
  }
  return result;
}

torch::Tensor to_uint8_image(const torch::Tensor& channels) { return channels.clamp(0, 255).to(torch::kUInt8); }

}  // namespace shape
