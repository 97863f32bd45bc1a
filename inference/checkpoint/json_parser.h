// A small strict JSON (RFC 8259) parser for safetensors headers, generate's manifest.jsonl (and the
// golden-file manifest in tests), and the string quoting JSON writers use. Object members keep their
// order; duplicate keys, trailing commas, comments, invalid UTF-8 and nesting deeper than a fixed
// bound are errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shape::checkpoint_detail {

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  struct Member;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // These throw FormatError when the value has another type.
  bool as_bool() const;
  double as_double() const;
  // Only for numbers written as integers (no fraction or exponent) that fit.
  int64_t as_int64() const;
  const std::string& as_string() const;
  const std::vector<JsonValue>& as_array() const;
  const std::vector<Member>& as_object() const;

  // Object member lookup; nullptr if absent (or this is not an object).
  const JsonValue* find(std::string_view key) const;
  // Throws FormatError naming the key if it is absent.
  const JsonValue& at(std::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::optional<int64_t> integer_;  // set when the number was written as an integer that fits
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<Member> object_;
};

struct JsonValue::Member {
  std::string key;
  JsonValue value;
};

// Parses exactly one JSON value surrounded by optional whitespace. Throws FormatError with the byte
// offset of the problem.
JsonValue parse_json(std::string_view text);

// `text` as a JSON string, quotes included ("\"" and "\\" escaped, control characters as \u00XX).
// The writers' counterpart: safetensors headers, generate's manifest.jsonl.
std::string json_string(std::string_view text);

}  // namespace shape::checkpoint_detail
