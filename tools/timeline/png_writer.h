// SPDX-License-Identifier: MIT
// A minimal PNG encoder (ISO/IEC 15948, "PNG (Portable Network Graphics) Specification"):
// 8-bit RGB, no interlace, filter type 0 on every row, the image data deflated with zlib and
// each chunk closed by its CRC-32. Enough for the timeline pictures; no reader.
#pragma once

#include "tools/timeline/image.h"

#include <string>
#include <vector>

namespace timeline {

/// The PNG file bytes of `img`.
std::vector<u8> encode_png(const Image& img);
/// Writes `img` to `path`; returns an error message, empty on success.
std::string write_png(const Image& img, const std::string& path);

} // namespace timeline
