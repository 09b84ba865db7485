// SPDX-License-Identifier: MIT
// Ring log files (-ringlog FILE, read by tx86-timeline): a 16-byte header, then one zlib
// stream of fixed-size records (ring_record.h): a start record, the events, an end record.
//
//   header: "TX86RING" (8 bytes), version (u16 LE, kFileVersion), record size (u16 LE),
//           reserved (u32, 0)
//   stream: chunks of 1..10000 records, each a record count (u32 LE) followed by the records
//           stored column by column (byte 0 of each record, then byte 1, ...), which
//           compresses to about half the size of the rows, and faster
//
// The writer buffers records and hands them, about 1 MiB at a time, to a compressor thread
// (chunk_compressor.h) that flushes the zlib stream after each chunk, so a run that is killed
// leaves a file readable up to its last chunk.
#pragma once

#include "cpu/ring_events.h"
#include "tools/ringlog/chunk_compressor.h"
#include "tools/ringlog/ring_record.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ringlog {

inline constexpr u16 kFileVersion = 1;
inline constexpr unsigned kHeaderSize = 16;

class RingFileWriter {
public:
    RingFileWriter();
    ~RingFileWriter();
    RingFileWriter(const RingFileWriter&) = delete;
    RingFileWriter& operator=(const RingFileWriter&) = delete;

    /// Creates `path` and writes the header and the start record; returns an error message,
    /// empty on success.
    std::string open(const std::string& path, const RingPosition& start);
    void write(const cpu::RingEvent& e);
    /// Writes the end record, finishes the zlib stream and closes the file. Returns an error
    /// message (a full disk, say), empty on success.
    std::string finish(const RingPosition& end);
    u64 events_written() const { return m_events; }
    /// The file's size (exact once finish returned).
    u64 bytes_written() const;

private:
    void append(const u8* record);

    std::unique_ptr<ChunkCompressor> m_compressor;
    std::vector<u8> m_chunk; ///< records not yet handed to the compressor
    u64 m_events = 0;
};

/// What frames a ring log file's events.
struct RingFileInfo {
    RingPosition start;
    RingPosition end;
    u64 events = 0;
    /// False when the file stops before its end record (tx86 was killed): `end` is then made
    /// up from the last event, and the events are all that could be read.
    bool complete = false;
};

/// Reads a ring log, calling `on_event` for each event in order. Returns an error message
/// (not a ring log, unsupported version, corrupt data), empty on success.
std::string read_ring_file(const std::string& path,
                           const std::function<void(const cpu::RingEvent&)>& on_event,
                           RingFileInfo& info);

/// Everything a ring log file holds, in memory (tests, small logs).
struct RingFileContents {
    std::vector<cpu::RingEvent> events;
    RingFileInfo info;
};
std::string read_ring_file(const std::string& path, RingFileContents& out);

} // namespace ringlog
