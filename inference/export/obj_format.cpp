#include "inference/export/obj_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inference/export/axis_convention.h"
#include "inference/export/color_encoding.h"
#include "inference/export/file_io.h"
#include "inference/export/mesh_import.h"
#include "inference/mesh/mesh_ops.h"

namespace shape {
namespace {

constexpr const char* kMaterialName = "shape_studio_vertex_colors";

// Shortest text that reads back as the same float, independent of the C locale.
void append_number(std::string& out, float value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.push_back(' ');
  out.append(text, result.ptr);
}

void append_vector(std::string& out, const char* keyword, const std::array<float, 3>& v) {
  out += keyword;
  for (float c : v) append_number(out, c);
}

// ---- Reading ----

class ObjLineReader {
 public:
  ObjLineReader(std::string_view line, const std::filesystem::path& path, size_t line_number)
      : rest_(line), path_(path), line_number_(line_number) {}

  // The next whitespace-separated word, empty at the end of the line.
  std::string_view word() {
    const size_t begin = rest_.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) {
      rest_ = {};
      return {};
    }
    rest_.remove_prefix(begin);
    const size_t end = std::min(rest_.find_first_of(" \t\r"), rest_.size());
    const std::string_view result = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return result;
  }

  // Up to `max_count` numbers; returns how many there were.
  size_t numbers(float* out, size_t max_count) {
    size_t count = 0;
    while (count < max_count) {
      const std::string_view w = word();
      if (w.empty()) break;
      out[count++] = to_float(w);
    }
    return count;
  }

  float to_float(std::string_view text) const {
    float value = 0.0f;
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size()) fail("bad number '" + std::string(text) + "'");
    return value;
  }

  long to_index(std::string_view text) const {
    long value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || value == 0) {
      fail("bad index '" + std::string(text) + "'");
    }
    return value;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw ImportError("cannot read OBJ '" + path_.string() + "' line " + std::to_string(line_number_) + ": " + problem);
  }

 private:
  std::string_view rest_;
  const std::filesystem::path& path_;
  size_t line_number_;
};

// OBJ indices are 1-based, or negative counting back from the latest element.
uint32_t resolve_index(long index, size_t count, const ObjLineReader& line) {
  const long long resolved = index > 0 ? index - 1 : static_cast<long long>(count) + index;
  if (resolved < 0 || resolved >= static_cast<long long>(count)) {
    line.fail("index " + std::to_string(index) + " is out of range (" + std::to_string(count) + " defined)");
  }
  return static_cast<uint32_t>(resolved);
}

}  // namespace

ObjFiles encode_obj(const Mesh& mesh, const std::string& mtl_file_name, UpAxis up) {
  const bool has_normals = !mesh.normals.empty(), has_colors = !mesh.colors.empty();
  const bool y_up = up == UpAxis::kY;
  const auto oriented = [y_up](const std::array<float, 3>& v) { return y_up ? z_up_to_y_up(v) : v; };
  ObjFiles files;
  files.mtl =
      "# Shape Studio: the surface colour comes from the vertex colours of the OBJ\n"
      "newmtl " + std::string(kMaterialName) + "\n"
      "Ka 0 0 0\nKd 1 1 1\nKs 0 0 0\nNs 0\nd 1\nillum 1\n";

  std::string& out = files.obj;
  out.reserve(mesh.positions.size() * (has_colors ? 80 : 45) + mesh.triangles.size() * 40);
  out += std::string("# Shape Studio mesh: ") + (y_up ? "+Y up (Shap-E's +Z)" : "+Z up, as Shap-E") +
         "; vertex colours (v x y z r g b) are sRGB, an extension that not every reader supports\n";
  if (!y_up) out += "# up_axis Z\n";  // read_obj keeps such a file's frame
  out += "mtllib " + mtl_file_name + "\no shape\nusemtl " + kMaterialName + "\n";
  for (size_t v = 0; v < mesh.positions.size(); ++v) {
    append_vector(out, "v", oriented(mesh.positions[v]));
    if (has_colors) {
      for (float c : mesh.colors[v]) append_number(out, linear_to_srgb(c));
    }
    out.push_back('\n');
  }
  if (has_normals) {
    for (const auto& n : mesh.normals) {
      append_vector(out, "vn", oriented(n));
      out.push_back('\n');
    }
  }
  out += "s 1\n";  // one smoothing group: shade smooth (with the vn normals where given)
  for (const auto& triangle : mesh.triangles) {
    out += "f";
    for (uint32_t index : triangle) {
      const std::string one_based = std::to_string(index + 1);
      out += " " + one_based;
      if (has_normals) out += "//" + one_based;
    }
    out.push_back('\n');
  }
  return files;
}

Mesh read_obj(const std::filesystem::path& path) {
  const std::string text = read_whole_file(path);
  Mesh mesh;
  std::vector<std::array<float, 3>> file_normals;
  std::vector<int64_t> vertex_normal;  // per vertex, the file normal its corners name (-1: none)
  bool any_color = false;
  bool z_up = false;  // a `# up_axis Z` comment (before the vertices): the file is in Shap-E's frame
  const auto to_z_up = [&z_up](const std::array<float, 3>& v) { return z_up ? v : y_up_to_z_up(v); };

  size_t line_number = 0;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ObjLineReader line(std::string_view(text).substr(begin, end - begin), path, ++line_number);
    begin = end + 1;

    const std::string_view keyword = line.word();
    if (keyword == "#") {
      if (line.word() == "up_axis") {
        const std::string_view axis = line.word();
        z_up = axis == "Z" || axis == "z";
      }
    } else if (keyword == "v") {
      float values[6];
      const size_t count = line.numbers(values, 6);
      if (count < 3) line.fail("a vertex needs x y z");
      mesh.positions.push_back(to_z_up({values[0], values[1], values[2]}));
      const bool has_color = count == 6;
      any_color = any_color || has_color;
      mesh.colors.push_back(has_color ? std::array<float, 3>{srgb_to_linear(values[3]), srgb_to_linear(values[4]),
                                                             srgb_to_linear(values[5])}
                                      : std::array<float, 3>{1.0f, 1.0f, 1.0f});
      vertex_normal.push_back(-1);
    } else if (keyword == "vn") {
      float values[3];
      if (line.numbers(values, 3) != 3) line.fail("a normal needs 3 numbers");
      file_normals.push_back(to_z_up({values[0], values[1], values[2]}));
    } else if (keyword == "f") {
      std::vector<uint32_t> corners;
      for (std::string_view corner = line.word(); !corner.empty(); corner = line.word()) {
        // a, a/t, a//n or a/t/n
        const size_t slash = corner.find('/');
        const uint32_t v = resolve_index(line.to_index(corner.substr(0, slash)), mesh.positions.size(), line);
        const size_t second_slash = slash == std::string_view::npos ? slash : corner.find('/', slash + 1);
        if (second_slash != std::string_view::npos && second_slash + 1 < corner.size()) {
          vertex_normal[v] = resolve_index(line.to_index(corner.substr(second_slash + 1)), file_normals.size(), line);
        }
        corners.push_back(v);
      }
      if (corners.size() < 3) line.fail("a face needs at least 3 corners");
      for (size_t i = 2; i < corners.size(); ++i) mesh.triangles.push_back({corners[0], corners[i - 1], corners[i]});
    }
  }
  if (!any_color) mesh.colors.clear();

  bool any_normal = false;
  for (int64_t n : vertex_normal) any_normal = any_normal || n >= 0;
  if (any_normal) {
    Mesh computed = mesh;  // fills the vertices whose corners name no normal
    compute_vertex_normals(computed);
    mesh.normals = computed.normals;
    for (size_t v = 0; v < vertex_normal.size(); ++v) {
      if (vertex_normal[v] >= 0) mesh.normals[v] = file_normals[static_cast<size_t>(vertex_normal[v])];
    }
  }
  return mesh;
}

}  // namespace shape
