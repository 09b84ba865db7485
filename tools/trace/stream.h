// SPDX-License-Identifier: MIT
// The decoded execution stream every trace consumer speaks: runs of consecutive instructions
// of one block (ExecSpan) and the events between them (TraceEvent), passed down a chain of
// StreamSinks (filter -> file writer, text log, counters). The recorder's records and a trace
// file both decode into it, so filters and outputs are written once. Not here: how spans are
// expanded into single instructions (block_catalog.h).
#pragma once

#include "base/types.h"

#include <limits>
#include <span>
#include <vector>

namespace tools {

/// "No block": an interrupt whose handler is not known (the stream ended first).
inline constexpr u32 kNoBlock = std::numeric_limits<u32>::max();

/// `count` consecutive instructions of block `block`, from its instruction `first` on.
struct ExecSpan {
    u32 block = 0;  ///< BlockDef id
    u32 first = 0;  ///< index of the first instruction in the block
    u32 count = 0;  ///< instructions retired (at least 1)
    u64 icount = 0; ///< instruction counter before the first of them
    u64 cr3 = 0;    ///< CR3 while they ran
    /// Set only when the span is the whole block (first 0, count its length): lets the
    /// trace writer skip looking the block up on its hot path. False is always safe.
    bool whole = false;
};

/// Something that happened between instructions.
struct TraceEvent {
    enum class Kind : u8 {
        Interrupt, ///< delivered; printed before the handler's first instruction
        Cr3Load,   ///< aux = new CR3; applies to the instructions after icount
        PortWrite, ///< aux = port | value << 16; done by the instruction at icount
        Gap,       ///< the stream lost instructions before icount (recording paused)
        RegWrite,  ///< -trace-regs: the instruction at icount set register `reg` to aux
    };
    Kind kind = Kind::Gap;
    bool has_error = false; ///< Interrupt: an error code was pushed
    u32 aux = 0;            ///< as in cpu::TraceRecord (cpu/trace_record.h)
    u32 error = 0;          ///< Interrupt: the error code
    u32 handler = kNoBlock; ///< Interrupt: the block entered next (the handler), if known
    u8 cpl = 0;             ///< the CPL of the code running when it happened
    u8 reg = 0;             ///< RegWrite: the cpu::TraceReg
    u64 icount = 0;         ///< the instruction counter when it happened
    u64 cr3 = 0;            ///< the CR3 in force when it happened (a Cr3Load's old value)

    // Interrupt fields (aux = vector | source << 8 | old CPL << 12 | new CPL << 14).
    u8 vector() const { return static_cast<u8>(aux); }
    u8 source() const { return static_cast<u8>((aux >> 8) & 0xF); }
    u8 old_cpl() const { return static_cast<u8>((aux >> 12) & 3); }
    u8 new_cpl() const { return static_cast<u8>((aux >> 14) & 3); }
    // PortWrite fields.
    u16 port() const { return static_cast<u16>(aux); }
    u16 value() const { return static_cast<u16>(aux >> 16); }
};

/// A stage of the consumer chain.
class StreamSink {
  public:
    virtual ~StreamSink() = default;
    virtual void exec(const ExecSpan& span) = 0;
    /// Consecutive spans with no event between them (one call for many: the hot path).
    virtual void exec_batch(std::span<const ExecSpan> spans) {
        for (const ExecSpan& s : spans) {
            exec(s);
        }
    }
    virtual void event(const TraceEvent& ev) = 0;
    /// The stream is over: write out whatever is buffered.
    virtual void finish() {}
};

/// Passes the stream to several sinks in turn (e.g. the trace file and the -d exec log).
class SinkFanout final : public StreamSink {
  public:
    void add(StreamSink& sink) { m_sinks.push_back(&sink); }
    void exec(const ExecSpan& span) override {
        for (StreamSink* s : m_sinks) {
            s->exec(span);
        }
    }
    void exec_batch(std::span<const ExecSpan> spans) override {
        for (StreamSink* s : m_sinks) {
            s->exec_batch(spans);
        }
    }
    void event(const TraceEvent& ev) override {
        for (StreamSink* s : m_sinks) {
            s->event(ev);
        }
    }
    void finish() override {
        for (StreamSink* s : m_sinks) {
            s->finish();
        }
    }

  private:
    std::vector<StreamSink*> m_sinks;
};

} // namespace tools
