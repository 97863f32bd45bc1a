#include "inference/checkpoint/json_parser.h"

#include <charconv>
#include <cstdio>
#include <unordered_set>

#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {

namespace {
constexpr int kMaxDepth = 64;  // recursion bound; a safetensors header nests 3 deep

const char* type_name(JsonValue::Type type) {
  switch (type) {
    case JsonValue::Type::Null: return "null";
    case JsonValue::Type::Bool: return "a boolean";
    case JsonValue::Type::Number: return "a number";
    case JsonValue::Type::String: return "a string";
    case JsonValue::Type::Array: return "an array";
    case JsonValue::Type::Object: return "an object";
  }
  return "a value";
}

FormatError wrong_type(JsonValue::Type actual, const char* expected) {
  return FormatError(std::string("JSON value is ") + type_name(actual) + ", expected " + expected);
}
}  // namespace

bool JsonValue::as_bool() const {
  if (type_ != Type::Bool) throw wrong_type(type_, "a boolean");
  return bool_;
}

double JsonValue::as_double() const {
  if (type_ != Type::Number) throw wrong_type(type_, "a number");
  return number_;
}

int64_t JsonValue::as_int64() const {
  if (type_ != Type::Number) throw wrong_type(type_, "an integer");
  if (!integer_) throw FormatError("JSON number is not an integer that fits in 64 bits");
  return *integer_;
}

const std::string& JsonValue::as_string() const {
  if (type_ != Type::String) throw wrong_type(type_, "a string");
  return string_;
}

const std::vector<JsonValue>& JsonValue::as_array() const {
  if (type_ != Type::Array) throw wrong_type(type_, "an array");
  return array_;
}

const std::vector<JsonValue::Member>& JsonValue::as_object() const {
  if (type_ != Type::Object) throw wrong_type(type_, "an object");
  return object_;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const Member& member : object_) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

const JsonValue& JsonValue::at(std::string_view key) const {
  if (type_ != Type::Object) throw wrong_type(type_, "an object");
  if (const JsonValue* value = find(key)) return *value;
  throw FormatError("JSON object has no member '" + std::string(key) + "'");
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  JsonValue parse_document() {
    skip_whitespace();
    JsonValue value = parse_value(0);
    skip_whitespace();
    if (position_ != text_.size()) fail("unexpected text after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw FormatError("invalid JSON at byte " + std::to_string(position_) + ": " + why);
  }

  bool at_end() const { return position_ >= text_.size(); }
  // '\0' at the end, which no check below accepts, so callers need no separate end test.
  char peek() const { return at_end() ? '\0' : text_[position_]; }

  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++position_;
  }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++position_;
  }

  void expect_literal(std::string_view literal) {
    if (text_.substr(position_, literal.size()) != literal) fail("invalid literal");
    position_ += literal.size();
  }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) fail("nested too deeply");
    JsonValue value;
    if (at_end()) fail("unexpected end of input");
    switch (peek()) {
      case '{': parse_object(value, depth); break;
      case '[': parse_array(value, depth); break;
      case '"':
        value.type_ = JsonValue::Type::String;
        value.string_ = parse_string();
        break;
      case 't':
        expect_literal("true");
        value.type_ = JsonValue::Type::Bool;
        value.bool_ = true;
        break;
      case 'f':
        expect_literal("false");
        value.type_ = JsonValue::Type::Bool;
        break;
      case 'n': expect_literal("null"); break;
      default: parse_number(value); break;
    }
    return value;
  }

  void parse_object(JsonValue& value, int depth) {
    value.type_ = JsonValue::Type::Object;
    expect('{');
    skip_whitespace();
    if (peek() == '}') {
      ++position_;
      return;
    }
    std::unordered_set<std::string> keys;
    while (true) {
      skip_whitespace();
      if (peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      if (!keys.insert(key).second) fail("duplicate key '" + key + "'");
      skip_whitespace();
      expect(':');
      skip_whitespace();
      JsonValue member = parse_value(depth + 1);
      value.object_.push_back({std::move(key), std::move(member)});
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void parse_array(JsonValue& value, int depth) {
    value.type_ = JsonValue::Type::Array;
    expect('[');
    skip_whitespace();
    if (peek() == ']') {
      ++position_;
      return;
    }
    while (true) {
      skip_whitespace();
      value.array_.push_back(parse_value(depth + 1));
      skip_whitespace();
      if (peek() == ',') {
        ++position_;
        continue;
      }
      expect(']');
      return;
    }
  }

  void parse_number(JsonValue& value) {
    const size_t start = position_;
    bool integral = true;
    if (peek() == '-') ++position_;
    if (peek() == '0') {
      ++position_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++position_;
    } else {
      fail("unexpected character");
    }
    if (peek() == '.') {
      integral = false;
      ++position_;
      if (!(peek() >= '0' && peek() <= '9')) fail("digit expected after '.'");
      while (peek() >= '0' && peek() <= '9') ++position_;
    }
    if ((peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++position_;
      if ((peek() == '+' || peek() == '-')) ++position_;
      if (!(peek() >= '0' && peek() <= '9')) fail("digit expected in exponent");
      while (peek() >= '0' && peek() <= '9') ++position_;
    }
    const char* begin = text_.data() + start;
    const char* end = text_.data() + position_;
    value.type_ = JsonValue::Type::Number;
    // from_chars: locale-independent and correctly rounded.
    const auto [double_end, double_error] = std::from_chars(begin, end, value.number_);
    if (double_error == std::errc::result_out_of_range) fail("number out of range");
    if (double_error != std::errc() || double_end != end) fail("malformed number");
    if (integral) {
      int64_t integer = 0;
      const auto [int_end, int_error] = std::from_chars(begin, end, integer);
      if (int_error == std::errc() && int_end == end) value.integer_ = integer;
    }
  }

  void append_utf8(std::string& out, uint32_t code_point) {
    if (code_point < 0x80) {
      out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
      out += static_cast<char>(0xC0 | (code_point >> 6));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
      out += static_cast<char>(0xE0 | (code_point >> 12));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code_point >> 18));
      out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
  }

  uint32_t parse_hex4() {
    if (text_.size() - position_ < 4) fail("truncated \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        fail("bad hex digit in \\u escape");
      }
    }
    return value;
  }

  // Copies one UTF-8 encoded character, rejecting overlong forms, surrogates and stray bytes.
  void copy_utf8_character(std::string& out) {
    const auto lead = static_cast<unsigned char>(text_[position_]);
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code_point = lead & 0x1F;
      minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code_point = lead & 0x0F;
      minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      fail("invalid UTF-8");
    }
    if (text_.size() - position_ < length) fail("truncated UTF-8 character");
    for (size_t i = 1; i < length; ++i) {
      const auto next = static_cast<unsigned char>(text_[position_ + i]);
      if ((next & 0xC0) != 0x80) fail("invalid UTF-8");
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      fail("invalid UTF-8");
    }
    out.append(text_.substr(position_, length));
    position_ += length;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(text_[position_]);
      if (c == '"') {
        ++position_;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c >= 0x80) {
        copy_utf8_character(out);
        continue;
      }
      ++position_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (at_end()) fail("unterminated escape");
      const char escape = text_[position_++];
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code_point = parse_hex4();
          if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // a high surrogate needs its low half
            if (text_.substr(position_, 2) != "\\u") fail("unpaired surrogate");
            position_ += 2;
            const uint32_t low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate");
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          } else if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
            fail("unpaired surrogate");
          }
          append_utf8(out, code_point);
          break;
        }
        default: fail("invalid escape");
      }
    }
  }

  std::string_view text_;
  size_t position_ = 0;
};

JsonValue parse_json(std::string_view text) { return JsonParser(text).parse_document(); }

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

}  // namespace shape::checkpoint_detail
