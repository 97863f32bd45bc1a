#include "inference/decoder/grid_refinement.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <tuple>
#include <vector>

#include <torch/torch.h>

namespace shape {
namespace {

// Point states. A point filled from a block of stride 2^k holds kFilledFromStride + k.
constexpr uint8_t kNotEvaluated = 0;
constexpr uint8_t kEvaluated = 1;
constexpr uint8_t kFilledFromStride = 2;

// A closed box of grid points [low, high] on each axis, from the lattice of `stride`.
struct Block {
  std::array<int64_t, 3> low, high;
  int64_t stride;
  bool operator<(const Block& other) const {
    return std::tie(low, high, stride) < std::tie(other.low, other.high, other.stride);
  }
};

// The coordinates of the lattice of `stride` within [low, high], `low` on the lattice: low,
// low + stride, ... and high (the lattice of a stride holds its multiples and the last grid index).
std::vector<int64_t> lattice_between(int64_t low, int64_t high, int64_t stride) {
  std::vector<int64_t> coordinates;
  for (int64_t c = low; c < high; c += stride) coordinates.push_back(c);
  coordinates.push_back(high);
  return coordinates;
}

int log2_of(int64_t power_of_two) { return __builtin_ctzll(static_cast<unsigned long long>(power_of_two)); }

class CoarseToFineSampler {
 public:
  CoarseToFineSampler(int64_t grid, const GridFieldQuery& query, double slope_safety)
      : n_(grid), query_(query), slope_safety_(slope_safety), state_(grid * grid * grid, kNotEvaluated) {
    result_.values.assign(state_.size(), 0.0f);
  }

  RefinedGrid run(int64_t stride) {
    const Block whole{{0, 0, 0}, {n_ - 1, n_ - 1, n_ - 1}, stride};
    std::vector<Block> active = select_active(subdivide_and_evaluate({whole}, stride));
    for (int64_t parent = stride; parent > 1; parent /= 2) {
      auto children = subdivide_and_evaluate(active, parent / 2);
      active = parent / 2 > 1 ? select_active(children) : std::vector<Block>{};
    }
    for (const auto& block : left_out_) fill(block);
    close_around_sign_changes();
    return std::move(result_);
  }

 private:
  int64_t index(int64_t x, int64_t y, int64_t z) const { return (x * n_ + y) * n_ + z; }

  void schedule(int64_t point) {
    if (state_[point] == kEvaluated) return;
    state_[point] = kEvaluated;
    pending_.push_back(point);
  }

  void evaluate_pending() {
    if (pending_.empty()) return;
    const auto indices = torch::from_blob(pending_.data(), {static_cast<int64_t>(pending_.size())}, torch::kLong);
    const auto values = query_(indices).to(torch::kCPU, torch::kFloat32).contiguous();
    TORCH_CHECK(values.numel() == indices.numel(), "the grid query returned ", values.numel(), " values for ",
                indices.numel(), " points");
    const float* data = values.data_ptr<float>();
    for (size_t i = 0; i < pending_.size(); ++i) result_.values[pending_[i]] = data[i];
    result_.evaluated_points += static_cast<int64_t>(pending_.size());
    pending_.clear();
  }

  // Splits each block on the lattice of `stride` and evaluates the corners of the pieces.
  std::vector<Block> subdivide_and_evaluate(const std::vector<Block>& blocks, int64_t stride) {
    std::vector<Block> pieces;
    for (const auto& block : blocks) {
      std::array<std::vector<int64_t>, 3> axes;
      for (int a = 0; a < 3; ++a) axes[a] = lattice_between(block.low[a], block.high[a], stride);
      for (const int64_t x : axes[0]) {
        for (const int64_t y : axes[1]) {
          for (const int64_t z : axes[2]) schedule(index(x, y, z));
        }
      }
      for (size_t i = 0; i + 1 < axes[0].size(); ++i) {
        for (size_t j = 0; j + 1 < axes[1].size(); ++j) {
          for (size_t k = 0; k + 1 < axes[2].size(); ++k) {
            pieces.push_back({{axes[0][i], axes[1][j], axes[2][k]}, {axes[0][i + 1], axes[1][j + 1], axes[2][k + 1]}, stride});
          }
        }
      }
    }
    evaluate_pending();
    return pieces;
  }

  float corner(const Block& block, int corner_index) const {
    return result_.values[index(corner_index & 1 ? block.high[0] : block.low[0],
                                corner_index & 2 ? block.high[1] : block.low[1],
                                corner_index & 4 ? block.high[2] : block.low[2])];
  }

  // The steepest |dv| per grid step from a corner of the block to an evaluated point one stride
  // away along an axis: the block's own edges and those of its neighbours.
  double steepest_slope_around(const Block& block) const {
    double steepest = 0.0;
    for (int c = 0; c < 8; ++c) {
      std::array<int64_t, 3> point;
      for (int a = 0; a < 3; ++a) point[a] = c >> a & 1 ? block.high[a] : block.low[a];
      const float here = result_.values[index(point[0], point[1], point[2])];
      for (int a = 0; a < 3; ++a) {
        for (const int64_t step : {-block.stride, block.stride}) {
          auto neighbour = point;
          neighbour[a] = std::clamp<int64_t>(point[a] + step, 0, n_ - 1);
          const int64_t distance = std::abs(neighbour[a] - point[a]);
          const int64_t other = index(neighbour[0], neighbour[1], neighbour[2]);
          if (distance == 0 || state_[other] != kEvaluated) continue;
          steepest = std::max(steepest, std::abs(static_cast<double>(result_.values[other]) - here) / distance);
        }
      }
    }
    return steepest;
  }

  // Keeps the blocks that may hold a surface; the others are filled at the end.
  std::vector<Block> select_active(const std::vector<Block>& blocks) {
    std::vector<Block> active;
    for (const auto& block : blocks) {
      bool any_inside = false, any_outside = false, touches_face = false;
      float nearest = INFINITY;
      for (int c = 0; c < 8; ++c) {
        const float value = corner(block, c);
        (value > 0.0f ? any_inside : any_outside) = true;
        nearest = std::isnan(value) ? 0.0f : std::min(nearest, std::abs(value));  // NaN: refine
      }
      double squared_diagonal = 0.0;
      for (int a = 0; a < 3; ++a) {
        touches_face = touches_face || block.low[a] == 0 || block.high[a] == n_ - 1;
        const double extent = static_cast<double>(block.high[a] - block.low[a]);
        squared_diagonal += extent * extent;
      }
      const double slope = steepest_slope_around(block);
      // The -1 border outside the box makes a face block with an inside corner a sign change.
      const bool sign_change = any_inside && (any_outside || touches_face);
      const bool clear_of_band = nearest > slope_safety_ * slope * 0.5 * std::sqrt(squared_diagonal);
      (sign_change || !clear_of_band ? active : left_out_).push_back(block);
    }
    return active;
  }

  // Trilinear blend of the block's corners at every point of it not evaluated.
  void fill(const Block& block) {
    std::array<float, 8> corners;
    for (int c = 0; c < 8; ++c) corners[c] = corner(block, c);
    const uint8_t filled = static_cast<uint8_t>(kFilledFromStride + log2_of(block.stride));
    std::array<float, 3> extent;
    for (int a = 0; a < 3; ++a) extent[a] = static_cast<float>(block.high[a] - block.low[a]);
    for (int64_t x = block.low[0]; x <= block.high[0]; ++x) {
      const float tx = static_cast<float>(x - block.low[0]) / extent[0];
      for (int64_t y = block.low[1]; y <= block.high[1]; ++y) {
        const float ty = static_cast<float>(y - block.low[1]) / extent[1];
        const float c00 = corners[0] + (corners[1] - corners[0]) * tx, c10 = corners[2] + (corners[3] - corners[2]) * tx;
        const float c01 = corners[4] + (corners[5] - corners[4]) * tx, c11 = corners[6] + (corners[7] - corners[6]) * tx;
        const float c0 = c00 + (c10 - c00) * ty, c1 = c01 + (c11 - c01) * ty;
        for (int64_t z = block.low[2]; z <= block.high[2]; ++z) {
          const int64_t point = index(x, y, z);
          if (state_[point] == kEvaluated) continue;
          state_[point] = filled;
          result_.values[point] = c0 + (c1 - c0) * (static_cast<float>(z - block.low[2]) / extent[2]);
        }
      }
    }
  }

  // The header's check: refines around every sign change that reaches a point left out.
  void close_around_sign_changes() {
    while (true) {
      std::set<Block> to_refine;
      for (const int64_t point : points_in_open_sign_changes()) {
        const int64_t stride = int64_t{1} << (state_[point] - kFilledFromStride);
        const std::array<int64_t, 3> p{point / (n_ * n_), point / n_ % n_, point % n_};
        for (const auto& block : blocks_holding(p, stride)) to_refine.insert(block);
      }
      if (to_refine.empty()) return;
      const int64_t before = result_.evaluated_points;
      for (const auto& block : to_refine) {
        for (int64_t x = block.low[0]; x <= block.high[0]; ++x) {
          for (int64_t y = block.low[1]; y <= block.high[1]; ++y) {
            for (int64_t z = block.low[2]; z <= block.high[2]; ++z) schedule(index(x, y, z));
          }
        }
      }
      evaluate_pending();
      result_.closure_points += result_.evaluated_points - before;
    }
  }

  // Points left out that are corners of a padded-grid cell whose corners differ in sign.
  std::vector<int64_t> points_in_open_sign_changes() const {
    // Per padded point: bit 0 inside, bit 1 evaluated (the -1 border is an evaluated outside).
    const int64_t m = n_ + 2;
    std::vector<uint8_t> code(m * m * m, 2);
    for (int64_t x = 0; x < n_; ++x) {
      for (int64_t y = 0; y < n_; ++y) {
        for (int64_t z = 0; z < n_; ++z) {
          const int64_t point = index(x, y, z);
          code[((x + 1) * m + y + 1) * m + z + 1] =
              static_cast<uint8_t>((result_.values[point] > 0.0f) | (state_[point] == kEvaluated) << 1);
        }
      }
    }
    const std::array<int64_t, 8> offsets{0, m * m, m, m * m + m, 1, m * m + 1, m + 1, m * m + m + 1};
    std::vector<int64_t> open;
    for (int64_t x = 0; x + 1 < m; ++x) {
      for (int64_t y = 0; y + 1 < m; ++y) {
        const uint8_t* cell = code.data() + (x * m + y) * m;
        for (int64_t z = 0; z + 1 < m; ++z, ++cell) {
          uint8_t any = 0, all = 3;
          for (const int64_t offset : offsets) {
            any |= cell[offset];
            all &= cell[offset];
          }
          const bool sign_change = (any & 1) && !(all & 1);
          if (!sign_change || (all & 2)) continue;
          for (int c = 0; c < 8; ++c) {
            if (cell[offsets[c]] & 2) continue;
            open.push_back(index(x + (c & 1) - 1, y + (c >> 1 & 1) - 1, z + (c >> 2 & 1) - 1));
          }
        }
      }
    }
    return open;
  }

  // The blocks of the lattice of `stride` whose closed boxes hold point p (one to eight).
  std::vector<Block> blocks_holding(const std::array<int64_t, 3>& p, int64_t stride) const {
    std::array<std::vector<std::pair<int64_t, int64_t>>, 3> spans;
    for (int a = 0; a < 3; ++a) {
      auto add = [&](int64_t low) {
        const std::pair<int64_t, int64_t> span{low, std::min(low + stride, n_ - 1)};
        if (spans[a].empty() || spans[a].back() != span) spans[a].push_back(span);
      };
      if (p[a] > 0) add((p[a] - 1) / stride * stride);
      if (p[a] < n_ - 1) add(p[a] / stride * stride);
    }
    std::vector<Block> blocks;
    for (const auto& [x0, x1] : spans[0]) {
      for (const auto& [y0, y1] : spans[1]) {
        for (const auto& [z0, z1] : spans[2]) blocks.push_back({{x0, y0, z0}, {x1, y1, z1}, stride});
      }
    }
    return blocks;
  }

  int64_t n_;
  const GridFieldQuery& query_;
  double slope_safety_;
  std::vector<uint8_t> state_;
  std::vector<int64_t> pending_;
  std::vector<Block> left_out_;
  RefinedGrid result_;
};

}  // namespace

RefinedGrid sample_grid_coarse_to_fine(int64_t grid_size, const GridFieldQuery& query,
                                       const GridRefinementOptions& options) {
  TORCH_CHECK(grid_size >= 2, "grid_size must be at least 2");
  TORCH_CHECK(options.coarse_stride >= 1 && (options.coarse_stride & (options.coarse_stride - 1)) == 0,
              "coarse_stride must be a power of two, got ", options.coarse_stride);
  TORCH_CHECK(options.slope_safety >= 0.0, "slope_safety must not be negative");
  return CoarseToFineSampler(grid_size, query, options.slope_safety).run(options.coarse_stride);
}

}  // namespace shape
