// SPDX-License-Identifier: MIT
// Synthetic blocks and a collecting sink for the trace tests (decoder, filter, file, recorder):
// a few real instruction byte strings, so the consumers split them with the real decoder.
#pragma once

#include "cpu/trace_record.h"
#include "tools/trace/block_catalog.h"
#include "tools/trace/stream.h"

#include <string>
#include <vector>

namespace trace_test {

/// Block A at 0x1000: nop; nop; inc eax; jmp $ (4 instructions, 5 bytes).
inline const std::vector<u8> kBytesA = {0x90, 0x90, 0x40, 0xEB, 0xFE};
/// Block B at 0x2000: mov eax, 1; add eax, ebx; ret (3 instructions, 8 bytes).
inline const std::vector<u8> kBytesB = {0xB8, 0x01, 0x00, 0x00, 0x00, 0x01, 0xD8, 0xC3};
/// Block U at 0x8048000, CPL 3: mov ebx, 2; int 0x80 (2 instructions, 7 bytes).
inline const std::vector<u8> kBytesU = {0xBB, 0x02, 0x00, 0x00, 0x00, 0xCD, 0x80};

inline cpu::BlockDef def_of(u64 lin, const std::vector<u8>& bytes, u32 ninsns, u8 cpl = 0) {
    cpu::BlockDef d;
    d.lin_pc = lin;
    d.phys_pc = lin + 0x100000;
    d.cs_base = 0;
    d.cs_selector = cpl == 3 ? 0x73 : 0x60;
    d.code_bits = 32;
    d.cpl = cpl;
    d.ninsns = ninsns;
    d.nbytes = static_cast<u32>(bytes.size());
    return d;
}

/// Defines A = 0, B = 1, U = 2 in an owned catalog.
inline void define_abu(tools::OwnedCatalog& c) {
    c.define(0, def_of(0x1000, kBytesA, 4), kBytesA.data());
    c.define(1, def_of(0x2000, kBytesB, 3), kBytesB.data());
    c.define(2, def_of(0x8048000, kBytesU, 2, 3), kBytesU.data());
}

/// Records what reaches it, as spans, events and one line per item for easy comparison.
class Collector final : public tools::StreamSink {
  public:
    void exec(const tools::ExecSpan& s) override {
        spans.push_back(s);
        insns += s.count;
        log.push_back("exec " + std::to_string(s.block) + " " + std::to_string(s.first) + "+" +
                      std::to_string(s.count) + " @" + std::to_string(s.icount) +
                      " cr3=" + std::to_string(s.cr3));
    }
    void event(const tools::TraceEvent& e) override {
        events.push_back(e);
        static const char* const kKinds[] = {"int", "cr3", "out", "gap", "reg"};
        std::string l = std::string(kKinds[static_cast<int>(e.kind)]) + " @" +
                        std::to_string(e.icount) + " aux=" + std::to_string(e.aux);
        if (e.kind == tools::TraceEvent::Kind::Interrupt) {
            l += " err=" + (e.has_error ? std::to_string(e.error) : std::string("-")) +
                 " handler=" +
                 (e.handler == tools::kNoBlock ? std::string("?") : std::to_string(e.handler));
        }
        if (e.kind == tools::TraceEvent::Kind::RegWrite) {
            l += " reg=" + std::to_string(e.reg) + " cpl=" + std::to_string(e.cpl);
        }
        log.push_back(l);
    }
    void finish() override { finished = true; }

    std::vector<tools::ExecSpan> spans;
    std::vector<tools::TraceEvent> events;
    std::vector<std::string> log;
    u64 insns = 0;
    bool finished = false;
};

inline cpu::TraceRecord rec(u32 id, u64 icount, u32 aux = 0) {
    return cpu::TraceRecord{id, aux, icount};
}

/// aux of an interrupt record.
inline u32 int_aux(u8 vector, u8 source, u8 old_cpl, u8 new_cpl, bool has_error) {
    return vector | u32{source} << 8 | u32{old_cpl} << 12 | u32{new_cpl} << 14 |
           (has_error ? 1u << 16 : 0u);
}

} // namespace trace_test
