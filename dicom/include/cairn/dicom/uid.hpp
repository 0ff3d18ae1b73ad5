// Fresh DICOM UIDs under the 2.25 root (PS3.5 B.2): "2.25." followed by a random (version 4) UUID written as one
// decimal integer, at most 44 characters. No organisation root needs registering.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace cairn::dicom {

std::string make_uid();
// The UID of a given UUID (16 bytes, most significant first).
std::string uuid_to_uid(const std::array<uint8_t, 16>& uuid);
// True when `uid` is 1 to 64 characters of digits and dots, without empty components or leading zeros.
bool is_valid_uid(const std::string& uid);

}  // namespace cairn::dicom
