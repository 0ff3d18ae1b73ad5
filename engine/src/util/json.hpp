// A small strict JSON reader and writer for model metadata (RFC 8259: no comments, no trailing commas, no NaN,
// no duplicate object keys), bounded in size and nesting so that a hostile model file cannot exhaust the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/status.hpp"

namespace cairn::json {

struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  // User-provided, so that std::pair<std::string, Value> (members, below) can be instantiated while Value is still
  // incomplete: with a defaulted one, clang with libstdc++ checks whether Value is implicitly default-constructible
  // there, which needs the incomplete pair (a compile error in the fuzz preset's clang build).
  Value() {}  // NOLINT(modernize-use-equals-default)
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> items;                            // kArray
  std::vector<std::pair<std::string, Value>> members;  // kObject, in document order

  bool is(Kind k) const { return kind == k; }
  // The member with this key, or nullptr (also when this is not an object).
  const Value* find(std::string_view key) const;
};

struct Limits {
  size_t max_bytes = 64 * 1024;
  int max_depth = 16;  // arrays and objects nested in each other
};

// Parses a whole document (surrounding whitespace allowed). Errors say what is wrong and at which byte.
Result<Value> parse(std::string_view text, const Limits& limits = {});

// A JSON string literal with quotes, escaping what RFC 8259 requires (and DEL); UTF-8 passes through.
std::string quote(std::string_view text);
// The shortest decimal text that reads back as the same float ("0.5", "-212", "1e-06"); finite values only.
std::string format_float(float value);

}  // namespace cairn::json
