// SPDX-License-Identifier: MIT
// FlightRing: the flight recorder when nothing is traced (tx86's default). The engines write
// their 16-byte records into one small ring that wraps in place: translated code wraps its
// cursor with one AND (TraceRecorder::wrap_bytes), the interpreter's put() through
// ring_full(), so no buffer is ever changed, handed over or waited for, and the dispatcher
// never bounds the budget for it. What it is for: a Recorder's buffers (a ring of 4 MiB,
// written at one record per block entered) streamed through the host's caches, and a boot
// took 6% longer for those stores than with stores that stayed in one cache line. A dump
// needs only the last N instructions (-flight N, default 64), so the ring holds
// max(1024, 4 N) records rounded up to a power of two: 16 KiB by default, which stays in L1.
// Every record names at least one instruction except events (interrupts with their error
// codes, CR3 loads, port writes), so 4 N records hold the last N instructions unless events
// outnumber instructions three to one.
#pragma once

#include "base/types.h"
#include "cpu/trace_record.h"
#include "tools/trace/block_table.h"

#include <cstdio>

namespace cpu {
class Cpu;
}

namespace tools {

class FlightRing final : public cpu::TraceRecorder {
  public:
    /// A ring with room for the last `insns` instructions (see the header comment).
    explicit FlightRing(u64 insns);
    ~FlightRing() override;
    FlightRing(const FlightRing&) = delete;
    FlightRing& operator=(const FlightRing&) = delete;

    /// Attaches to `cpu` (cpu.recorder = this). Call before the first run().
    void attach(cpu::Cpu& cpu);

    /// Prints the last `max_insns` executed instructions the ring holds (Recorder::dump_recent's
    /// format). Call it from the guest's thread.
    void dump_recent(std::FILE* out, u64 max_insns);

    /// Records the ring holds.
    usize capacity() const { return m_records; }

    // cpu::TraceRecorder
    u32 define_block(const cpu::BlockDef& def, const u8* bytes) override {
        return m_table.define(def, bytes);
    }
    bool block_needed(u32) override { return false; }
    void ring_full() override { cursor = m_base; } ///< put() reached the end: wrap

  protected:
    bool event_needed(u32, u32, u8) override { return false; }

  private:
    static constexpr usize kMinRecords = 1024;
    /// Translated code clears one bit of the cursor: the ring's size must fit an AND's
    /// sign-extended 32-bit immediate.
    static constexpr usize kMaxRecords = usize{1} << 22; // -flight 1000000 (the most) needs 4 Mi

    usize m_records;
    cpu::TraceRecord* m_base;
    cpu::Cpu* m_cpu = nullptr;
    BlockTable m_table;
};

} // namespace tools
