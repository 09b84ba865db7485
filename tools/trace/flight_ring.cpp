// SPDX-License-Identifier: MIT
// FlightRing: the wrapping ring and its dump.
#include "tools/trace/flight_ring.h"

#include "cpu/cpu.h"
#include "tools/trace/flight_dump.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <new>

namespace tools {
namespace {

usize ring_records(u64 insns, usize min_records, usize max_records) {
    const u64 want = insns > max_records / 4 ? max_records : std::max<u64>(insns * 4, min_records);
    return std::bit_ceil(static_cast<usize>(want));
}

std::align_val_t ring_alignment(usize records) {
    // Twice the ring's size: the cursor one past the end then differs from the start in
    // exactly one bit, which translated code clears.
    return std::align_val_t{2 * records * sizeof(cpu::TraceRecord)};
}

} // namespace

FlightRing::FlightRing(u64 insns)
    : m_records(ring_records(insns, kMinRecords, kMaxRecords)),
      m_base(static_cast<cpu::TraceRecord*>(
          ::operator new(m_records * sizeof(cpu::TraceRecord), ring_alignment(m_records)))) {
    std::fill_n(m_base, m_records, cpu::TraceRecord{cpu::kTraceUnwritten, 0, 0});
    cursor = m_base;
    limit = m_base + m_records;
    wrap_bytes = static_cast<u32>(m_records * sizeof(cpu::TraceRecord));
    unchecked = std::numeric_limits<usize>::max();
}

FlightRing::~FlightRing() {
    if (m_cpu && m_cpu->recorder == this) {
        m_cpu->recorder = nullptr;
    }
    ::operator delete(m_base, ring_alignment(m_records));
}

void FlightRing::attach(cpu::Cpu& cpu) {
    m_cpu = &cpu;
    cpu.recorder = this;
}

void FlightRing::dump_recent(std::FILE* out, u64 max_insns) {
    // Oldest first: the records after the cursor, if the ring has wrapped (a slot never
    // written is still kTraceUnwritten), then those before it. The slot at the cursor is
    // skipped: translated code writes a block's record there before its budget check and
    // advances only after it, so that slot may hold a block that never ran.
    const usize at = static_cast<usize>(cursor - m_base);
    RecordRun runs[2];
    usize n = 0;
    if (at + 1 < m_records && m_base[at + 1].id != cpu::kTraceUnwritten) {
        runs[n++] = RecordRun(m_base + at + 1, m_base + m_records);
    }
    runs[n++] = RecordRun(m_base, cursor);
    // CR3 before the oldest record is not kept; the dump's printer shows CR3 loads, not the
    // address space of each instruction, so the current one stands in for it.
    const u64 cr3 = m_cpu ? m_cpu->s.cr3 : 0;
    const u64 end_icount = m_cpu ? m_cpu->icount : (at ? cpu::record_icount(m_base[at - 1]) : 0);
    dump_tail(m_table, std::span<const RecordRun>(runs, n), cr3, end_icount, out, max_insns);
}

} // namespace tools
