#include "cairn/dicom/uid.hpp"

#include <algorithm>
#include <random>

namespace cairn::dicom {

std::string uuid_to_uid(const std::array<uint8_t, 16>& uuid) {
  // Decimal digits of the 128-bit number by repeated division by 10, most significant byte first.
  std::array<uint8_t, 16> number = uuid;
  std::string digits;
  while (std::any_of(number.begin(), number.end(), [](uint8_t b) { return b != 0; })) {
    unsigned remainder = 0;
    for (uint8_t& byte : number) {
      const unsigned value = remainder << 8 | byte;
      byte = uint8_t(value / 10);
      remainder = value % 10;
    }
    digits.push_back(char('0' + remainder));
  }
  if (digits.empty()) digits = "0";
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

std::string make_uid() {
  static thread_local std::random_device device;
  std::array<uint8_t, 16> uuid;
  for (size_t i = 0; i < uuid.size(); i += 4) {
    const uint32_t r = device();
    for (size_t b = 0; b < 4; ++b) uuid[i + b] = uint8_t(r >> (8 * b));
  }
  uuid[6] = uint8_t((uuid[6] & 0x0F) | 0x40);  // version 4
  uuid[8] = uint8_t((uuid[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return uuid_to_uid(uuid);
}

bool is_valid_uid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  size_t start = 0;
  while (true) {
    size_t end = uid.find('.', start);
    if (end == std::string::npos) end = uid.size();
    const size_t length = end - start;
    if (length == 0) return false;
    for (size_t i = start; i < end; ++i) {
      if (uid[i] < '0' || uid[i] > '9') return false;
    }
    if (length > 1 && uid[start] == '0') return false;
    if (end == uid.size()) return true;
    start = end + 1;
  }
}

}  // namespace cairn::dicom
