// Reads a YAML mapping key by key and reports keys nobody asked for, so a typo or an unsupported
// option in a config is an error that names the key instead of being silently ignored.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "inference/config/config_error.h"

namespace shape {

class StrictYamlMap {
 public:
  // `where` names the mapping in messages, e.g. "text300M.yaml: inner".
  StrictYamlMap(YAML::Node node, std::string where);

  bool has(const std::string& key) const;
  YAML::Node child(const std::string& key) const;  // required mapping/sequence node

  template <typename T>
  T required(const std::string& key) const;
  template <typename T>
  T optional(const std::string& key, const T& fallback) const;

  // Throws ConfigError listing every key that was never read.
  void reject_unknown_keys() const;
  const std::string& where() const { return where_; }

 private:
  template <typename T>
  T convert(const std::string& key, const YAML::Node& value) const;

  YAML::Node node_;
  std::string where_;
  mutable std::set<std::string> used_;
};

// Parses YAML text; errors name `source_name` and the line.
YAML::Node parse_yaml_text(const std::string& text, const std::string& source_name);
// Parses a YAML file; errors name the file and the line.
YAML::Node load_yaml_file(const std::string& path);

// Throws ConfigError "<where>: '<key>' must be positive, got <value>".
void require_positive(int64_t value, const std::string& where, const std::string& key);

template <typename T>
T StrictYamlMap::convert(const std::string& key, const YAML::Node& value) const {
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(where_ + ": key '" + key + "' has a value of the wrong type (line " +
                      std::to_string(value.Mark().line + 1) + ")");
  }
}

template <typename T>
T StrictYamlMap::required(const std::string& key) const {
  if (!has(key)) throw ConfigError(where_ + ": missing required key '" + key + "'");
  used_.insert(key);
  return convert<T>(key, node_[key]);
}

template <typename T>
T StrictYamlMap::optional(const std::string& key, const T& fallback) const {
  if (!has(key)) return fallback;
  used_.insert(key);
  return convert<T>(key, node_[key]);
}

}  // namespace shape
