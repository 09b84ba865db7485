// SPDX-License-Identifier: MIT
// TextPrinter: instruction and event lines.
#include "tools/trace/text_printer.h"

#include <algorithm>
#include <cinttypes>

namespace tools {
namespace {

constexpr usize kFlushBytes = 1 << 16;

std::string hex_bytes(const u8* bytes, unsigned n) {
    static const char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * n);
    for (unsigned i = 0; i < n; ++i) {
        s += kHex[bytes[i] >> 4];
        s += kHex[bytes[i] & 15];
    }
    return s;
}

void append_icount(std::string& buf, u64 icount) {
    char tmp[32];
    std::snprintf(tmp, sizeof tmp, "%12" PRIu64 " ", icount);
    buf += tmp;
}

} // namespace

const char* interrupt_source_name(u8 source) {
    static const char* const kNames[] = {"exception", "external",       "nmi",
                                         "software",  "soft-exception", "icebp"};
    return source < 6 ? kNames[source] : "?";
}

const char* trace_reg_name(u8 reg) {
    static const char* const kNames[cpu::kTraceRegCount] = {
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags", "es",
        "cs",  "ss",  "ds",  "fs",  "gs",  "cr0", "cr2", "cr3", "cr4"};
    return reg < cpu::kTraceRegCount ? kNames[reg] : "?";
}

std::string trace_reg_text(u8 reg, u32 value) {
    char tmp[32];
    const bool selector = reg >= cpu::kTrEs && reg <= cpu::kTrGs;
    std::snprintf(tmp, sizeof tmp, selector ? " %s=%04x" : " %s=%08x", trace_reg_name(reg), value);
    return tmp;
}

TextPrinter::TextPrinter(BlockCatalog& catalog, std::FILE* out, Style style)
    : m_catalog(catalog), m_out(out), m_style(style) {}

TextPrinter::~TextPrinter() {
    write_buffer();
}

const std::string& TextPrinter::insn_text(const BlockView& view, u32 block, u32 index) {
    if (block >= m_text.size()) {
        m_text.resize(std::max<usize>(usize{block} + 1, m_text.size() * 2));
    }
    auto& texts = m_text[block];
    if (!texts) {
        texts = std::make_unique<std::vector<std::string>>(view.def.ninsns);
    }
    std::string& t = (*texts)[index];
    if (t.empty()) {
        const ExecSpan one{block, index, 1, 0, 0};
        const TracedInsn insn = traced_insn(view, one, index);
        char tmp[48];
        std::snprintf(tmp, sizeof tmp, "%-30s ", hex_bytes(insn.bytes, insn.length).c_str());
        t = tmp;
        t += insn.length ? m_disasm.text(insn.bytes, insn.length, insn.code_bits, insn.eip)
                         : "(instruction bytes unknown)";
    }
    return t;
}

void TextPrinter::append_insn(std::string& buf, const BlockView& view, const TracedInsn& insn) {
    char head[96];
    std::snprintf(head, sizeof head,
                  "%04x:%08" PRIx64 " lin=%08" PRIx64 " phys=%08" PRIx64 " cpl=%u ", insn.cs,
                  insn.eip, insn.lin, insn.phys, insn.cpl);
    buf += head;
    buf += insn_text(view, insn.block, insn.index);
}

std::string TextPrinter::insn_line(const TracedInsn& insn) {
    std::string line;
    if (const BlockView* view = m_catalog.find(insn.block)) {
        append_insn(line, *view, insn);
    }
    return line;
}

std::string TextPrinter::event_line(const TraceEvent& ev) {
    char line[160];
    switch (ev.kind) {
    case TraceEvent::Kind::Interrupt: {
        char err[32] = "";
        if (ev.has_error) {
            std::snprintf(err, sizeof err, " error=0x%04x", ev.error);
        }
        char handler[48] = "";
        if (const BlockView* h = ev.handler == kNoBlock ? nullptr : m_catalog.find(ev.handler)) {
            const TracedInsn first = traced_insn(*h, ExecSpan{ev.handler, 0, 1, 0, 0}, 0);
            std::snprintf(handler, sizeof handler, ", handler %04x:%08" PRIx64, first.cs,
                          first.eip);
        }
        std::snprintf(line, sizeof line, "int: vector=0x%02x (%s)%s cpl %u -> %u%s", ev.vector(),
                      interrupt_source_name(ev.source()), err, ev.old_cpl(), ev.new_cpl(), handler);
        break;
    }
    case TraceEvent::Kind::Cr3Load:
        std::snprintf(line, sizeof line, "cr3: 0x%08x", ev.aux);
        break;
    case TraceEvent::Kind::PortWrite:
        std::snprintf(line, sizeof line, "out: port=0x%04x value=0x%04x", ev.port(), ev.value());
        break;
    case TraceEvent::Kind::Gap:
        std::snprintf(line, sizeof line,
                      "gap: instructions before icount %" PRIu64 " were not recorded", ev.icount);
        break;
    case TraceEvent::Kind::RegWrite:
        std::snprintf(line, sizeof line, "regs:%s", trace_reg_text(ev.reg, ev.aux).c_str());
        break;
    }
    return line;
}

void TextPrinter::exec(const ExecSpan& span) {
    if (!m_style.instructions) {
        return;
    }
    const BlockView* view = m_catalog.find(span.block);
    if (!view) {
        return;
    }
    // (Flushed before, not after: the last line stays in the buffer for its registers.)
    if (m_buf.size() >= kFlushBytes) {
        write_buffer();
    }
    for (u32 i = span.first; i < span.first + span.count; ++i) {
        const TracedInsn insn = traced_insn(*view, span, i);
        if (m_style.icount_column) {
            append_icount(m_buf, insn.icount);
        }
        append_insn(m_buf, *view, insn);
        m_buf += '\n';
        m_line_icount = insn.icount;
        m_line_has_regs = false;
    }
}

void TextPrinter::register_write(const TraceEvent& ev) {
    if (!m_style.registers) {
        return;
    }
    if (m_line_icount == ev.icount && !m_buf.empty() && m_buf.back() == '\n') {
        m_buf.pop_back(); // onto the line of the instruction that changed it
        m_buf += m_line_has_regs ? "" : "  ;";
    } else {
        if (m_buf.size() >= kFlushBytes) {
            write_buffer();
        }
        if (m_style.icount_column) {
            append_icount(m_buf, ev.icount);
        }
        m_buf += "regs:";
        m_line_icount = ev.icount;
    }
    m_buf += trace_reg_text(ev.reg, ev.aux);
    m_buf += '\n';
    m_line_has_regs = true;
}

void TextPrinter::event(const TraceEvent& ev) {
    if (ev.kind == TraceEvent::Kind::RegWrite) {
        register_write(ev);
        return;
    }
    const bool wanted =
        ev.kind == TraceEvent::Kind::Gap ||
        (ev.kind == TraceEvent::Kind::Interrupt ? m_style.interrupts : m_style.other_events);
    if (!wanted) {
        return;
    }
    if (m_style.icount_column) {
        append_icount(m_buf, ev.icount);
    }
    m_buf += event_line(ev);
    m_buf += '\n';
    m_line_icount = kNoLine;
    if (m_buf.size() >= kFlushBytes) {
        write_buffer();
    }
}

void TextPrinter::write_buffer() {
    if (!m_buf.empty() && m_out) {
        std::fwrite(m_buf.data(), 1, m_buf.size(), m_out);
    }
    m_buf.clear();
}

void TextPrinter::finish() {
    write_buffer();
    if (m_out) {
        std::fflush(m_out);
    }
}

} // namespace tools
