// SPDX-License-Identifier: MIT
// TraceFileReader: reads a binary trace file (trace_file_format.h) chunk by chunk into spans
// and events (stream.h), checking everything it reads: a wrong magic or version, a size out of
// bounds, a zlib error, an item naming an undefined block or instructions the block does not
// have, or a chunk whose instruction count disagrees with its items is "corrupt" with a
// message saying where; a file that simply stops (tx86 was killed) is "truncated" and
// everything before the cut was delivered.
#pragma once

#include "tools/trace/block_catalog.h"
#include "tools/trace/stream.h"
#include "tools/trace/trace_file_format.h"

#include <cstdio>
#include <string>
#include <vector>

namespace tools {

class TraceFileReader {
  public:
    TraceFileReader() = default;
    ~TraceFileReader();
    TraceFileReader(const TraceFileReader&) = delete;
    TraceFileReader& operator=(const TraceFileReader&) = delete;

    /// Opens `path` and checks its header; false with a one-line message otherwise.
    bool open(const std::string& path, std::string& error);

    enum class Step {
        Chunk,     ///< a data chunk was delivered; call again
        End,       ///< the end chunk was read: the file is complete
        Truncated, ///< the file stops early; message says after what
        Corrupt,   ///< message says what and where
    };
    /// Reads the next chunk and passes its contents to `sink` (which must not be destroyed
    /// between calls if spans refer to blocks: the catalog keeps them).
    Step next(StreamSink& sink, std::string& message);
    /// Runs next() to the end. Returns the last step (End, Truncated or Corrupt).
    Step read_all(StreamSink& sink, std::string& message);

    BlockCatalog& catalog() { return m_catalog; }
    const std::string& description() const { return m_description; }
    /// From the end chunk, once read.
    u64 total_instructions() const { return m_total_insns; }
    u64 chunks_read() const { return m_chunks; }

  private:
    Step fail(std::string& message, const std::string& what);
    bool parse_payload(const std::vector<u8>& raw, StreamSink& sink, u64& insns, std::string& why);
    bool parse_items(const std::vector<u8>& raw, StreamSink& sink, u64& insns, std::string& why);
    /// Spans are passed on in batches (flushed before each event and at the end of a chunk).
    void flush_batch(StreamSink& sink) {
        if (!m_batch.empty()) {
            sink.exec_batch(m_batch);
            m_batch.clear();
        }
    }
    std::vector<ExecSpan> m_batch;

    std::FILE* m_file = nullptr;
    std::string m_path;
    std::string m_description;
    OwnedCatalog m_catalog;
    std::vector<u8> m_zbuf;
    std::vector<u8> m_raw;
    u64 m_offset = 0; ///< file offset of the next chunk
    u64 m_chunks = 0;
    u64 m_pos = 0; ///< instruction count of the next span
    u64 m_cr3 = 0;
    tracefile::Successors m_successors;
    u64 m_total_insns = 0;
    bool m_done = false;
};

} // namespace tools
