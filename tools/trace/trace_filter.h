// SPDX-License-Identifier: MIT
// TraceFilter: the stage that applies -dfilter, -dcpl, -dcr3, -dicount, -dstart and -dstop
// (trace_options.h) exactly, per instruction, and passes on what is kept. Spans whose block
// lies wholly inside or outside the address ranges are decided at once (the verdict is cached
// per block), so a filter that keeps nothing costs a few compares per block; only blocks that
// straddle a range edge or hold a trigger address are looked at instruction by instruction.
//
// Semantics: tracing is on from the start trigger (the instruction at the start address is
// kept; a port trigger starts after the write) until the stop trigger (the instruction at the
// stop address is not kept; a port write that stops is the last thing kept); triggers see
// every execution, whatever the other filters. Events are kept while tracing is on and inside
// the window when the CPL and CR3 filters match (an interrupt by its old or new CPL, a CR3 load
// by its old or new CR3); the address filter applies to instructions only.
#pragma once

#include "tools/trace/block_catalog.h"
#include "tools/trace/record_decoder.h"
#include "tools/trace/stream.h"
#include "tools/trace/trace_options.h"

#include <vector>

namespace tools {

class TraceFilter final : public StreamSink, public SpanGate {
  public:
    TraceFilter(const TraceFilterSpec& spec, BlockCatalog& catalog, StreamSink& out);
    void exec(const ExecSpan& span) override;
    void exec_batch(std::span<const ExecSpan> spans) override;
    void event(const TraceEvent& ev) override;
    void finish() override { m_out.finish(); }

    // SpanGate: the decoder drops blocks this filter can never keep.
    bool may_keep(u32 id, const BlockView& view) override;
    u64 wanted_from() const override;

    /// Nothing more can be kept: the stop trigger fired or the window closed.
    bool done() const { return m_phase == Phase::Done; }

  private:
    enum class Phase : u8 { Waiting, On, Done };
    enum Verdict : u8 {
        kKnown = 1,
        kAllIn = 2,    ///< every instruction start is inside a -dfilter range
        kAllOut = 4,   ///< none is
        kHasStart = 8, ///< holds the start trigger's address
        kHasStop = 16, ///< holds the stop trigger's address
        kCplOut = 32,  ///< runs at a CPL -dcpl does not keep
    };

    u8 verdict(u32 id) {
        if (id < m_verdicts.size() && (m_verdicts[id] & kKnown)) [[likely]] {
            return m_verdicts[id];
        }
        const BlockView* view = m_catalog.find(id);
        return view ? compute_verdict(id, *view) : u8{kKnown | kAllOut | kCplOut};
    }
    u8 compute_verdict(u32 id, const BlockView& view);
    void keep(const BlockView& view, u8 verdict, ExecSpan span);
    void pass(const ExecSpan& span) { m_out.exec(span); }
    bool in_ranges(u64 lin) const;
    bool cr3_kept(u64 cr3) const;
    bool cpl_kept(u8 cpl) const { return m_spec.keeps_cpl(cpl); }
    static bool port_fires(const TraceTrigger& t, const TraceEvent& ev);

    TraceFilterSpec m_spec;
    BlockCatalog& m_catalog;
    StreamSink& m_out;
    Phase m_phase;
    const bool m_passthrough;   ///< no option given: everything is kept
    const bool m_window_only;   ///< -dicount alone
    std::vector<u8> m_verdicts; ///< by block id
};

} // namespace tools
