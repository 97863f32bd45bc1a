// The output options of generate and decode (and of bulk generation): mesh format and meshing,
// the mesh's frame, NeRF renders and turntables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "inference/export/mesh_export.h"

namespace shape::cli {

// --turntable-frames and --turntable-size (the GUI takes them too): UsageError outside their ranges.
int64_t parse_turntable_frames(const std::string& option, const std::string& value);
int64_t parse_turntable_size(const std::string& option, const std::string& value);

// What to write for each latent.
struct OutputOptions {
  std::filesystem::path output = "shape.glb";
  std::optional<MeshFormat> format;
  int64_t grid_size = 128;
  bool dense_grid = false;
  bool weld = true;
  size_t target_triangles = kDefaultExportTriangles;
  UpAxis up = UpAxis::kY;
  MeshOrigin origin = MeshOrigin::kBottom;
  double scale_metres = 0.0;
  std::filesystem::path render;  // PNG strip of NeRF views
  int64_t render_size = 128;
  int64_t render_views = 8;
  std::filesystem::path turntable;  // animated WebP of NeRF views all around
  int64_t turntable_frames = 24;
  int64_t turntable_size = 128;

  // Consumes `option` (and its value) if it is one of these; false otherwise.
  bool parse(const std::string& option, ArgumentReader& reader);
  // UsageError for a combination that cannot be written (Z-up glTF).
  MeshExportOptions export_options() const;
  // shape.glb -> shape_2.glb for the third of several samples.
  std::filesystem::path numbered(const std::filesystem::path& path, size_t index, size_t count) const;
};

// The usage lines for these options.
extern const char* const kOutputUsage;

// Fails before any model work if the output cannot be written.
void check_output_writable(const std::filesystem::path& path);

// The export options are valid and every file the outputs name can be written: checked before any
// model work.
void check_outputs(const OutputOptions& outputs);

}  // namespace shape::cli
