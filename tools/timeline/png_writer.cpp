// SPDX-License-Identifier: MIT
// The PNG encoder (png_writer.h): signature, IHDR, one IDAT, IEND.
#include "tools/timeline/png_writer.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace timeline {
namespace {

void put_be32(std::vector<u8>& out, u32 v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<u8>(v >> shift));
    }
}

/// Appends a chunk: length, type, data, CRC-32 over type and data.
void chunk(std::vector<u8>& out, const char type[4], const std::vector<u8>& data) {
    put_be32(out, static_cast<u32>(data.size()));
    const std::size_t type_at = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), out.data() + type_at,
                            static_cast<uInt>(4 + data.size()));
    put_be32(out, static_cast<u32>(crc));
}

} // namespace

std::vector<u8> encode_png(const Image& img) {
    static constexpr u8 kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::vector<u8> out(kSignature, kSignature + 8);

    std::vector<u8> ihdr;
    put_be32(ihdr, img.width());
    put_be32(ihdr, img.height());
    ihdr.push_back(8); // bits per channel
    ihdr.push_back(2); // colour type: RGB
    ihdr.push_back(0); // compression: deflate
    ihdr.push_back(0); // filter method 0
    ihdr.push_back(0); // no interlace
    chunk(out, "IHDR", ihdr);

    // Each scanline starts with its filter type; 0 (None) keeps the encoder trivial, and the
    // timeline's long runs of one colour deflate well without prediction.
    const std::size_t row = std::size_t{img.width()} * 3;
    std::vector<u8> raw;
    raw.reserve((row + 1) * img.height());
    for (unsigned y = 0; y < img.height(); ++y) {
        raw.push_back(0);
        const u8* p = img.pixels().data() + y * row;
        raw.insert(raw.end(), p, p + row);
    }
    uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
    std::vector<u8> idat(zlen);
    if (compress2(idat.data(), &zlen, raw.data(), static_cast<uLong>(raw.size()), 9) != Z_OK) {
        return {};
    }
    idat.resize(zlen);
    chunk(out, "IDAT", idat);
    chunk(out, "IEND", {});
    return out;
}

std::string write_png(const Image& img, const std::string& path) {
    const std::vector<u8> bytes = encode_png(img);
    if (bytes.empty()) {
        return "zlib could not compress the image";
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        return "cannot open '" + path + "' for writing: " + std::strerror(errno);
    }
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) {
        return "cannot write '" + path + "'";
    }
    return {};
}

} // namespace timeline
