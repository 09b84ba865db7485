// SPDX-License-Identifier: MIT
// tx86-trace print, count and stats: each reads one file through the filter into a sink.
#include "tools/trace/text_printer.h"
#include "tools/trace/trace_filter.h"
#include "tools/trace/trace_reader.h"
#include "tools/trace_cli/cli.h"
#include "tools/trace_cli/read_loop.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace trace_cli {

namespace {

/// print: the text printer with an instruction limit.
class LimitedPrinter final : public tools::StreamSink {
  public:
    LimitedPrinter(tools::TextPrinter& printer, u64 limit)
        : m_printer(printer), m_left(limit ? limit : ~u64{0}) {}
    void exec(const tools::ExecSpan& span) override {
        if (m_left == 0) {
            return;
        }
        tools::ExecSpan s = span;
        if (s.count > m_left) {
            s.count = static_cast<u32>(m_left);
        }
        m_left -= s.count;
        m_printer.exec(s);
    }
    void event(const tools::TraceEvent& ev) override {
        if (m_left != 0) {
            m_printer.event(ev);
        }
    }
    void finish() override { m_printer.finish(); }
    bool full() const { return m_left == 0; }

  private:
    tools::TextPrinter& m_printer;
    u64 m_left;
};

/// count: totals of everything in the (filtered) stream.
class Counter final : public tools::StreamSink {
  public:
    void exec(const tools::ExecSpan& span) override {
        if (insns == 0) {
            first = span.icount;
        }
        insns += span.count;
        ++spans;
        blocks += span.first == 0;
        end = span.icount + span.count;
    }
    void event(const tools::TraceEvent& ev) override {
        switch (ev.kind) {
        case tools::TraceEvent::Kind::Interrupt:
            ++interrupts;
            break;
        case tools::TraceEvent::Kind::Cr3Load:
            ++cr3_loads;
            break;
        case tools::TraceEvent::Kind::PortWrite:
            ++port_writes;
            break;
        case tools::TraceEvent::Kind::Gap:
            ++gaps;
            break;
        case tools::TraceEvent::Kind::RegWrite:
            ++reg_writes;
            break;
        }
    }
    u64 insns = 0, spans = 0, blocks = 0, interrupts = 0, cr3_loads = 0, port_writes = 0, gaps = 0;
    u64 reg_writes = 0;
    u64 first = 0, end = 0;
};

/// stats: per-CPL counts, per-instruction and per-block counters, interrupts by vector.
class Stats final : public tools::StreamSink {
  public:
    explicit Stats(tools::BlockCatalog& catalog) : m_catalog(catalog) {}
    void exec(const tools::ExecSpan& span) override {
        const tools::BlockView* view = m_catalog.find(span.block);
        if (!view) {
            return;
        }
        total += span.count;
        per_cpl[view->def.cpl & 3] += span.count;
        if (span.block >= m_per_insn.size()) {
            m_per_insn.resize(std::max<usize>(usize{span.block} + 1, m_per_insn.size() * 2));
            m_entries.resize(m_per_insn.size(), 0);
        }
        auto& counts = m_per_insn[span.block];
        if (counts.empty()) {
            counts.assign(view->def.ninsns, 0);
        }
        for (u32 i = span.first; i < span.first + span.count; ++i) {
            ++counts[i];
        }
        if (span.first == 0) {
            ++m_entries[span.block];
        }
    }
    void event(const tools::TraceEvent& ev) override {
        if (ev.kind == tools::TraceEvent::Kind::Interrupt) {
            ++vectors[ev.vector()];
        }
    }

    struct Row {
        u64 count;
        u32 block;
        u32 index;
    };
    /// The hottest instructions, summed over blocks that share an address.
    std::vector<Row> top_insns(unsigned n) const {
        std::unordered_map<u64, Row> by_lin;
        for (u32 b = 0; b < m_per_insn.size(); ++b) {
            const tools::BlockView* view = m_per_insn[b].empty() ? nullptr : m_catalog.find(b);
            for (u32 i = 0; view && i < m_per_insn[b].size(); ++i) {
                if (m_per_insn[b][i]) {
                    auto [it, fresh] = by_lin.try_emplace(view->lin(i), Row{0, b, i});
                    it->second.count += m_per_insn[b][i];
                }
            }
        }
        std::vector<Row> rows;
        for (const auto& kv : by_lin) {
            rows.push_back(kv.second);
        }
        return top(rows, n);
    }
    /// The most entered blocks, summed over definitions with the same start address.
    std::vector<Row> top_blocks(unsigned n) const {
        std::unordered_map<u64, Row> by_lin;
        for (u32 b = 0; b < m_entries.size(); ++b) {
            if (m_entries[b]) {
                auto [it, fresh] = by_lin.try_emplace(m_catalog.find(b)->def.lin_pc, Row{0, b, 0});
                it->second.count += m_entries[b];
            }
        }
        std::vector<Row> rows;
        for (const auto& kv : by_lin) {
            rows.push_back(kv.second);
        }
        return top(rows, n);
    }

    u64 total = 0;
    u64 per_cpl[4] = {};
    std::map<u8, u64> vectors;

  private:
    static std::vector<Row> top(std::vector<Row>& rows, unsigned n) {
        const usize k = std::min<usize>(n, rows.size());
        std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(k), rows.end(),
                          [](const Row& a, const Row& b) { return a.count > b.count; });
        rows.resize(k);
        return rows;
    }

    tools::BlockCatalog& m_catalog;
    std::vector<std::vector<u64>> m_per_insn;
    std::vector<u64> m_entries;
};

double percent(u64 part, u64 whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

} // namespace

int run_print(const Args& args) {
    tools::TraceFileReader reader;
    if (!open_trace(reader, args.files[0])) {
        return kFileError;
    }
    tools::TextPrinter::Style style;
    style.icount_column = true;
    style.instructions = args.insns;
    style.interrupts = args.events;
    style.other_events = args.events;
    tools::TextPrinter printer(reader.catalog(), stdout, style);
    LimitedPrinter limited(printer, args.limit);
    tools::TraceFilter filter(args.filter, reader.catalog(), limited);
    return read_through(reader, filter, [&] { return limited.full() || filter.done(); });
}

int run_count(const Args& args) {
    tools::TraceFileReader reader;
    if (!open_trace(reader, args.files[0])) {
        return kFileError;
    }
    Counter c;
    tools::TraceFilter filter(args.filter, reader.catalog(), c);
    const int status = read_through(reader, filter, [&filter] { return filter.done(); });
    if (status != kOk) {
        return status;
    }
    std::printf("instructions %" PRIu64 "\n", c.insns);
    std::printf("blocks %" PRIu64 "\n", c.blocks);
    std::printf("spans %" PRIu64 "\n", c.spans);
    std::printf("interrupts %" PRIu64 "\n", c.interrupts);
    std::printf("cr3-loads %" PRIu64 "\n", c.cr3_loads);
    std::printf("port-writes %" PRIu64 "\n", c.port_writes);
    std::printf("reg-writes %" PRIu64 "\n", c.reg_writes);
    std::printf("gaps %" PRIu64 "\n", c.gaps);
    if (c.insns) {
        std::printf("icount %" PRIu64 "..%" PRIu64 "\n", c.first, c.end - 1);
    }
    return kOk;
}

int run_stats(const Args& args) {
    tools::TraceFileReader reader;
    if (!open_trace(reader, args.files[0])) {
        return kFileError;
    }
    Stats st(reader.catalog());
    tools::TraceFilter filter(args.filter, reader.catalog(), st);
    const int status = read_through(reader, filter, [&filter] { return filter.done(); });
    if (status != kOk) {
        return status;
    }
    tools::TextPrinter printer(reader.catalog(), nullptr, {});
    std::printf("instructions %" PRIu64 "\n", st.total);
    for (unsigned cpl = 0; cpl < 4; ++cpl) {
        if (st.per_cpl[cpl]) {
            std::printf("  cpl %u: %14" PRIu64 "  %5.1f%%\n", cpl, st.per_cpl[cpl],
                        percent(st.per_cpl[cpl], st.total));
        }
    }
    std::printf("\nhottest instructions (executions, share, instruction):\n");
    for (const Stats::Row& r : st.top_insns(args.top)) {
        const tools::BlockView* view = reader.catalog().find(r.block);
        const tools::TracedInsn insn =
            tools::traced_insn(*view, tools::ExecSpan{r.block, 0, view->def.ninsns, 0, 0}, r.index);
        std::printf("%14" PRIu64 "  %5.1f%%  %s\n", r.count, percent(r.count, st.total),
                    printer.insn_line(insn).c_str());
    }
    std::printf("\nmost entered blocks (entries, instructions, first instruction):\n");
    for (const Stats::Row& r : st.top_blocks(args.top)) {
        const tools::BlockView* view = reader.catalog().find(r.block);
        const tools::TracedInsn insn =
            tools::traced_insn(*view, tools::ExecSpan{r.block, 0, view->def.ninsns, 0, 0}, 0);
        std::printf("%14" PRIu64 "  %4u  %s\n", r.count, view->def.ninsns,
                    printer.insn_line(insn).c_str());
    }
    if (!st.vectors.empty()) {
        std::printf("\ninterrupts by vector:\n");
        for (const auto& [vector, n] : st.vectors) {
            std::printf("  0x%02x %12" PRIu64 "\n", vector, n);
        }
    }
    return kOk;
}

} // namespace trace_cli
