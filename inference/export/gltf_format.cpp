#include "inference/export/gltf_format.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

// tinygltf is a shared library here: include the declarations only (no TINYGLTF_IMPLEMENTATION).
#include <tiny_gltf.h>

#include "inference/export/axis_convention.h"
#include "inference/export/file_io.h"
#include "inference/export/mesh_import.h"

namespace shape {
namespace {

using Vec3 = std::array<float, 3>;

// Appends raw bytes to the buffer, starting on a 4-byte boundary as glTF requires of vertex data.
size_t append_aligned(std::vector<unsigned char>& buffer, const void* data, size_t size) {
  buffer.resize((buffer.size() + 3) / 4 * 4, 0);
  const size_t offset = buffer.size();
  const auto* bytes = static_cast<const unsigned char*>(data);
  buffer.insert(buffer.end(), bytes, bytes + size);
  return offset;
}

// Adds a buffer view over `data` and an accessor for it; returns the accessor index.
int add_accessor(tinygltf::Model& model, const void* data, size_t size, size_t count, int component_type, int type,
                 int target) {
  tinygltf::BufferView view;
  view.buffer = 0;
  view.byteOffset = append_aligned(model.buffers[0].data, data, size);
  view.byteLength = size;
  view.target = target;
  model.bufferViews.push_back(view);

  tinygltf::Accessor accessor;
  accessor.bufferView = static_cast<int>(model.bufferViews.size()) - 1;
  accessor.componentType = component_type;
  accessor.count = count;
  accessor.type = type;
  model.accessors.push_back(accessor);
  return static_cast<int>(model.accessors.size()) - 1;
}

int add_vec3_attribute(tinygltf::Model& model, const std::vector<Vec3>& values) {
  return add_accessor(model, values.data(), values.size() * sizeof(Vec3), values.size(),
                      TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, TINYGLTF_TARGET_ARRAY_BUFFER);
}

template <typename Index>
int add_indices(tinygltf::Model& model, const Mesh& mesh, int component_type) {
  std::vector<Index> indices;
  indices.reserve(mesh.triangles.size() * 3);
  for (const auto& triangle : mesh.triangles) {
    for (uint32_t v : triangle) indices.push_back(static_cast<Index>(v));
  }
  return add_accessor(model, indices.data(), indices.size() * sizeof(Index), indices.size(), component_type,
                      TINYGLTF_TYPE_SCALAR, TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER);
}

tinygltf::Material vertex_color_material() {
  tinygltf::Material material;
  material.name = "vertex_colors";
  material.pbrMetallicRoughness.baseColorFactor = {1.0, 1.0, 1.0, 1.0};  // COLOR_0 multiplies it
  material.pbrMetallicRoughness.metallicFactor = 0.0;
  material.pbrMetallicRoughness.roughnessFactor = 1.0;
  material.doubleSided = true;
  return material;
}

tinygltf::Model build_model(const Mesh& mesh) {
  tinygltf::Model model;
  model.asset.version = "2.0";
  model.asset.generator = "Shape Studio";
  model.buffers.emplace_back();

  std::vector<Vec3> positions(mesh.positions.size());
  std::transform(mesh.positions.begin(), mesh.positions.end(), positions.begin(), z_up_to_y_up);
  tinygltf::Primitive primitive;
  primitive.mode = TINYGLTF_MODE_TRIANGLES;
  primitive.attributes["POSITION"] = add_vec3_attribute(model, positions);
  auto& position_accessor = model.accessors.back();
  position_accessor.minValues.assign(3, std::numeric_limits<double>::infinity());
  position_accessor.maxValues.assign(3, -std::numeric_limits<double>::infinity());
  for (const Vec3& p : positions) {
    for (int a = 0; a < 3; ++a) {
      position_accessor.minValues[a] = std::min<double>(position_accessor.minValues[a], p[a]);
      position_accessor.maxValues[a] = std::max<double>(position_accessor.maxValues[a], p[a]);
    }
  }

  if (!mesh.normals.empty()) {
    std::vector<Vec3> normals(mesh.normals.size());
    std::transform(mesh.normals.begin(), mesh.normals.end(), normals.begin(), z_up_to_y_up);
    primitive.attributes["NORMAL"] = add_vec3_attribute(model, normals);
  }
  if (!mesh.colors.empty()) {
    std::vector<Vec3> colors(mesh.colors.size());
    std::transform(mesh.colors.begin(), mesh.colors.end(), colors.begin(), [](const Vec3& c) {
      return Vec3{std::clamp(c[0], 0.0f, 1.0f), std::clamp(c[1], 0.0f, 1.0f), std::clamp(c[2], 0.0f, 1.0f)};
    });
    primitive.attributes["COLOR_0"] = add_vec3_attribute(model, colors);
  }
  // glTF forbids the largest value of the index type (primitive restart), hence the strict bound.
  primitive.indices = mesh.positions.size() <= std::numeric_limits<uint16_t>::max()
                          ? add_indices<uint16_t>(model, mesh, TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT)
                          : add_indices<uint32_t>(model, mesh, TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT);
  model.buffers[0].data.resize((model.buffers[0].data.size() + 3) / 4 * 4, 0);

  model.materials.push_back(vertex_color_material());
  primitive.material = 0;
  tinygltf::Mesh gltf_mesh;
  gltf_mesh.name = "shape";
  gltf_mesh.primitives.push_back(primitive);
  model.meshes.push_back(gltf_mesh);

  tinygltf::Node node;
  node.name = "shape";
  node.mesh = 0;
  model.nodes.push_back(node);
  tinygltf::Scene scene;
  scene.nodes.push_back(0);
  model.scenes.push_back(scene);
  model.defaultScene = 0;
  return model;
}

std::string serialize(const tinygltf::Model& model, bool binary) {
  tinygltf::TinyGLTF writer;
  std::ostringstream stream;
  if (!writer.WriteGltfSceneToStream(&model, stream, /*prettyPrint=*/!binary, binary) || !stream) {
    throw std::runtime_error("tinygltf could not serialize the mesh");
  }
  return stream.str();
}

// ---- Reading ----

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
  throw ImportError("cannot read glTF '" + path.string() + "': " + problem);
}

// The elements of an accessor (normalized integers mapped to [0, 1]), `components` numbers each.
// Doubles hold every uint32 index exactly.
std::vector<double> accessor_values(const tinygltf::Model& model, int index, const std::filesystem::path& path,
                                   int* components) {
  if (index < 0 || index >= static_cast<int>(model.accessors.size())) fail(path, "bad accessor index");
  const tinygltf::Accessor& accessor = model.accessors[static_cast<size_t>(index)];
  if (accessor.sparse.isSparse) fail(path, "sparse accessors are not supported");
  *components = tinygltf::GetNumComponentsInType(static_cast<uint32_t>(accessor.type));
  const int component_size = tinygltf::GetComponentSizeInBytes(static_cast<uint32_t>(accessor.componentType));
  if (*components <= 0 || component_size <= 0) fail(path, "bad accessor type");
  std::vector<double> values(accessor.count * static_cast<size_t>(*components), 0.0);
  if (accessor.bufferView < 0) return values;  // all zeros by definition

  const tinygltf::BufferView& view = model.bufferViews.at(static_cast<size_t>(accessor.bufferView));
  const std::vector<unsigned char>& buffer = model.buffers.at(static_cast<size_t>(view.buffer)).data;
  const size_t element_size = static_cast<size_t>(*components * component_size);
  const size_t stride = view.byteStride ? view.byteStride : element_size;
  const size_t start = view.byteOffset + accessor.byteOffset;
  if (accessor.count > 0 && (start + (accessor.count - 1) * stride + element_size > buffer.size() ||
                             start + (accessor.count - 1) * stride + element_size > view.byteOffset + view.byteLength)) {
    fail(path, "an accessor runs past its buffer");
  }
  for (size_t i = 0; i < accessor.count; ++i) {
    const unsigned char* element = buffer.data() + start + i * stride;
    for (int c = 0; c < *components; ++c) {
      const unsigned char* bytes = element + c * component_size;
      double value = 0.0;
      switch (accessor.componentType) {
        case TINYGLTF_COMPONENT_TYPE_FLOAT: { float v; std::memcpy(&v, bytes, 4); value = v; break; }
        case TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE: value = bytes[0]; break;
        case TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT: { uint16_t v; std::memcpy(&v, bytes, 2); value = v; break; }
        case TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT: { uint32_t v; std::memcpy(&v, bytes, 4); value = v; break; }
        default: fail(path, "unsupported component type " + std::to_string(accessor.componentType));
      }
      if (accessor.normalized && accessor.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE) value /= 255.0;
      if (accessor.normalized && accessor.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT) value /= 65535.0;
      values[i * static_cast<size_t>(*components) + static_cast<size_t>(c)] = value;
    }
  }
  return values;
}

std::vector<Vec3> accessor_vec3s(const tinygltf::Model& model, int index, const std::filesystem::path& path,
                                 bool from_y_up) {
  int components = 0;
  const std::vector<double> values = accessor_values(model, index, path, &components);
  if (components < 3) fail(path, "expected a VEC3 or VEC4 attribute");
  std::vector<Vec3> result(values.size() / static_cast<size_t>(components));
  for (size_t i = 0; i < result.size(); ++i) {
    const double* v = &values[i * static_cast<size_t>(components)];
    const Vec3 value = {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])};
    result[i] = from_y_up ? y_up_to_z_up(value) : value;
  }
  return result;
}

// Appends one triangle primitive to `mesh`; attributes missing in some primitives are filled in.
void append_primitive(const tinygltf::Model& model, const tinygltf::Primitive& primitive,
                      const std::filesystem::path& path, Mesh& mesh, bool& has_normals, bool& has_colors) {
  const auto attribute = [&](const char* name) {
    const auto found = primitive.attributes.find(name);
    return found == primitive.attributes.end() ? -1 : found->second;
  };
  const int position_index = attribute("POSITION");
  if (position_index < 0) fail(path, "a primitive has no POSITION");
  const std::vector<Vec3> positions = accessor_vec3s(model, position_index, path, true);
  const size_t base = mesh.positions.size();
  mesh.positions.insert(mesh.positions.end(), positions.begin(), positions.end());

  const int normal_index = attribute("NORMAL");
  std::vector<Vec3> normals = normal_index >= 0 ? accessor_vec3s(model, normal_index, path, true)
                                                : std::vector<Vec3>(positions.size(), Vec3{0, 0, 1});
  const int color_index = attribute("COLOR_0");
  std::vector<Vec3> colors = color_index >= 0 ? accessor_vec3s(model, color_index, path, false)
                                              : std::vector<Vec3>(positions.size(), Vec3{1, 1, 1});
  if (normals.size() != positions.size() || colors.size() != positions.size()) {
    fail(path, "attribute counts of a primitive differ");
  }
  has_normals = has_normals || normal_index >= 0;
  has_colors = has_colors || color_index >= 0;
  mesh.normals.insert(mesh.normals.end(), normals.begin(), normals.end());
  mesh.colors.insert(mesh.colors.end(), colors.begin(), colors.end());

  std::vector<double> indices;
  if (primitive.indices >= 0) {
    int components = 0;
    indices = accessor_values(model, primitive.indices, path, &components);
    if (components != 1) fail(path, "indices must be scalars");
  } else {
    for (size_t i = 0; i < positions.size(); ++i) indices.push_back(static_cast<double>(i));
  }
  if (indices.size() % 3 != 0) fail(path, "the index count is not a multiple of 3");
  for (size_t i = 0; i < indices.size(); i += 3) {
    std::array<uint32_t, 3> triangle;
    for (int k = 0; k < 3; ++k) {
      const double index = indices[i + static_cast<size_t>(k)];
      if (index < 0 || index >= static_cast<double>(positions.size())) fail(path, "an index is out of range");
      triangle[static_cast<size_t>(k)] = static_cast<uint32_t>(base + static_cast<size_t>(index));
    }
    mesh.triangles.push_back(triangle);
  }
}

}  // namespace

std::string encode_glb(const Mesh& mesh) { return serialize(build_model(mesh), /*binary=*/true); }

GltfFiles encode_gltf(const Mesh& mesh, const std::string& bin_uri) {
  tinygltf::Model model = build_model(mesh);
  GltfFiles files;
  files.bin.assign(model.buffers[0].data.begin(), model.buffers[0].data.end());
  // tinygltf's stream writer embeds buffers as a base64 data URI, and its file writer writes the .bin
  // itself (not atomically, without error checks). So serialize to memory with the data URI and
  // replace that URI, which is plain base64 inside one JSON string, by the .bin's name.
  std::string json = serialize(model, /*binary=*/false);
  const std::string data_uri_prefix = "\"data:application/octet-stream;base64,";
  const size_t begin = json.find(data_uri_prefix);
  const size_t end = begin == std::string::npos ? begin : json.find('"', begin + 1);
  if (end == std::string::npos) throw std::runtime_error("tinygltf wrote no buffer data URI");
  json.replace(begin, end + 1 - begin, "\"" + bin_uri + "\"");
  files.json = std::move(json);
  return files;
}

Mesh read_gltf(const std::filesystem::path& path) {
  const std::string bytes = read_whole_file(path);
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string error, warning;
  const std::string base_dir = path.has_parent_path() ? path.parent_path().string() : ".";
  const bool binary = bytes.size() >= 4 && bytes.compare(0, 4, "glTF") == 0;
  const bool loaded =
      binary ? loader.LoadBinaryFromMemory(&model, &error, &warning,
                                           reinterpret_cast<const unsigned char*>(bytes.data()),
                                           static_cast<unsigned int>(bytes.size()), base_dir)
             : loader.LoadASCIIFromString(&model, &error, &warning, bytes.data(),
                                          static_cast<unsigned int>(bytes.size()), base_dir);
  if (!loaded) fail(path, error.empty() ? "tinygltf could not parse it" : error);

  Mesh mesh;
  bool has_normals = false, has_colors = false;
  for (const auto& gltf_mesh : model.meshes) {
    for (const auto& primitive : gltf_mesh.primitives) {
      if (primitive.mode != TINYGLTF_MODE_TRIANGLES && primitive.mode != -1) continue;
      append_primitive(model, primitive, path, mesh, has_normals, has_colors);
    }
  }
  if (!has_normals) mesh.normals.clear();
  if (!has_colors) mesh.colors.clear();
  return mesh;
}

}  // namespace shape
