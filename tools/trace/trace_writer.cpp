// SPDX-License-Identifier: MIT
// TraceFileWriter: spans and events -> chunked, zlib-compressed items.
#include "tools/trace/trace_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <zlib.h>

namespace tools {

using tracefile::Item;
using tracefile::put_varint;

struct TraceFileWriter::Zlib {
    z_stream z{};
    bool ready = false;
};

std::unique_ptr<TraceFileWriter> TraceFileWriter::create(const std::string& path,
                                                         BlockCatalog& catalog,
                                                         const std::string& description,
                                                         std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        error = "cannot create trace file '" + path + "': " + std::strerror(errno);
        return nullptr;
    }
    std::unique_ptr<TraceFileWriter> w(new TraceFileWriter(f, catalog, path));
    const std::string desc = description.substr(0, tracefile::kMaxDescription);
    u8 head[tracefile::kHeaderFixedBytes];
    std::memcpy(head, tracefile::kMagic, 8);
    tracefile::put_u32(head + 8, tracefile::kVersion);
    tracefile::put_u32(head + 12, static_cast<u32>(tracefile::kHeaderFixedBytes + desc.size()));
    tracefile::put_u32(head + 16, static_cast<u32>(desc.size()));
    tracefile::put_u32(head + 20, 0);
    w->write(head, sizeof head);
    w->write(desc.data(), desc.size());
    if (!w->m_error.empty()) {
        error = w->m_error;
        return nullptr;
    }
    return w;
}

TraceFileWriter::TraceFileWriter(std::FILE* f, BlockCatalog& catalog, std::string path)
    : m_file(f), m_catalog(catalog), m_path(std::move(path)), m_z(std::make_unique<Zlib>()) {
    m_raw.reserve(tracefile::kChunkTarget + 8192);
    // Huffman coding only: after the successor prediction the payload is mostly one-byte
    // items with little left for LZ77 to find, and on it Huffman alone both compresses better
    // than level 1 (3.2x against 2.8x on a Linux boot) and runs 60% faster.
    m_z->ready = deflateInit2(&m_z->z, 1, Z_DEFLATED, 15, 8, Z_HUFFMAN_ONLY) == Z_OK;
}

TraceFileWriter::~TraceFileWriter() {
    finish();
    if (m_z->ready) {
        deflateEnd(&m_z->z);
    }
}

void TraceFileWriter::write(const void* data, usize n) {
    if (!m_error.empty() || !m_file || n == 0) {
        return;
    }
    if (std::fwrite(data, 1, n, m_file) != n) {
        m_error = "writing trace file '" + m_path + "' failed: " + std::strerror(errno);
        return;
    }
    m_file_bytes += n;
}

u32 TraceFileWriter::define(u32 id) {
    if (const u32 n = m_successors.length(id); n != 0) [[likely]] {
        return n;
    }
    const BlockView* view = m_catalog.find(id);
    if (!view) {
        return 0; // the decoder never passes such an id on
    }
    const cpu::BlockDef& d = view->def;
    item(Item::Define);
    put_varint(m_raw, id);
    put_varint(m_raw, d.lin_pc);
    put_varint(m_raw, d.phys_pc);
    put_varint(m_raw, d.cs_base);
    put_varint(m_raw, d.cs_selector);
    put_varint(m_raw, d.code_bits);
    put_varint(m_raw, d.cpl);
    put_varint(m_raw, d.ninsns);
    put_varint(m_raw, d.nbytes);
    m_raw.insert(m_raw.end(), view->bytes, view->bytes + d.nbytes);
    m_successors.set_length(id, d.ninsns);
    return d.ninsns;
}

void TraceFileWriter::flush_run() {
    if (m_run != 0) {
        put_varint(m_raw, m_run << 2 | 1);
        m_run = 0;
    }
}

void TraceFileWriter::start_span_state(const ExecSpan& span) {
    if (m_chunk_fresh || span.icount != m_pos) {
        item(Item::Icount);
        put_varint(m_raw, span.icount);
        m_successors.forget();
    }
    if (m_chunk_fresh || span.cr3 != m_cr3) {
        item(Item::Cr3);
        put_varint(m_raw, span.cr3);
        m_cr3 = span.cr3;
    }
    if (m_chunk_fresh) {
        m_chunk_first = span.icount;
        m_chunk_fresh = false;
    }
}

void TraceFileWriter::explicit_span(const ExecSpan& span, bool whole) {
    flush_run();
    start_span_state(span);
    if (whole) {
        if (m_successors.guess(span.block) == tracefile::Successors::Guess::Second) {
            item(Item::Second);
        } else {
            put_varint(m_raw, u64{span.block} << 1);
        }
        m_successors.whole(span.block);
    } else {
        item(Item::Partial);
        put_varint(m_raw, span.block);
        put_varint(m_raw, span.first);
        put_varint(m_raw, span.count);
        m_successors.forget();
    }
}

void TraceFileWriter::exec_one(const ExecSpan& span) {
    if (m_finished) {
        return;
    }
    const u32 ninsns = define(span.block);
    if (ninsns == 0) {
        return;
    }
    if (m_insns == 0) {
        m_first_icount = span.icount;
    }
    const bool whole = span.first == 0 && span.count == ninsns;
    if (whole && !m_chunk_fresh && span.icount == m_pos && span.cr3 == m_cr3 &&
        m_successors.take_first(span.block)) {
        ++m_run; // a run of first successors: the table stays as it is
    } else {
        explicit_span(span, whole);
    }
    m_pos = span.icount + span.count;
    m_insns += span.count;
    m_chunk_insns += span.count;
    ++m_spans;
    if (m_raw.size() >= tracefile::kChunkTarget) [[unlikely]] {
        write_chunk(tracefile::kChunkData);
    }
}

void TraceFileWriter::event(const TraceEvent& ev) {
    if (m_finished) {
        return;
    }
    if (ev.kind == TraceEvent::Kind::Interrupt && ev.handler != kNoBlock) {
        define(ev.handler);
    }
    if (ev.cr3 != m_cr3) {
        item(Item::Cr3);
        put_varint(m_raw, ev.cr3);
        m_cr3 = ev.cr3;
    }
    switch (ev.kind) {
    case TraceEvent::Kind::Interrupt:
        item(Item::Interrupt);
        put_varint(m_raw, ev.icount);
        put_varint(m_raw, ev.aux);
        if (ev.has_error) {
            put_varint(m_raw, ev.error);
        }
        put_varint(m_raw, ev.handler == kNoBlock ? 0 : u64{ev.handler} + 1);
        break;
    case TraceEvent::Kind::Cr3Load:
        item(Item::Cr3Load);
        put_varint(m_raw, ev.icount);
        put_varint(m_raw, ev.cpl);
        put_varint(m_raw, ev.aux);
        m_cr3 = ev.aux;
        break;
    case TraceEvent::Kind::PortWrite:
        item(Item::PortWrite);
        put_varint(m_raw, ev.icount);
        put_varint(m_raw, ev.cpl);
        put_varint(m_raw, ev.aux);
        break;
    case TraceEvent::Kind::Gap:
        item(Item::Gap);
        put_varint(m_raw, ev.icount);
        break;
    case TraceEvent::Kind::RegWrite:
        item(Item::RegWrite);
        put_varint(m_raw, ev.icount);
        put_varint(m_raw, ev.cpl);
        put_varint(m_raw, ev.reg);
        put_varint(m_raw, ev.aux);
        break;
    }
    ++m_events;
}

void TraceFileWriter::write_chunk(u32 kind) {
    if (kind == tracefile::kChunkData) {
        flush_run();
        if (m_raw.empty()) {
            return;
        }
    }
    if (!m_z->ready) {
        m_error = "zlib could not be initialised";
    }
    if (!m_error.empty()) {
        m_raw.clear();
        return;
    }
    z_stream& z = m_z->z;
    deflateReset(&z);
    m_zbuf.resize(deflateBound(&z, static_cast<uLong>(m_raw.size())));
    z.next_in = m_raw.data();
    z.avail_in = static_cast<uInt>(m_raw.size());
    z.next_out = m_zbuf.data();
    z.avail_out = static_cast<uInt>(m_zbuf.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        m_error = "zlib failed to compress a trace chunk";
        m_raw.clear();
        return;
    }
    const usize zbytes = m_zbuf.size() - z.avail_out;
    u8 head[tracefile::kChunkHeaderBytes];
    tracefile::put_u32(head, tracefile::kChunkMagic);
    tracefile::put_u32(head + 4, kind);
    tracefile::put_u32(head + 8, static_cast<u32>(zbytes));
    tracefile::put_u32(head + 12, static_cast<u32>(m_raw.size()));
    tracefile::put_u64(head + 16, kind == tracefile::kChunkEnd ? m_first_icount : m_chunk_first);
    tracefile::put_u64(head + 24, kind == tracefile::kChunkEnd ? m_insns : m_chunk_insns);
    write(head, sizeof head);
    write(m_zbuf.data(), zbytes);
    // Each chunk reaches the disk whole before the next begins: a killed tx86 leaves a file
    // that reads up to here.
    if (m_file && std::fflush(m_file) != 0 && m_error.empty()) {
        m_error = "writing trace file '" + m_path + "' failed: " + std::strerror(errno);
    }
    m_raw.clear();
    m_chunk_fresh = true;
    m_chunk_insns = 0;
    m_chunk_first = m_pos;
    m_successors.clear();
}

void TraceFileWriter::finish() {
    if (m_finished) {
        return;
    }
    write_chunk(tracefile::kChunkData);
    m_raw.clear();
    put_varint(m_raw, m_spans);
    put_varint(m_raw, m_events);
    put_varint(m_raw, m_pos);
    write_chunk(tracefile::kChunkEnd);
    m_finished = true;
    if (m_file && std::fclose(m_file) != 0 && m_error.empty()) {
        m_error = "closing trace file '" + m_path + "' failed: " + std::strerror(errno);
    }
    m_file = nullptr;
}

} // namespace tools
