// SPDX-License-Identifier: MIT
// tx86-trace diff: walks two traces instruction by instruction (each through the filter) and
// reports the first position where they differ, with the identical instructions before it
// and a few after it on each side. Events are not compared: a diverging interrupt shows as
// the first instruction of its handler on one side only.
#include "tools/trace/text_printer.h"
#include "tools/trace/trace_filter.h"
#include "tools/trace/trace_reader.h"
#include "tools/trace_cli/cli.h"
#include "tools/trace_cli/read_loop.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>

namespace trace_cli {
namespace {

class SpanQueue final : public tools::StreamSink {
  public:
    void exec(const tools::ExecSpan& span) override { spans.push_back(span); }
    void event(const tools::TraceEvent&) override {}
    std::deque<tools::ExecSpan> spans;
};

/// One trace, read lazily, one instruction at a time.
class Side {
  public:
    Side(const std::string& path, const tools::TraceFilterSpec& filter)
        : m_path(path), m_spec(filter) {}

    bool open() {
        if (!open_trace(m_reader, m_path)) {
            return false;
        }
        m_filter = std::make_unique<tools::TraceFilter>(m_spec, m_reader.catalog(), m_queue);
        m_printer = std::make_unique<tools::TextPrinter>(m_reader.catalog(), nullptr,
                                                         tools::TextPrinter::Style{});
        return true;
    }

    /// The next instruction, or false at the end (or on a read error: see failed()).
    bool next(tools::TracedInsn& out) {
        while (m_queue.spans.empty() && !m_ended) {
            std::string message;
            switch (m_reader.next(*m_filter, message)) {
            case tools::TraceFileReader::Step::Chunk:
                break;
            case tools::TraceFileReader::Step::End:
                m_ended = true;
                break;
            case tools::TraceFileReader::Step::Truncated:
                complain("warning: " + message);
                m_ended = true;
                break;
            case tools::TraceFileReader::Step::Corrupt:
                complain(message);
                m_failed = true;
                m_ended = true;
                break;
            }
        }
        if (m_queue.spans.empty()) {
            return false;
        }
        const tools::ExecSpan& s = m_queue.spans.front();
        out = tools::traced_insn(*m_reader.catalog().find(s.block), s, s.first + m_at);
        if (++m_at == s.count) {
            m_at = 0;
            m_queue.spans.pop_front();
        }
        return true;
    }

    std::string line(const tools::TracedInsn& insn) {
        char head[32];
        std::snprintf(head, sizeof head, "%12" PRIu64 " ", insn.icount);
        return head + m_printer->insn_line(insn);
    }
    bool failed() const { return m_failed; }

  private:
    std::string m_path;
    tools::TraceFilterSpec m_spec;
    tools::TraceFileReader m_reader;
    SpanQueue m_queue;
    std::unique_ptr<tools::TraceFilter> m_filter;
    std::unique_ptr<tools::TextPrinter> m_printer;
    u32 m_at = 0;
    bool m_ended = false;
    bool m_failed = false;
};

bool same(const tools::TracedInsn& a, const tools::TracedInsn& b, bool strict) {
    if (a.lin != b.lin || a.eip != b.eip || a.cs != b.cs || a.cpl != b.cpl ||
        a.length != b.length || a.code_bits != b.code_bits ||
        std::memcmp(a.bytes, b.bytes, a.length) != 0) {
        return false;
    }
    return !strict || (a.icount == b.icount && a.phys == b.phys &&
                       (a.cr3 & tools::kCr3CompareMask) == (b.cr3 & tools::kCr3CompareMask));
}

constexpr int kAfter = 3; ///< instructions shown after the difference, per side

void show_rest(Side& side, const char* mark, int n) {
    tools::TracedInsn insn;
    for (int i = 0; i < n && side.next(insn); ++i) {
        std::printf("%s %s\n", mark, side.line(insn).c_str());
    }
}

} // namespace

int run_diff(const Args& args) {
    Side a(args.files[0], args.filter);
    Side b(args.files[1], args.filter);
    if (!a.open() || !b.open()) {
        return kUsage;
    }
    std::deque<tools::TracedInsn> before; // the last identical instructions (of A)
    u64 matched = 0;
    for (;;) {
        tools::TracedInsn x, y;
        const bool has_a = a.next(x);
        const bool has_b = b.next(y);
        if (a.failed() || b.failed()) {
            return kUsage;
        }
        if (!has_a && !has_b) {
            std::printf("identical: %" PRIu64 " instructions\n", matched);
            return kOk;
        }
        if (has_a && has_b && same(x, y, args.strict)) {
            ++matched;
            if (args.context) {
                before.push_back(x);
                if (before.size() > args.context) {
                    before.pop_front();
                }
            }
            continue;
        }
        std::printf("the traces part after %" PRIu64 " identical instructions\n", matched);
        for (const tools::TracedInsn& insn : before) {
            std::printf("  %s\n", a.line(insn).c_str());
        }
        if (!has_a) {
            std::printf("%s ends here; %s goes on:\n", args.files[0].c_str(),
                        args.files[1].c_str());
            std::printf("> %s\n", b.line(y).c_str());
            show_rest(b, ">", kAfter - 1);
            return kDiffer;
        }
        if (!has_b) {
            std::printf("%s ends here; %s goes on:\n", args.files[1].c_str(),
                        args.files[0].c_str());
            std::printf("< %s\n", a.line(x).c_str());
            show_rest(a, "<", kAfter - 1);
            return kDiffer;
        }
        std::printf("< %s\n", a.line(x).c_str());
        show_rest(a, "<", kAfter - 1);
        std::printf("> %s\n", b.line(y).c_str());
        show_rest(b, ">", kAfter - 1);
        return kDiffer;
    }
}

} // namespace trace_cli
