// SPDX-License-Identifier: MIT
// TraceFileReader: chunks -> spans and events, every field checked.
#include "tools/trace/trace_reader.h"

#include "tools/trace/trace_file_format.h"

#include <cerrno>
#include <cstring>
#include <zlib.h>

namespace tools {

using tracefile::get_varint;
using tracefile::Item;

TraceFileReader::~TraceFileReader() {
    if (m_file) {
        std::fclose(m_file);
    }
}

bool TraceFileReader::open(const std::string& path, std::string& error) {
    m_path = path;
    m_file = std::fopen(path.c_str(), "rb");
    if (!m_file) {
        error = "cannot open '" + path + "': " + std::strerror(errno);
        return false;
    }
    u8 head[tracefile::kHeaderFixedBytes];
    const usize got = std::fread(head, 1, sizeof head, m_file);
    if (got < 8 || std::memcmp(head, tracefile::kMagic, 8) != 0) {
        error = "'" + path + "' is not a tx86 trace file";
        return false;
    }
    if (got < sizeof head) {
        error = "'" + path + "' is cut short inside its header";
        return false;
    }
    const u32 version = tracefile::get_u32(head + 8);
    if (version != tracefile::kVersion) {
        error = "'" + path + "' is trace format version " + std::to_string(version) +
                "; this tx86-trace reads version " + std::to_string(tracefile::kVersion);
        return false;
    }
    const u32 header_bytes = tracefile::get_u32(head + 12);
    const u32 desc_bytes = tracefile::get_u32(head + 16);
    if (desc_bytes > tracefile::kMaxDescription ||
        header_bytes != tracefile::kHeaderFixedBytes + desc_bytes) {
        error = "'" + path + "' has a corrupt header";
        return false;
    }
    m_description.resize(desc_bytes);
    if (std::fread(m_description.data(), 1, desc_bytes, m_file) != desc_bytes) {
        error = "'" + path + "' is cut short inside its header";
        return false;
    }
    m_offset = header_bytes;
    return true;
}

TraceFileReader::Step TraceFileReader::fail(std::string& message, const std::string& what) {
    message = "'" + m_path + "' is corrupt: " + what + " (chunk " + std::to_string(m_chunks + 1) +
              " at byte offset " + std::to_string(m_offset) + ")";
    m_done = true;
    return Step::Corrupt;
}

TraceFileReader::Step TraceFileReader::next(StreamSink& sink, std::string& message) {
    if (m_done || !m_file) {
        message = "read past the end of '" + m_path + "'";
        return Step::Corrupt;
    }
    const std::string cut = "'" + m_path + "' is cut short after " + std::to_string(m_chunks) +
                            " chunks (tx86 was stopped before it finished the trace); " +
                            "everything before the cut was read";
    u8 head[tracefile::kChunkHeaderBytes];
    const usize got = std::fread(head, 1, sizeof head, m_file);
    if (got < sizeof head) {
        m_done = true;
        message = cut;
        return Step::Truncated;
    }
    const u32 magic = tracefile::get_u32(head);
    const u32 kind = tracefile::get_u32(head + 4);
    const u32 zbytes = tracefile::get_u32(head + 8);
    const u32 raw_bytes = tracefile::get_u32(head + 12);
    const u64 chunk_insns = tracefile::get_u64(head + 24);
    if (magic != tracefile::kChunkMagic) {
        return fail(message, "no chunk header");
    }
    if ((kind != tracefile::kChunkData && kind != tracefile::kChunkEnd) ||
        zbytes > tracefile::kChunkLimit || raw_bytes > tracefile::kChunkLimit) {
        return fail(message, "impossible chunk header");
    }
    m_zbuf.resize(zbytes);
    if (std::fread(m_zbuf.data(), 1, zbytes, m_file) != zbytes) {
        m_done = true;
        message = cut;
        return Step::Truncated;
    }
    m_raw.resize(raw_bytes);
    uLongf out_len = raw_bytes;
    if (uncompress(m_raw.data(), &out_len, m_zbuf.data(), zbytes) != Z_OK || out_len != raw_bytes) {
        return fail(message, "the compressed data does not decompress");
    }
    if (kind == tracefile::kChunkEnd) {
        const u8* p = m_raw.data();
        const u8* end = p + m_raw.size();
        u64 spans = 0, events = 0, end_icount = 0;
        if (!get_varint(p, end, spans) || !get_varint(p, end, events) ||
            !get_varint(p, end, end_icount) || p != end) {
            return fail(message, "bad end chunk");
        }
        if (chunk_insns != m_total_insns) {
            return fail(message, "the end chunk counts " + std::to_string(chunk_insns) +
                                     " instructions but the chunks hold " +
                                     std::to_string(m_total_insns));
        }
        m_done = true;
        ++m_chunks;
        return Step::End;
    }
    u64 insns = 0;
    std::string why;
    if (!parse_payload(m_raw, sink, insns, why)) {
        return fail(message, why);
    }
    if (insns != chunk_insns) {
        return fail(message, "the chunk header counts " + std::to_string(chunk_insns) +
                                 " instructions but its items hold " + std::to_string(insns));
    }
    m_total_insns += insns;
    m_offset += tracefile::kChunkHeaderBytes + zbytes;
    ++m_chunks;
    return Step::Chunk;
}

TraceFileReader::Step TraceFileReader::read_all(StreamSink& sink, std::string& message) {
    for (;;) {
        const Step s = next(sink, message);
        if (s != Step::Chunk) {
            return s;
        }
    }
}

bool TraceFileReader::parse_payload(const std::vector<u8>& raw, StreamSink& sink, u64& insns,
                                    std::string& why) {
    m_successors.clear();
    m_batch.clear();
    const bool ok = parse_items(raw, sink, insns, why);
    flush_batch(sink);
    return ok;
}

bool TraceFileReader::parse_items(const std::vector<u8>& raw, StreamSink& sink, u64& insns,
                                  std::string& why) {
    const u8* p = raw.data();
    const u8* const end = p + raw.size();
    auto num = [&](u64& v) {
        if (!get_varint(p, end, v)) {
            why = "an item runs past the end of its chunk";
            return false;
        }
        return true;
    };
    auto span_of = [&](u64 id, u64 first, u64 count) {
        const BlockView* view =
            id < cpu::kTraceTagFirst ? m_catalog.find(static_cast<u32>(id)) : nullptr;
        if (!view) {
            why = "an item names block " + std::to_string(id) + ", which was never defined";
            return false;
        }
        if (count == 0 || first > view->def.ninsns || count > view->def.ninsns - first) {
            why = "an item names instructions block " + std::to_string(id) + " does not have";
            return false;
        }
        m_batch.push_back(ExecSpan{static_cast<u32>(id), static_cast<u32>(first),
                                   static_cast<u32>(count), m_pos, m_cr3,
                                   first == 0 && count == view->def.ninsns});
        if (m_batch.size() >= 1024) {
            flush_batch(sink);
        }
        m_pos += count;
        insns += count;
        return true;
    };
    auto whole = [&](u64 id) {
        const BlockView* view =
            id < cpu::kTraceTagFirst ? m_catalog.find(static_cast<u32>(id)) : nullptr;
        if (!span_of(id, 0, view ? view->def.ninsns : 0)) {
            return false;
        }
        m_successors.whole(static_cast<u32>(id));
        return true;
    };
    while (p < end) {
        u64 v = 0;
        if (!num(v)) {
            return false;
        }
        if ((v & 1) == 0) {
            if (!whole(v >> 1)) {
                return false;
            }
            continue;
        }
        if ((v & 3) == 1) {
            // A run of first successors.
            if (v >> 2 == 0) {
                why = "an empty run of blocks";
                return false;
            }
            for (u64 n = v >> 2; n > 0; --n) {
                const u32 id = m_successors.predict(tracefile::Successors::Guess::First);
                if (id == tracefile::kNone) {
                    why = "a run of blocks with nothing to predict them from";
                    return false;
                }
                if (!whole(id)) {
                    return false;
                }
            }
            continue;
        }
        const u64 kind = v >> 2;
        u64 a = 0, b = 0, c = 0;
        TraceEvent ev;
        switch (static_cast<Item>(
            kind < static_cast<u64>(Item::Count) ? kind : static_cast<u64>(Item::Count))) {
        case Item::Partial:
            if (!num(a) || !num(b) || !num(c) || !span_of(a, b, c)) {
                return false;
            }
            m_successors.forget();
            break;
        case Item::Icount:
            if (!num(m_pos)) {
                return false;
            }
            m_successors.forget();
            break;
        case Item::Define: {
            u64 f[9];
            for (u64& x : f) {
                if (!num(x)) {
                    return false;
                }
            }
            const u64 id = f[0], bits = f[5], cpl = f[6], ninsns = f[7], nbytes = f[8];
            if (id >= cpu::kTraceTagFirst || f[4] > 0xFFFF ||
                (bits != 16 && bits != 32 && bits != 64) || cpl > 3 || nbytes > 4096 ||
                ninsns == 0 || ninsns > 4096 || nbytes > static_cast<u64>(end - p)) {
                why = "a bad block definition";
                return false;
            }
            cpu::BlockDef d;
            d.lin_pc = f[1];
            d.phys_pc = f[2];
            d.cs_base = f[3];
            d.cs_selector = static_cast<u16>(f[4]);
            d.code_bits = static_cast<u8>(bits);
            d.cpl = static_cast<u8>(cpl);
            d.ninsns = static_cast<u32>(ninsns);
            d.nbytes = static_cast<u32>(nbytes);
            m_catalog.define(static_cast<u32>(id), d, p);
            p += nbytes;
            break;
        }
        case Item::Interrupt:
            if (!num(ev.icount) || !num(a)) {
                return false;
            }
            ev.kind = TraceEvent::Kind::Interrupt;
            ev.aux = static_cast<u32>(a);
            ev.has_error = (a >> 16) & 1;
            if (ev.has_error) {
                if (!num(b)) {
                    return false;
                }
                ev.error = static_cast<u32>(b);
            }
            if (!num(c)) {
                return false;
            }
            if (c != 0 &&
                (c - 1 >= cpu::kTraceTagFirst || !m_catalog.find(static_cast<u32>(c - 1)))) {
                why = "an interrupt names an undefined handler block";
                return false;
            }
            ev.handler = c == 0 ? kNoBlock : static_cast<u32>(c - 1);
            ev.cpl = ev.old_cpl();
            ev.cr3 = m_cr3;
            flush_batch(sink);
            sink.event(ev);
            break;
        case Item::Cr3Load:
            if (!num(ev.icount) || !num(b) || !num(a) || b > 3) {
                why = why.empty() ? "a bad CR3 load" : why;
                return false;
            }
            ev.kind = TraceEvent::Kind::Cr3Load;
            ev.aux = static_cast<u32>(a);
            ev.cpl = static_cast<u8>(b);
            ev.cr3 = m_cr3;
            m_cr3 = a;
            flush_batch(sink);
            sink.event(ev);
            break;
        case Item::Cr3:
            if (!num(m_cr3)) {
                return false;
            }
            break;
        case Item::PortWrite:
            if (!num(ev.icount) || !num(b) || !num(a) || b > 3) {
                why = why.empty() ? "a bad port write" : why;
                return false;
            }
            ev.kind = TraceEvent::Kind::PortWrite;
            ev.aux = static_cast<u32>(a);
            ev.cpl = static_cast<u8>(b);
            ev.cr3 = m_cr3;
            flush_batch(sink);
            sink.event(ev);
            break;
        case Item::Gap:
            if (!num(ev.icount)) {
                return false;
            }
            ev.kind = TraceEvent::Kind::Gap;
            ev.cr3 = m_cr3;
            flush_batch(sink);
            sink.event(ev);
            break;
        case Item::RegWrite: {
            u64 reg = 0;
            if (!num(ev.icount) || !num(b) || !num(reg) || !num(a) || b > 3 ||
                reg >= cpu::kTraceRegCount || a > 0xFFFFFFFFu) {
                why = why.empty() ? "a bad register write" : why;
                return false;
            }
            ev.kind = TraceEvent::Kind::RegWrite;
            ev.aux = static_cast<u32>(a);
            ev.cpl = static_cast<u8>(b);
            ev.reg = static_cast<u8>(reg);
            ev.cr3 = m_cr3;
            flush_batch(sink);
            sink.event(ev);
            break;
        }
        case Item::Second: {
            const u32 id = m_successors.predict(tracefile::Successors::Guess::Second);
            if (id == tracefile::kNone) {
                why = "a second successor with nothing to predict it from";
                return false;
            }
            if (!whole(id)) {
                return false;
            }
            break;
        }
        case Item::Count:
            why = "an item of unknown kind " + std::to_string(kind);
            return false;
        }
    }
    return true;
}

} // namespace tools
