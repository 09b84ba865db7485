// SPDX-License-Identifier: MIT
// TraceFileWriter: the stage that writes the binary trace file (format: trace_file_format.h).
// It writes each block's definition before the first item that names it, packs a span into
// two or three bytes and a run of predictable block successions (loops, repeated paths) into
// one number, and compresses and writes a chunk every megabyte of payload. The packing matters
// more than zlib's level: zlib's time grows with its input, so the less it is given, the
// cheaper a recorded instruction (level 1: the fastest, within a few percent of the best on
// this data). A write error (disk full) stops writing and is reported by error(); it never
// stops the guest.
#pragma once

#include "tools/trace/block_catalog.h"
#include "tools/trace/stream.h"
#include "tools/trace/trace_file_format.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace tools {

class TraceFileWriter final : public StreamSink {
  public:
    /// Creates `path` and writes the header. nullptr with a message in `error` on failure.
    static std::unique_ptr<TraceFileWriter> create(const std::string& path, BlockCatalog& catalog,
                                                   const std::string& description,
                                                   std::string& error);
    ~TraceFileWriter() override;

    void exec(const ExecSpan& span) override { exec_one(span); }
    void exec_batch(std::span<const ExecSpan> spans) override {
        for (const ExecSpan& s : spans) {
            // The hot path, inline: a whole block that follows its predecessor as last time,
            // with nothing else changed, only lengthens the current run.
            if (s.whole && s.icount == m_pos && s.cr3 == m_cr3 && !m_chunk_fresh && !m_finished &&
                m_successors.take_first(s.block)) [[likely]] {
                ++m_run;
                m_pos += s.count;
                m_insns += s.count;
                m_chunk_insns += s.count;
                ++m_spans;
            } else {
                exec_one(s);
            }
        }
    }
    void event(const TraceEvent& ev) override;
    /// Writes the last chunk and the end chunk, and closes the file.
    void finish() override;

    u64 instructions() const { return m_insns; }
    u64 spans() const { return m_spans; }
    u64 events() const { return m_events; }
    u64 first_icount() const { return m_first_icount; }
    /// One past the last recorded instruction's count.
    u64 end_icount() const { return m_pos; }
    u64 file_bytes() const { return m_file_bytes; }
    /// Empty, or what went wrong while writing.
    const std::string& error() const { return m_error; }

  private:
    TraceFileWriter(std::FILE* f, BlockCatalog& catalog, std::string path);
    void item(tracefile::Item kind) {
        flush_run();
        tracefile::put_varint(m_raw, u64{static_cast<u8>(kind)} << 2 | 3);
    }
    void flush_run();
    void exec_one(const ExecSpan& span);
    void explicit_span(const ExecSpan& span, bool whole);
    /// The block's length, writing its definition first if this file has not had it yet.
    u32 define(u32 id);
    void start_span_state(const ExecSpan& span);
    void write_chunk(u32 kind);
    void write(const void* data, usize n);

    std::FILE* m_file;
    BlockCatalog& m_catalog;
    std::string m_path;
    std::vector<u8> m_raw;
    std::vector<u8> m_zbuf;
    tracefile::Successors m_successors; ///< also each block's length once defined in the file
    u64 m_run = 0;                      ///< predicted whole blocks not yet written
    struct Zlib;
    std::unique_ptr<Zlib> m_z;
    u64 m_pos = 0;             ///< instruction count after the last written span
    u64 m_cr3 = 0;             ///< the CR3 the reader holds
    bool m_chunk_fresh = true; ///< no Icount/Cr3 items in this chunk yet
    u64 m_chunk_first = 0;
    u64 m_chunk_insns = 0;
    u64 m_insns = 0;
    u64 m_spans = 0;
    u64 m_events = 0;
    u64 m_first_icount = 0;
    u64 m_file_bytes = 0;
    bool m_finished = false;
    std::string m_error;
};

} // namespace tools
