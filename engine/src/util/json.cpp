#include "util/json.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cairn::json {

const Value* Value::find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Result<Value> document() {
    if (text_.size() > limits_.max_bytes) {
      return invalid_argument("JSON text of " + std::to_string(text_.size()) + " bytes, more than the " +
                              std::to_string(limits_.max_bytes) + " allowed");
    }
    Value value;
    skip_space();
    CAIRN_RETURN_IF_ERROR(parse_value(value, 0));
    skip_space();
    if (pos_ != text_.size()) return error("unexpected text after the JSON value");
    return value;
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument("invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }
  bool consume_literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  Status parse_value(Value& out, int depth) {
    const char c = peek();
    if ((c == '{' || c == '[') && depth >= limits_.max_depth) {
      return error("nesting deeper than " + std::to_string(limits_.max_depth));
    }
    if (c == '{') return parse_object(out, depth);
    if (c == '[') return parse_array(out, depth);
    if (c == '"') {
      out.kind = Value::Kind::kString;
      return parse_string(out.string);
    }
    if (c == '-' || is_digit(c)) return parse_number(out);
    if (consume_literal("true")) {
      out.kind = Value::Kind::kBool;
      out.boolean = true;
      return Status::ok();
    }
    if (consume_literal("false")) {
      out.kind = Value::Kind::kBool;
      return Status::ok();
    }
    if (consume_literal("null")) {
      out.kind = Value::Kind::kNull;
      return Status::ok();
    }
    return error(at_end() ? "unexpected end" : "unexpected character");
  }

  Status parse_object(Value& out, int depth) {
    out.kind = Value::Kind::kObject;
    ++pos_;  // '{'
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return Status::ok();
    }
    while (true) {
      skip_space();
      if (peek() != '"') return error("expected a string key");
      std::string key;
      CAIRN_RETURN_IF_ERROR(parse_string(key));
      if (out.find(key) != nullptr) return error("duplicate key \"" + key + "\"");
      skip_space();
      if (peek() != ':') return error("expected ':'");
      ++pos_;
      skip_space();
      Value value;
      CAIRN_RETURN_IF_ERROR(parse_value(value, depth + 1));
      out.members.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Status::ok();
      }
      return error("expected ',' or '}'");
    }
  }

  Status parse_array(Value& out, int depth) {
    out.kind = Value::Kind::kArray;
    ++pos_;  // '['
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return Status::ok();
    }
    while (true) {
      skip_space();
      Value value;
      CAIRN_RETURN_IF_ERROR(parse_value(value, depth + 1));
      out.items.push_back(std::move(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return Status::ok();
      }
      return error("expected ',' or ']'");
    }
  }

  // The grammar of RFC 8259 section 6, then strtod on the validated text.
  Status parse_number(Value& out) {
    const size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++pos_;
    } else {
      return error("expected a digit");
    }
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(peek())) return error("expected a digit after '.'");
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) return error("expected a digit in the exponent");
      while (is_digit(peek())) ++pos_;
    }
    const std::string digits(text_.substr(start, pos_ - start));
    out.kind = Value::Kind::kNumber;
    out.number = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(out.number)) return error("number out of range");
    return Status::ok();
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += char(code);
    } else if (code < 0x800) {
      out += char(0xC0 | (code >> 6));
      out += char(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += char(0xE0 | (code >> 12));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    } else {
      out += char(0xF0 | (code >> 18));
      out += char(0x80 | ((code >> 12) & 0x3F));
      out += char(0x80 | ((code >> 6) & 0x3F));
      out += char(0x80 | (code & 0x3F));
    }
  }

  Status parse_hex4(uint32_t& code) {
    if (pos_ + 4 > text_.size()) return error("truncated \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      code <<= 4;
      if (is_digit(c)) {
        code |= uint32_t(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= uint32_t(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= uint32_t(c - 'A' + 10);
      } else {
        return error("bad hex digit in \\u escape");
      }
    }
    return Status::ok();
  }

  Status parse_string(std::string& out) {
    ++pos_;  // '"'
    while (true) {
      if (at_end()) return error("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::ok();
      }
      if (static_cast<unsigned char>(c) < 0x20) return error("control character in a string");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code = 0;
          CAIRN_RETURN_IF_ERROR(parse_hex4(code));
          if (code >= 0xD800 && code < 0xDC00) {
            uint32_t low = 0;
            if (!consume_literal("\\u")) return error("unpaired surrogate in \\u escape");
            CAIRN_RETURN_IF_ERROR(parse_hex4(low));
            if (low < 0xDC00 || low >= 0xE000) return error("unpaired surrogate in \\u escape");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            return error("unpaired surrogate in \\u escape");
          }
          append_utf8(out, code);
          break;
        }
        default:
          --pos_;
          return error("bad escape in a string");
      }
    }
  }

  std::string_view text_;
  Limits limits_;
  size_t pos_ = 0;
};

}  // namespace

Result<Value> parse(std::string_view text, const Limits& limits) { return Parser(text, limits).document(); }

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", unsigned(u));
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string format_float(float value) {
  char buffer[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, double(value));
    if (std::strtof(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace cairn::json
