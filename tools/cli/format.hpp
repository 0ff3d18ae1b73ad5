// Numbers, sizes and strings as the cairn command prints them, in text and in JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/engine.hpp"

namespace cairn::cli {

std::string with_thousands(int64_t value);      // 7759521 -> "7,759,521"
std::string fixed(double value, int decimals);  // printf("%.*f")
std::string megabytes(uint64_t bytes);          // "12.3 MB" (MB = 2^20 bytes)
std::string human_bytes(uint64_t bytes);        // "512 bytes", "4.8 KB", "12.3 MB", "1.25 GB" (powers of 2)
std::string gigaflops(double flops);            // "12.35 G"
// Control characters (terminal escapes in a hostile model's strings) shown as '?'.
std::string printable(const std::string& text);
std::string join(const std::vector<std::string>& items, const std::string& separator);

// JSON pieces: a quoted, escaped string (invalid UTF-8 replaced by U+FFFD), a number (null when not finite),
// a shape as an array of integers.
std::string json_string(const std::string& text);
std::string json_number(double value);
std::string json_shape(const Shape& shape);

}  // namespace cairn::cli
