#include "cli/output_options.h"

#include <unistd.h>

#include <stdexcept>

#include "inference/pipeline/turntable.h"

namespace shape::cli {
namespace {

int64_t parse_in_range(const std::string& option, const std::string& value, int64_t low, int64_t high) {
  const int64_t count = parse_count(option, value);
  if (count < low || count > high) {
    throw UsageError{option + " must lie in " + std::to_string(low) + ".." + std::to_string(high)};
  }
  return count;
}

}  // namespace

int64_t parse_turntable_frames(const std::string& option, const std::string& value) {
  return parse_in_range(option, value, kMinTurntableFrames, kMaxTurntableFrames);
}

int64_t parse_turntable_size(const std::string& option, const std::string& value) {
  return parse_in_range(option, value, kMinTurntableSize, kMaxTurntableSize);
}

bool OutputOptions::parse(const std::string& option, ArgumentReader& reader) {
  if (option == "-o" || option == "--output") {
    output = reader.value_of(option);
  } else if (option == "--format") {
    const auto& value = reader.value_of(option);
    try {
      format = mesh_format_from_path("x." + value);
    } catch (const std::exception&) {
      throw UsageError{"--format takes glb, gltf, ply or obj, got '" + value + "'"};
    }
  } else if (option == "--grid") {
    grid_size = parse_count(option, reader.value_of(option));
    if (grid_size < 8 || grid_size > 512) throw UsageError{"--grid must lie in 8..512"};
  } else if (option == "--dense-grid") {
    dense_grid = true;
  } else if (option == "--no-weld") {
    weld = false;
  } else if (option == "--simplify") {
    const auto& value = reader.value_of(option);
    try {
      target_triangles = value == "0" ? 0 : static_cast<size_t>(parse_count(option, value));
    } catch (const UsageError&) {
      throw UsageError{"--simplify takes a triangle count (0 keeps them all), got '" + value + "'"};
    }
  } else if (option == "--up") {
    const auto& value = reader.value_of(option);
    if (value != "y" && value != "z") throw UsageError{"--up takes y or z, got '" + value + "'"};
    up = value == "y" ? UpAxis::kY : UpAxis::kZ;
  } else if (option == "--origin") {
    const auto& value = reader.value_of(option);
    if (value != "bottom" && value != "center") throw UsageError{"--origin takes bottom or center, got '" + value + "'"};
    origin = value == "bottom" ? MeshOrigin::kBottom : MeshOrigin::kCenter;
  } else if (option == "--scale") {
    const auto& value = reader.value_of(option);
    scale_metres = parse_number(option, value);
    if (!(scale_metres > 0.0)) throw UsageError{"--scale takes a positive size in metres, got '" + value + "'"};
  } else if (option == "--render") {
    render = reader.value_of(option);
  } else if (option == "--render-size") {
    render_size = parse_count(option, reader.value_of(option));
  } else if (option == "--turntable") {
    turntable = reader.value_of(option);
    if (turntable.extension() != ".webp") throw UsageError{"--turntable writes an animated WebP: give a .webp path"};
  } else if (option == "--turntable-frames") {
    turntable_frames = parse_turntable_frames(option, reader.value_of(option));
  } else if (option == "--turntable-size") {
    turntable_size = parse_turntable_size(option, reader.value_of(option));
  } else if (option == "--render-views") {
    render_views = parse_count(option, reader.value_of(option));
    if (render_views > 20) throw UsageError{"--render-views is at most 20 (shap-e's pan cameras)"};
  } else {
    return false;
  }
  return true;
}


MeshExportOptions OutputOptions::export_options() const {
  MeshExportOptions options;
  options.format = format ? *format : mesh_format_from_path(output);
  options.weld = weld;
  options.target_triangles = target_triangles;
  options.up = up;
  options.origin = origin;
  options.scale_metres = scale_metres;
  if (up == UpAxis::kZ && (options.format == MeshFormat::kGlb || options.format == MeshFormat::kGltf)) {
    throw UsageError{"--up z is for PLY and OBJ: glTF is always Y-up"};
  }
  return options;
}


std::filesystem::path OutputOptions::numbered(const std::filesystem::path& path, size_t index, size_t count) const {
  if (count == 1) return path;
  auto result = path;
  result.replace_filename(path.stem().string() + "_" + std::to_string(index) + path.extension().string());
  return result;
}

static_assert(kDefaultExportTriangles == 30000, "kOutputUsage names the default --simplify");
const char* const kOutputUsage = R"(  output options:
      -o, --output PATH        mesh file (default shape.glb; with --batch N: shape_0.glb ...)
      --format glb|gltf|ply|obj   (default: from the extension)
      --grid N                 STF grid size (default 128, 8..512)
      --dense-grid             query every grid point, as shap-e (the same mesh, slower)
      --no-weld                keep marching cubes' duplicate vertices
      --simplify N             simplify to about N triangles (default 30000; 0 keeps them all)
      --up y|z                 up axis of PLY and OBJ files (default y, as glTF and most viewers;
                               z: Shap-E's own frame)
      --origin bottom|center   bottom (default): stands on the ground, lowest point at up = 0 and
                               centred across; center: bounding-box centre at the origin
      --scale METRES           the largest side of the bounding box (default: Shap-E's units, about 2)
      --render PATH.png        a strip of NeRF views around the object
      --render-size N          pixels per view (default 128)
      --render-views N         views in the strip (default 8, at most 20)
      --turntable PATH.webp    an animated WebP turning once around the object (NeRF views, the
                               renderer's fast path), looping
      --turntable-frames N     frames per turn (default 24, 2..360)
      --turntable-size N       pixels per side (default 128, 16..1024)
)";

void check_output_writable(const std::filesystem::path& path) {
  const auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(directory)) {
    throw std::runtime_error("cannot write " + path.string() + ": directory " + directory.string() + " does not exist");
  }
  if (std::filesystem::is_directory(path)) throw std::runtime_error("cannot write " + path.string() + ": it is a directory");
  if (::access(directory.c_str(), W_OK) != 0) {
    throw std::runtime_error("cannot write " + path.string() + ": directory " + directory.string() + " is not writable");
  }
}

void check_outputs(const OutputOptions& outputs) {
  outputs.export_options();
  check_output_writable(outputs.output);
  if (!outputs.render.empty()) check_output_writable(outputs.render);
  if (!outputs.turntable.empty()) check_output_writable(outputs.turntable);
}

}  // namespace shape::cli
