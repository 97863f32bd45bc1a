#include "inference/training/primitive_image_set.h"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "inference/clip/image_file.h"
#include "inference/export/file_io.h"
#include "inference/training/dataset_sampling.h"
#include "inference/training/primitive_images.h"

namespace shape::training {
namespace fs = std::filesystem;
namespace {

// Bump when the pictures of the same options would change, so old caches are not reused.
constexpr const char* kRendererVersion = "primitive_images 1";
constexpr uint64_t kViewStream = 0x7669657773;  // "views"

std::string manifest_text(const PrimitiveImageSetOptions& options) {
  std::string weights;
  for (const auto& [kind, weight] : options.kind_weights) {
    weights += (weights.empty() ? "" : ",") + primitive_name(kind) + "=" + std::to_string(weight);
  }
  return std::string("renderer: ") + kRendererVersion + "\nshapes: " + std::to_string(options.shapes) +
         "\nseed: " + std::to_string(options.seed) + "\nkind weights: " + (weights.empty() ? "none" : weights) +
         "\nviews per shape: " + std::to_string(options.views_per_shape) + "\n";
}

// The first line where the folder's manifest and the wanted one differ.
std::string first_difference(const std::string& found, const std::string& wanted) {
  std::istringstream a(found), b(wanted);
  std::string line_a, line_b;
  while (std::getline(b, line_b)) {
    if (!std::getline(a, line_a)) return "'" + line_b + "' is missing";
    if (line_a != line_b) return "it says '" + line_a + "', this run needs '" + line_b + "'";
  }
  return "it has extra lines";
}

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::vector<PrimitiveImageEntry> render_primitive_image_set(const fs::path& folder,
                                                            const PrimitiveImageSetOptions& options,
                                                            const TrainingCallback& on_progress) {
  if (options.shapes <= 0) throw TrainingError("the image set needs a positive number of shapes");
  if (options.views_per_shape <= 0) throw TrainingError("the image set needs a positive number of views per shape");
  const std::string manifest = manifest_text(options);
  const fs::path manifest_path = folder / "manifest.txt";
  if (fs::exists(manifest_path)) {
    const std::string found = read_whole_file(manifest_path);
    if (found != manifest) {
      throw TrainingError(manifest_path.string() + ": this image cache was made for other settings (" +
                          first_difference(found, manifest) + "); give another image cache folder or delete it");
    }
  } else {
    fs::create_directories(folder);
    write_files_atomically({{manifest_path, manifest}});
  }

  const auto specs = primitive_training_specs(options.shapes, options.seed, options.kind_weights);
  const int64_t total = options.shapes * options.views_per_shape;
  const int64_t report_every = std::max<int64_t>(1, total / 100);
  const auto start = std::chrono::steady_clock::now();
  std::vector<PrimitiveImageEntry> entries;
  std::string index;
  int64_t rendered = 0;
  for (int64_t shape = 0; shape < options.shapes; ++shape) {
    const PrimitiveSpec& spec = specs[static_cast<size_t>(shape)];
    for (int64_t view = 0; view < options.views_per_shape; ++view) {
      char name[64];
      std::snprintf(name, sizeof name, "s%06lld-v%lld.png", static_cast<long long>(shape),
                    static_cast<long long>(view));
      const fs::path file = folder / name;
      if (!fs::exists(file)) {
        const uint64_t view_seed = mix_seed(mix_seed(options.seed, kViewStream), static_cast<uint64_t>(entries.size()));
        write_png_file(render_primitive_image(spec, random_primitive_view(PrimitiveImageStyle::kTraining, view_seed)),
                       file);
      }
      entries.push_back({file, shape, spec.caption()});
      index += "{\"image\": " + json_string(name) + ", \"shape\": " + std::to_string(shape) +
               ", \"caption\": " + json_string(spec.caption()) + ", \"kind\": " +
               json_string(primitive_name(spec.kind)) + ", \"size\": " + json_string(size_name(spec.size)) +
               ", \"colour\": " + json_string(primitive_colours()[static_cast<size_t>(spec.colour)].name) + "}\n";
      ++rendered;
      if (on_progress && (rendered % report_every == 0 || rendered == total)) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        on_progress(
            {rendered, total, seconds, eta_seconds(seconds, rendered, total - rendered), {}, "training pictures"});
      }
    }
  }
  write_files_atomically({{folder / "images.jsonl", index}});
  return entries;
}

}  // namespace shape::training
