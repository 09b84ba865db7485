// SPDX-License-Identifier: MIT
// Ring log files: the zlib-compressed writer and the reader (format in ring_file.h).
#include "tools/ringlog/ring_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ringlog {
namespace {

constexpr char kMagic[8] = {'T', 'X', '8', '6', 'R', 'I', 'N', 'G'};
/// Records per compressed chunk: about 1 MiB of input.
constexpr unsigned kChunkRecords = 10000;
constexpr std::size_t kChunkBytes = std::size_t{kChunkRecords} * kRecordSize;
/// Speed over size: level 1 keeps the compressor cheap, and records stored column by column
/// compress well even so (a Linux boot: about 4 bytes per event; level 6 saves a fifth more
/// at twice the time).
constexpr int kLevel = Z_BEST_SPEED;

u32 get_le32(const u8* p) { return u32{p[0]} | u32{p[1]} << 8 | u32{p[2]} << 16 | u32{p[3]} << 24; }

/// Chunk layout (on the compressor thread): the record count, then the records column by
/// column — byte 0 of every record, then byte 1... Neighbouring records differ in few bytes,
/// so columns are long runs that deflate faster and about twice as small as rows.
void pack_chunk(std::vector<u8>& chunk, std::vector<u8>& scratch) {
    const std::size_t n = chunk.size() / kRecordSize;
    scratch.resize(4 + chunk.size());
    for (unsigned i = 0; i < 4; ++i) {
        scratch[i] = static_cast<u8>(n >> (8 * i));
    }
    u8* dst = scratch.data() + 4;
    // Blocks of records at a time keep both sides of the transposition in the cache.
    constexpr std::size_t kBlock = 64;
    for (std::size_t b = 0; b < n; b += kBlock) {
        const std::size_t e = std::min(n, b + kBlock);
        for (std::size_t k = 0; k < kRecordSize; ++k) {
            for (std::size_t i = b; i < e; ++i) {
                dst[k * n + i] = chunk[i * kRecordSize + k];
            }
        }
    }
    chunk.swap(scratch);
}

/// The inverse: `n` records stored column by column at `cols` -> row by row at `rows`.
void untranspose(const u8* cols, std::size_t n, u8* rows) {
    constexpr std::size_t kBlock = 64;
    for (std::size_t b = 0; b < n; b += kBlock) {
        const std::size_t e = std::min(n, b + kBlock);
        for (std::size_t k = 0; k < kRecordSize; ++k) {
            for (std::size_t i = b; i < e; ++i) {
                rows[i * kRecordSize + k] = cols[k * n + i];
            }
        }
    }
}

} // namespace

RingFileWriter::RingFileWriter() = default;

RingFileWriter::~RingFileWriter() = default; // the compressor finishes the file if need be

std::string RingFileWriter::open(const std::string& path, const RingPosition& start) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        return "cannot open '" + path + "' for writing: " + std::strerror(errno);
    }
    u8 header[kHeaderSize] = {};
    std::memcpy(header, kMagic, sizeof kMagic);
    header[8] = static_cast<u8>(kFileVersion);
    header[9] = static_cast<u8>(kFileVersion >> 8);
    header[10] = static_cast<u8>(kRecordSize);
    header[11] = static_cast<u8>(kRecordSize >> 8);
    if (std::fwrite(header, 1, sizeof header, f) != sizeof header) {
        std::fclose(f);
        return "cannot write '" + path + "'";
    }
    m_compressor = std::make_unique<ChunkCompressor>(f, kLevel, pack_chunk);
    m_chunk.reserve(kChunkBytes);
    u8 rec[kRecordSize];
    encode_position(kStartKind, start, rec);
    append(rec);
    return {};
}

void RingFileWriter::write(const cpu::RingEvent& e) {
    u8 rec[kRecordSize];
    encode_event(e, rec);
    append(rec);
    ++m_events;
}

void RingFileWriter::append(const u8* record) {
    m_chunk.insert(m_chunk.end(), record, record + kRecordSize);
    if (m_chunk.size() >= kChunkBytes) {
        m_compressor->submit(std::move(m_chunk));
        m_chunk = m_compressor->take_buffer();
        m_chunk.reserve(kChunkBytes);
    }
}

std::string RingFileWriter::finish(const RingPosition& end) {
    if (!m_compressor) {
        return {};
    }
    u8 rec[kRecordSize];
    encode_position(kEndKind, end, rec);
    m_chunk.insert(m_chunk.end(), rec, rec + kRecordSize);
    m_compressor->submit(std::move(m_chunk));
    m_chunk = {};
    if (!m_compressor->finish()) {
        return "writing the ring log failed (disk full?)";
    }
    return {};
}

u64 RingFileWriter::bytes_written() const {
    return kHeaderSize + (m_compressor ? m_compressor->bytes_written() : 0);
}

std::string read_ring_file(const std::string& path,
                           const std::function<void(const cpu::RingEvent&)>& on_event,
                           RingFileInfo& out) {
    out = RingFileInfo{};
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        return "cannot open '" + path + "': " + std::strerror(errno);
    }
    struct Closer {
        std::FILE* f;
        ~Closer() { std::fclose(f); }
    } closer{f};

    u8 header[kHeaderSize];
    if (std::fread(header, 1, sizeof header, f) != sizeof header ||
        std::memcmp(header, kMagic, sizeof kMagic) != 0) {
        return "'" + path + "' is not a tx86 ring log (no TX86RING header)";
    }
    const unsigned version = header[8] | header[9] << 8;
    const unsigned rec_size = header[10] | header[11] << 8;
    if (version != kFileVersion) {
        return "'" + path + "' is a version " + std::to_string(version) +
               " ring log; this tool reads version " + std::to_string(kFileVersion);
    }
    if (rec_size != kRecordSize) {
        return "'" + path + "' has " + std::to_string(rec_size) + "-byte records, expected " +
               std::to_string(kRecordSize);
    }

    z_stream s{};
    if (inflateInit(&s) != Z_OK) {
        return "zlib: inflateInit failed";
    }
    std::vector<u8> in(1 << 16), out_buf(1 << 18), pending, rows;
    bool stream_end = false, started = false, ended = false;
    cpu::RingEvent last;
    RingPosition position;
    std::string err;
    auto corrupt = [&](const std::string& why) { err = "'" + path + "' is corrupt (" + why + ")"; };

    // Decodes the records of one chunk, in order.
    auto records = [&](const u8* data, std::size_t n) {
        for (std::size_t i = 0; i < n && err.empty(); ++i) {
            if (ended) {
                corrupt("records after the end record");
                break;
            }
            std::string why;
            const Decoded d = decode_record(data + i * kRecordSize, last, position, why);
            if (d != Decoded::Bad && (d == Decoded::Start) == started) {
                // The start record comes first, and only there.
                corrupt(started ? "start record out of place" : "no start record");
                break;
            }
            switch (d) {
            case Decoded::Event:
                ++out.events;
                on_event(last);
                break;
            case Decoded::Start:
                started = true;
                out.start = position;
                break;
            case Decoded::End:
                ended = true;
                out.end = position;
                break;
            case Decoded::Bad: corrupt("record " + std::to_string(out.events) + ": " + why); break;
            }
        }
    };
    // Takes every complete chunk off the front of `pending`.
    auto chunks = [&] {
        std::size_t at = 0;
        while (err.empty() && pending.size() - at >= 4) {
            const u32 n = get_le32(&pending[at]);
            if (n == 0 || n > kChunkRecords) {
                corrupt("bad chunk length " + std::to_string(n));
                break;
            }
            const std::size_t bytes = std::size_t{n} * kRecordSize;
            if (pending.size() - at - 4 < bytes) {
                break; // the rest of this chunk is still compressed
            }
            rows.resize(bytes);
            untranspose(&pending[at + 4], n, rows.data());
            records(rows.data(), n);
            at += 4 + bytes;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(at));
    };
    while (!stream_end && err.empty()) {
        const std::size_t n = std::fread(in.data(), 1, in.size(), f);
        if (n == 0) {
            break; // the file stops before the zlib stream does: a killed run
        }
        s.next_in = in.data();
        s.avail_in = static_cast<uInt>(n);
        while (s.avail_in > 0 && !stream_end && err.empty()) {
            s.next_out = out_buf.data();
            s.avail_out = static_cast<uInt>(out_buf.size());
            const uInt in_before = s.avail_in;
            const int rc = inflate(&s, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                stream_end = true;
            } else if ((rc != Z_OK && rc != Z_BUF_ERROR) ||
                       (s.avail_in == in_before && s.avail_out == out_buf.size())) {
                corrupt(std::string("zlib: ") + (s.msg ? s.msg : "no progress"));
                break;
            }
            pending.insert(pending.end(), out_buf.data(), out_buf.data() + (out_buf.size() - s.avail_out));
            chunks();
        }
    }
    inflateEnd(&s);
    if (!err.empty()) {
        return err;
    }
    out.complete = stream_end && ended && pending.empty();
    if (!ended && out.events > 0) {
        // Attribute up to the last event we have, in the ring it left the CPU in.
        out.end = RingPosition{last.icount, last.to_cpl, last.to_mode, (last.cr0 >> 31) != 0};
    } else if (!ended) {
        out.end = out.start;
    }
    return {};
}

std::string read_ring_file(const std::string& path, RingFileContents& out) {
    out = RingFileContents{};
    return read_ring_file(
        path, [&](const cpu::RingEvent& e) { out.events.push_back(e); }, out.info);
}

} // namespace ringlog
