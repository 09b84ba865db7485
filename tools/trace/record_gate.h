// SPDX-License-Identifier: MIT
// RecordGate: decides, on the guest's thread, which records the trace consumer must see at all.
// A buffer of records none of which a filter could keep is not handed to the consumer thread:
// it just stays in the flight recorder's ring, and the consumer is told only that the stream
// skipped ahead (RecordDecoder::skip). That is what makes tracing armed but filtered out cost
// what the flight recorder alone costs, instead of a second core reading every record.
//
// The answers are conservative (a "yes" may still keep nothing; a "no" is certain) and depend
// only on the immutable filter spec, so they are safe to ask from the producer thread while
// the consumer's TraceFilter applies the same spec exactly:
//   - a block is needed unless its CPL is filtered out or its bytes miss every -dfilter range,
//     and always when a start/stop address lies in it (triggers see every execution);
//   - an event is needed unless the CPL filter excludes it (an interrupt by both its old and
//     new CPL), and a port write always when it may fire a port trigger;
//   - a buffer whose instruction counts all lie outside the -dicount window is not needed,
//     unless a trigger is armed (triggers watch the whole run).
// The CR3 filter is not decided here (blocks are shared between address spaces).
#pragma once

#include "cpu/trace_record.h"
#include "tools/trace/trace_options.h"

namespace tools {

class RecordGate {
  public:
    explicit RecordGate(const TraceFilterSpec& spec) : m_spec(spec) {}

    bool block_needed(const cpu::BlockDef& def) const;
    /// `tag` is a kTrace* event tag; `cpl` the CPL of the code running when it happened.
    bool event_needed(u32 tag, u32 aux, u8 cpl) const;
    /// Could a record entered at an instruction count in [first, last] (a block of up to
    /// 4096 instructions each) be kept by the -dicount window?
    bool window_needed(u64 first, u64 last) const;

  private:
    bool cpl_kept(u8 cpl) const { return m_spec.keeps_cpl(cpl); }

    const TraceFilterSpec m_spec;
};

} // namespace tools
