#include "inference/export/ply_format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <vector>

#include "inference/export/axis_convention.h"
#include "inference/export/color_encoding.h"
#include "inference/export/file_io.h"
#include "inference/export/mesh_import.h"

namespace shape {
namespace {

void append_u32_le(std::string& out, uint32_t value) {
  for (int byte = 0; byte < 4; ++byte) out.push_back(static_cast<char>((value >> (8 * byte)) & 0xFF));
}

void append_f32_le(std::string& out, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  append_u32_le(out, bits);
}

// ---- Reading ----

enum class PlyEncoding { kAscii, kBinaryLittleEndian, kBinaryBigEndian };
enum class PlyType { kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kFloat32, kFloat64 };

struct PlyProperty {
  std::string name;
  PlyType type = PlyType::kFloat32;  // of the items, for a list
  bool is_list = false;
  PlyType count_type = PlyType::kUint8;
};

struct PlyElement {
  std::string name;
  size_t count = 0;
  std::vector<PlyProperty> properties;
};

struct PlyHeader {
  PlyEncoding encoding = PlyEncoding::kAscii;
  std::vector<PlyElement> elements;
  // From Shape Studio's `comment up_axis Y` and `comment color_encoding sRGB` lines; without them a
  // file is taken as Shap-E writes it: Z-up, linear colour bytes.
  bool y_up = false;
  bool srgb_colors = false;
};

std::optional<PlyType> parse_type(const std::string& name) {
  if (name == "char" || name == "int8") return PlyType::kInt8;
  if (name == "uchar" || name == "uint8") return PlyType::kUint8;
  if (name == "short" || name == "int16") return PlyType::kInt16;
  if (name == "ushort" || name == "uint16") return PlyType::kUint16;
  if (name == "int" || name == "int32") return PlyType::kInt32;
  if (name == "uint" || name == "uint32") return PlyType::kUint32;
  if (name == "float" || name == "float32") return PlyType::kFloat32;
  if (name == "double" || name == "float64") return PlyType::kFloat64;
  return std::nullopt;
}

size_t type_size(PlyType type) {
  switch (type) {
    case PlyType::kInt8: case PlyType::kUint8: return 1;
    case PlyType::kInt16: case PlyType::kUint16: return 2;
    case PlyType::kInt32: case PlyType::kUint32: case PlyType::kFloat32: return 4;
    case PlyType::kFloat64: return 8;
  }
  return 0;
}

// Reads the PLY header and the values of the body in order, as doubles.
class PlyParser {
 public:
  PlyParser(std::string bytes, std::filesystem::path path) : bytes_(std::move(bytes)), path_(std::move(path)) {
    parse_header();
  }

  const PlyHeader& header() const { return header_; }

  double read(PlyType type) {
    return header_.encoding == PlyEncoding::kAscii ? read_ascii() : read_binary(type);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw ImportError("cannot read PLY " + ("'" + path_.string() + "'") + ": " + problem);
  }

 private:
  // The next header line (without its line break), or false at the end of the bytes.
  bool next_header_line(std::string& line) {
    if (position_ >= bytes_.size()) return false;
    size_t end = bytes_.find('\n', position_);
    if (end == std::string::npos) end = bytes_.size();
    line = strip(bytes_.substr(position_, end - position_));
    position_ = std::min(end + 1, bytes_.size());
    return true;
  }

  void parse_header() {
    std::string line;
    if (!next_header_line(line) || line != "ply") fail("not a PLY file (no 'ply' magic line)");
    bool have_format = false;
    while (next_header_line(line)) {
      std::istringstream words(line);
      std::string keyword;
      words >> keyword;
      if (keyword == "end_header") {
        if (!have_format) fail("the header has no format line");
        return;
      }
      if (keyword == "format") {
        std::string encoding;
        words >> encoding;
        if (encoding == "ascii") header_.encoding = PlyEncoding::kAscii;
        else if (encoding == "binary_little_endian") header_.encoding = PlyEncoding::kBinaryLittleEndian;
        else if (encoding == "binary_big_endian") header_.encoding = PlyEncoding::kBinaryBigEndian;
        else fail("unknown format '" + encoding + "'");
        have_format = true;
      } else if (keyword == "element") {
        PlyElement element;
        long long count = -1;
        words >> element.name >> count;
        if (!words || count < 0) fail("bad element line '" + line + "'");
        element.count = static_cast<size_t>(count);
        header_.elements.push_back(std::move(element));
      } else if (keyword == "property") {
        if (header_.elements.empty()) fail("a property before any element");
        PlyProperty property;
        std::string type;
        words >> type;
        if (type == "list") {
          std::string count_type, item_type;
          words >> count_type >> item_type;
          const auto count = parse_type(count_type), item = parse_type(item_type);
          if (!count || !item) fail("bad list property '" + line + "'");
          property.is_list = true;
          property.count_type = *count;
          property.type = *item;
        } else {
          const auto scalar = parse_type(type);
          if (!scalar) fail("unknown property type '" + type + "'");
          property.type = *scalar;
        }
        words >> property.name;
        if (!words) fail("bad property line '" + line + "'");
        header_.elements.back().properties.push_back(std::move(property));
      } else if (keyword == "comment") {
        std::string key, value;
        words >> key >> value;
        if (key == "up_axis") header_.y_up = value == "Y" || value == "y";
        if (key == "color_encoding") header_.srgb_colors = value == "sRGB" || value == "srgb";
      } else if (keyword != "obj_info" && !keyword.empty()) {
        fail("unknown header line '" + line + "'");
      }
    }
    fail("the header has no end_header line");
  }

  static std::string strip(const std::string& line) {
    const size_t end = line.find_last_not_of(" \t\r\n");
    const size_t begin = line.find_first_not_of(" \t\r\n");
    return begin == std::string::npos ? std::string() : line.substr(begin, end - begin + 1);
  }

  double read_ascii() {
    while (position_ < bytes_.size() && std::isspace(static_cast<unsigned char>(bytes_[position_]))) ++position_;
    if (position_ >= bytes_.size()) fail("the file ends early");
    double value = 0.0;
    const char* begin = bytes_.data() + position_;
    const auto [end, error] = std::from_chars(begin, bytes_.data() + bytes_.size(), value);
    if (error != std::errc()) fail("bad number at byte " + std::to_string(position_));
    position_ += static_cast<size_t>(end - begin);
    return value;
  }

  double read_binary(PlyType type) {
    const size_t size = type_size(type);
    if (bytes_.size() - position_ < size) fail("the file ends early");
    unsigned char raw[8];
    std::memcpy(raw, bytes_.data() + position_, size);
    position_ += size;
    if (header_.encoding == PlyEncoding::kBinaryBigEndian) {
      for (size_t i = 0; i < size / 2; ++i) std::swap(raw[i], raw[size - 1 - i]);
    }
    // Host byte order is little-endian on every platform Shape Studio builds for.
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "PLY reader assumes a little-endian host");
    switch (type) {
      case PlyType::kInt8: return static_cast<int8_t>(raw[0]);
      case PlyType::kUint8: return raw[0];
      case PlyType::kInt16: { int16_t v; std::memcpy(&v, raw, 2); return v; }
      case PlyType::kUint16: { uint16_t v; std::memcpy(&v, raw, 2); return v; }
      case PlyType::kInt32: { int32_t v; std::memcpy(&v, raw, 4); return v; }
      case PlyType::kUint32: { uint32_t v; std::memcpy(&v, raw, 4); return v; }
      case PlyType::kFloat32: { float v; std::memcpy(&v, raw, 4); return v; }
      case PlyType::kFloat64: { double v; std::memcpy(&v, raw, 8); return v; }
    }
    return 0.0;
  }

  std::string bytes_;
  std::filesystem::path path_;
  PlyHeader header_;
  size_t position_ = 0;
};

// Where a vertex property goes: position, normal or colour component, or nowhere.
struct VertexSlot {
  enum Kind { kNone, kPosition, kNormal, kColor } kind = kNone;
  int axis = 0;
};

VertexSlot vertex_slot(const std::string& name) {
  static const char* const positions[] = {"x", "y", "z"};
  static const char* const normals[] = {"nx", "ny", "nz"};
  static const char* const colors[] = {"red", "green", "blue"};
  static const char* const short_colors[] = {"r", "g", "b"};
  for (int a = 0; a < 3; ++a) {
    if (name == positions[a]) return {VertexSlot::kPosition, a};
    if (name == normals[a]) return {VertexSlot::kNormal, a};
    if (name == colors[a] || name == short_colors[a] || name == std::string("diffuse_") + colors[a]) {
      return {VertexSlot::kColor, a};
    }
  }
  return {};
}

// Integer colour channels are fractions of their type's maximum; float ones are taken as they are.
double color_scale(PlyType type) {
  switch (type) {
    case PlyType::kUint8: return 1.0 / 255.0;
    case PlyType::kUint16: return 1.0 / 65535.0;
    default: return 1.0;
  }
}

void read_vertices(PlyParser& parser, const PlyElement& element, Mesh& mesh) {
  std::vector<VertexSlot> slots;
  int found[3] = {0, 0, 0};  // position, normal, colour components present
  for (const auto& property : element.properties) {
    slots.push_back(property.is_list ? VertexSlot{} : vertex_slot(property.name));
    if (slots.back().kind != VertexSlot::kNone) ++found[slots.back().kind - 1];
  }
  if (found[0] != 3) parser.fail("the vertices lack x, y or z");
  mesh.positions.assign(element.count, {0, 0, 0});
  if (found[1] == 3) mesh.normals.assign(element.count, {0, 0, 0});
  if (found[2] == 3) mesh.colors.assign(element.count, {0, 0, 0});
  for (size_t v = 0; v < element.count; ++v) {
    for (size_t p = 0; p < element.properties.size(); ++p) {
      const PlyProperty& property = element.properties[p];
      if (property.is_list) {
        const auto n = static_cast<size_t>(parser.read(property.count_type));
        for (size_t i = 0; i < n; ++i) parser.read(property.type);
        continue;
      }
      const double value = parser.read(property.type);
      const VertexSlot slot = slots[p];
      if (slot.kind == VertexSlot::kPosition) mesh.positions[v][slot.axis] = static_cast<float>(value);
      if (slot.kind == VertexSlot::kNormal && found[1] == 3) mesh.normals[v][slot.axis] = static_cast<float>(value);
      if (slot.kind == VertexSlot::kColor && found[2] == 3) {
        mesh.colors[v][slot.axis] = static_cast<float>(value * color_scale(property.type));
      }
    }
  }
}

void read_faces(PlyParser& parser, const PlyElement& element, Mesh& mesh) {
  for (size_t f = 0; f < element.count; ++f) {
    for (const auto& property : element.properties) {
      if (!property.is_list) {
        parser.read(property.type);
        continue;
      }
      const bool is_corners = property.name == "vertex_indices" || property.name == "vertex_index";
      const double count = parser.read(property.count_type);
      if (count < 0) parser.fail("negative list length in face " + std::to_string(f));
      std::vector<uint32_t> corners;
      for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
        const double index = parser.read(property.type);
        if (!is_corners) continue;
        if (index < 0 || index >= static_cast<double>(mesh.positions.size())) {
          parser.fail("face " + std::to_string(f) + " uses vertex " + std::to_string(static_cast<long long>(index)) +
                      " of " + std::to_string(mesh.positions.size()));
        }
        corners.push_back(static_cast<uint32_t>(index));
      }
      for (size_t i = 2; i < corners.size(); ++i) mesh.triangles.push_back({corners[0], corners[i - 1], corners[i]});
    }
  }
}

void skip_element(PlyParser& parser, const PlyElement& element) {
  for (size_t i = 0; i < element.count; ++i) {
    for (const auto& property : element.properties) {
      const auto n = property.is_list ? static_cast<size_t>(parser.read(property.count_type)) : 1;
      for (size_t k = 0; k < n; ++k) parser.read(property.type);
    }
  }
}

}  // namespace

unsigned char ply_color_byte(float linear_channel) {
  if (!(linear_channel > 0.0f)) return 0;  // NaN too
  const float scaled = std::round(linear_to_srgb(linear_channel) * 255.0f);
  return scaled >= 255.0f ? 255 : static_cast<unsigned char>(scaled);
}

std::string encode_ply(const Mesh& mesh, UpAxis up) {
  const bool has_normals = !mesh.normals.empty(), has_colors = !mesh.colors.empty();
  const bool y_up = up == UpAxis::kY;
  const auto oriented = [y_up](const std::array<float, 3>& v) { return y_up ? z_up_to_y_up(v) : v; };
  std::string out =
      "ply\n"
      "format binary_little_endian 1.0\n"
      "comment Shape Studio mesh: " + std::string(y_up ? "+Y up (Shap-E's +Z)" : "+Z up, as Shap-E's own files") +
      "; red green blue are sRGB-encoded bytes, round(srgb(linear colour) * 255)\n"
      "comment up_axis " + (y_up ? "Y" : "Z") + "\n"
      "comment color_encoding sRGB\n"
      "element vertex " + std::to_string(mesh.positions.size()) + "\n"
      "property float x\nproperty float y\nproperty float z\n";
  if (has_normals) out += "property float nx\nproperty float ny\nproperty float nz\n";
  if (has_colors) out += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  out += "element face " + std::to_string(mesh.triangles.size()) + "\n";
  out += "property list uchar int vertex_index\nend_header\n";

  const size_t vertex_bytes = 12 + (has_normals ? 12 : 0) + (has_colors ? 3 : 0);
  out.reserve(out.size() + mesh.positions.size() * vertex_bytes + mesh.triangles.size() * 13);
  for (size_t v = 0; v < mesh.positions.size(); ++v) {
    for (float c : oriented(mesh.positions[v])) append_f32_le(out, c);
    if (has_normals) {
      for (float c : oriented(mesh.normals[v])) append_f32_le(out, c);
    }
    if (has_colors) {
      for (float c : mesh.colors[v]) out.push_back(static_cast<char>(ply_color_byte(c)));
    }
  }
  for (const auto& triangle : mesh.triangles) {
    out.push_back(3);
    for (uint32_t index : triangle) append_u32_le(out, index);
  }
  return out;
}

Mesh read_ply(const std::filesystem::path& path) {
  PlyParser parser(read_whole_file(path), path);
  Mesh mesh;
  bool have_vertices = false;
  for (const auto& element : parser.header().elements) {
    if (element.name == "vertex") {
      read_vertices(parser, element, mesh);
      have_vertices = true;
    } else if (element.name == "face") {
      if (!have_vertices) parser.fail("faces come before the vertices");
      read_faces(parser, element, mesh);
    } else {
      skip_element(parser, element);
    }
  }
  if (!have_vertices) parser.fail("no vertex element");
  if (parser.header().y_up) {
    for (auto& p : mesh.positions) p = y_up_to_z_up(p);
    for (auto& n : mesh.normals) n = y_up_to_z_up(n);
  }
  if (parser.header().srgb_colors) {
    for (auto& color : mesh.colors) {
      for (float& c : color) c = srgb_to_linear(c);
    }
  }
  return mesh;
}

}  // namespace shape
