#include "inference/config/strict_yaml_map.h"

#include <fstream>
#include <sstream>

namespace shape {

StrictYamlMap::StrictYamlMap(YAML::Node node, std::string where)
    : node_(std::move(node)), where_(std::move(where)) {
  if (!node_.IsMap()) throw ConfigError(where_ + ": expected a mapping of keys to values");
}

bool StrictYamlMap::has(const std::string& key) const { return bool(node_[key]); }

YAML::Node StrictYamlMap::child(const std::string& key) const {
  if (!has(key)) throw ConfigError(where_ + ": missing required key '" + key + "'");
  used_.insert(key);
  return node_[key];
}

void StrictYamlMap::reject_unknown_keys() const {
  std::string unknown;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) {  // e.g. "? [a, b]: c" or "{a: b}: c"
      throw ConfigError(where_ + ": a key that is not a name (line " + std::to_string(entry.first.Mark().line + 1) + ")");
    }
    auto key = entry.first.as<std::string>();
    if (!used_.count(key)) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
  }
  if (!unknown.empty()) throw ConfigError(where_ + ": unknown key(s) " + unknown);
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& source_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot open config file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return parse_yaml_text(text.str(), path);
}

void require_positive(int64_t value, const std::string& where, const std::string& key) {
  if (value <= 0) throw ConfigError(where + ": '" + key + "' must be positive, got " + std::to_string(value));
}

}  // namespace shape
