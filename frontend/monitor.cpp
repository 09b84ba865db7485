// SPDX-License-Identifier: MIT
#include "frontend/monitor.h"

#include "cpu/cpu.h"
#include "cpu/state_dump.h"
#include "devices/board/pc.h"
#include "frontend/debug_memory.h"
#include "tools/trace/disassembler.h"
#include "frontend/gdb_regs.h"

#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdlib>
#include <vector>

namespace frontend {
namespace {

/// Longest dump one x/xp command prints, so a typo like x/1000000 cannot flood a terminal.
constexpr u64 kMaxDumpUnits = 4096;
/// Longest `info tlb` listing (coalesced ranges).
constexpr unsigned kMaxTlbLines = 4000;

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

/// Splits off the first word (up to whitespace or '/').
std::string_view first_word(std::string_view s, std::string_view& rest) {
    usize i = 0;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '/') {
        ++i;
    }
    rest = trim(s.substr(i));
    return s.substr(0, i);
}

bool parse_number(std::string_view s, u64& out) {
    if (s.empty()) {
        return false;
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    u64 v = 0;
    for (const char c : s) {
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else {
            return false;
        }
        if (v > (~u64{0} - static_cast<u64>(d)) / static_cast<u64>(base)) {
            return false;
        }
        v = v * static_cast<u64>(base) + static_cast<u64>(d);
    }
    out = v;
    return true;
}

const char* const kHelp =
    "info registers      CPU registers (as QEMU's `info registers`)\n"
    "info mmu            paging mode and the TLB: retained address spaces, counters\n"
    "info tlb            the guest's page-table mappings (linear -> physical ranges)\n"
    "info status         running or paused\n"
    "x/FMT ADDR          dump memory at linear ADDR; FMT = [count][format][size],\n"
    "                    format x d u o c i s, size b h w g (e.g. x/8xw $esp, x/10i $eip)\n"
    "xp/FMT ADDR         the same at a physical address\n"
    "stop                pause the guest (cont resumes)\n"
    "cont | c            resume the guest\n"
    "stats               instructions retired, translator and TLB counters\n"
    "screendump FILE     (no display yet)\n"
    "quit | q            quit tx86\n"
    "help | ?            this list\n"
    "ADDR is an expression: numbers (0x... hex, else decimal), $reg ($eip $esp $cr3 ...), + and -\n";

/// Printable form of a byte for x/c and x/s.
std::string char_text(u8 c) {
    switch (c) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case 0: return "\\0";
    case '\\': return "\\\\";
    case '"': return "\\\"";
    default: break;
    }
    if (c >= 0x20 && c < 0x7F) {
        return std::string(1, static_cast<char>(c));
    }
    return format("\\x%02x", c);
}

} // namespace

std::string capture_output(const std::function<void(std::FILE*)>& write) {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    if (!f) {
        return {};
    }
    write(f);
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    return out;
}

std::optional<u64> Monitor::evaluate(std::string_view expr) {
    expr = trim(expr);
    if (expr.empty()) {
        return std::nullopt;
    }
    u64 total = 0;
    bool negate = false;
    usize i = 0;
    for (;;) {
        while (i < expr.size() && expr[i] == ' ') {
            ++i;
        }
        usize j = i;
        while (j < expr.size() && expr[j] != '+' && expr[j] != '-' && expr[j] != ' ') {
            ++j;
        }
        const std::string_view term = expr.substr(i, j - i);
        u64 v = 0;
        if (!term.empty() && term[0] == '$') {
            std::string name(term.substr(1));
            if (name == "pc") {
                name = "eip";
            } else if (name == "sp") {
                name = "esp";
            }
            const int regno = gdb::register_number(name);
            if (regno < 0 || gdb::register_info(static_cast<unsigned>(regno)).bytes > 8) {
                return std::nullopt;
            }
            const std::vector<u8> bytes = gdb::read_register(m_board.cpu(), static_cast<unsigned>(regno));
            for (usize k = 0; k < bytes.size(); ++k) {
                v |= u64{bytes[k]} << (8 * k);
            }
        } else if (!parse_number(term, v)) {
            return std::nullopt;
        }
        total = negate ? total - v : total + v;
        while (j < expr.size() && expr[j] == ' ') {
            ++j;
        }
        if (j >= expr.size()) {
            return total;
        }
        negate = expr[j] == '-';
        if (expr[j] != '+' && expr[j] != '-') {
            return std::nullopt;
        }
        i = j + 1;
    }
}

std::string Monitor::execute(std::string_view line) {
    line = trim(line);
    if (line.empty()) {
        return {};
    }
    std::string_view rest;
    const std::string_view cmd = first_word(line, rest);
    if (cmd == "help" || cmd == "?" || cmd == "h") {
        return kHelp;
    }
    if (cmd == "info" || cmd == "i") {
        return info(rest);
    }
    if (cmd == "x" || cmd == "xp") {
        std::string_view fmt;
        if (!rest.empty() && rest[0] == '/') {
            usize k = 1;
            while (k < rest.size() && !std::isspace(static_cast<unsigned char>(rest[k]))) {
                ++k;
            }
            fmt = rest.substr(1, k - 1);
            rest = trim(rest.substr(k));
        }
        return memory_dump(fmt, rest, cmd == "xp");
    }
    if (cmd == "stop" || cmd == "s") {
        m_board.pause();
        return {};
    }
    if (cmd == "cont" || cmd == "c") {
        m_board.resume();
        return {};
    }
    if (cmd == "stats") {
        return stats();
    }
    if (cmd == "screendump") {
        return "screendump: tx86 has no display yet (VGA is not emulated); nothing to dump\n";
    }
    if (cmd == "quit" || cmd == "q") {
        m_board.request_quit();
        m_quit = true;
        return {};
    }
    return "unknown command: '" + std::string(cmd) + "' (try help)\n";
}

std::string Monitor::info(std::string_view what) {
    if (what == "registers" || what == "r" || what == "reg") {
        return capture_output([&](std::FILE* f) { cpu::dump_state_qemu_style(m_board.cpu(), f); });
    }
    if (what == "mmu") {
        return info_mmu();
    }
    if (what == "tlb") {
        return info_tlb();
    }
    if (what == "status") {
        return std::string("VM status: ") + (m_board.paused() ? "paused" : "running") + "\n";
    }
    if (what.empty()) {
        return "info: say what (registers, mmu, tlb, status)\n";
    }
    return "info: unknown item '" + std::string(what) + "' (registers, mmu, tlb, status)\n";
}

std::string Monitor::info_mmu() {
    cpu::Cpu& c = m_board.cpu();
    const cpu::CpuState& s = c.s;
    std::string out;
    const char* mode = !(s.cr0 & cpu::kCr0PG)  ? "off"
                       : (s.efer & cpu::kEferLMA) ? "4-level (long mode)"
                       : (s.cr4 & cpu::kCr4PAE)   ? "PAE"
                       : (s.cr4 & cpu::kCr4PSE)   ? "32-bit with 4 MiB pages (PSE)"
                                                  : "32-bit";
    out += format("paging: %s\n", mode);
    out += format("CR0=%08" PRIx64 " CR3=%08" PRIx64 " CR4=%08" PRIx64 " EFER=%08" PRIx64 "\n", s.cr0,
                  s.cr3, s.cr4, s.efer);
    const mmu::ShadowSpaces& spaces = c.tlb_spaces();
    out += format("TLB: %u address spaces retained (of %u; current CR3=%08" PRIx64
                  "), %u entries per bank, %zu KiB of host memory\n",
                  spaces.live_spaces(), cpu::Cpu::kTlbSpaces, s.cr3, cpu::Cpu::kTlbSize,
                  spaces.memory_bytes() / 1024);
    out += capture_output([&](std::FILE* f) { c.tlb_stats().print(f, spaces.watched_pages()); });
    return out;
}

std::string Monitor::info_tlb() {
    cpu::Cpu& c = m_board.cpu();
    if (!(c.s.cr0 & cpu::kCr0PG)) {
        return "paging is off: linear addresses are physical\n";
    }
    std::string out;
    unsigned lines = 0;
    u64 more = 0;
    PageMapping run{};
    bool have = false;
    auto flush = [&] {
        if (!have) {
            return;
        }
        if (lines >= kMaxTlbLines) {
            ++more;
            return;
        }
        ++lines;
        out += format("%08" PRIx64 "-%08" PRIx64 " -> %09" PRIx64 " %7" PRIu64 "K %s %s%s%s\n", run.lin,
                      run.lin + run.size - 1, run.phys, run.size / 1024, run.writable ? "rw" : "r-",
                      run.user ? "user" : "kern", run.global ? " global" : "", run.nx ? " nx" : "");
    };
    debug_walk_mappings(c, [&](const PageMapping& m) {
        // Coalesce pages that continue the previous range in both address spaces alike.
        if (have && m.lin == run.lin + run.size && m.phys == run.phys + run.size &&
            m.writable == run.writable && m.user == run.user && m.global == run.global &&
            m.nx == run.nx) {
            run.size += m.size;
            return;
        }
        flush();
        run = m;
        have = true;
    });
    flush();
    if (lines == 0) {
        return "no pages are mapped\n";
    }
    if (more) {
        out += format("... %" PRIu64 " more ranges\n", more);
    }
    return "linear range        -> physical       size access\n" + out;
}

std::string Monitor::stats() {
    cpu::Cpu& c = m_board.cpu();
    std::string out = format("instructions retired: %" PRIu64 "\n", c.icount);
    out += format("VM status: %s\n", m_board.paused() ? "paused" : "running");
    if (c.engine()) {
        const std::string engine = capture_output([&](std::FILE* f) { c.engine()->print_stats(f); });
        out += engine.empty() ? std::string("execution engine: no counters (interpreter)\n") : engine;
    }
    out += capture_output([&](std::FILE* f) { c.tlb_stats().print(f, c.tlb_spaces().watched_pages()); });
    return out;
}

std::string Monitor::memory_dump(std::string_view fmt, std::string_view args, bool physical) {
    const char* name = physical ? "xp" : "x";
    // QEMU's format letters: [count][format][size], in any order after the count.
    u64 count = 1;
    char format_letter = 'x';
    unsigned size = 0;
    usize k = 0;
    if (k < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[k]))) {
        count = 0;
        while (k < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[k]))) {
            count = count * 10 + static_cast<u64>(fmt[k] - '0');
            if (count > kMaxDumpUnits) {
                return format("%s: count too large (at most %" PRIu64 ")\n", name, kMaxDumpUnits);
            }
            ++k;
        }
    }
    for (; k < fmt.size(); ++k) {
        const char f = fmt[k];
        switch (f) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i': case 's': format_letter = f; break;
        case 'b': size = 1; break;
        case 'h': size = 2; break;
        case 'w': size = 4; break;
        case 'g': size = 8; break;
        default: return format("%s: invalid format letter '%c' (formats x d u o c i s, sizes b h w g)\n", name, f);
        }
    }
    if (count == 0) {
        return {};
    }
    if (size == 0) {
        size = format_letter == 'c' || format_letter == 's' ? 1 : 4;
    }
    if (args.empty()) {
        return format("%s: missing address (e.g. %s/4xw 0x1000)\n", name, name);
    }
    const std::optional<u64> addr = evaluate(args);
    if (!addr) {
        return format("%s: cannot evaluate '%.*s'\n", name, static_cast<int>(args.size()), args.data());
    }
    cpu::Cpu& c = m_board.cpu();
    auto read = [&](u64 a, u8* buf, usize n) {
        return physical ? debug_read_phys(c.phys(), a, buf, n) : debug_read_linear(c, a, buf, n);
    };
    const char* addr_fmt = physical ? "%016" PRIx64 ":" : "%08" PRIx64 ":";
    std::string out;
    u64 a = *addr;

    if (format_letter == 'i') {
        const unsigned bits = c.code_size() * 8;
        tools::Disassembler disasm;
        for (u64 n = 0; n < count; ++n) {
            u8 buf[16];
            usize got = 0;
            while (got < sizeof(buf) && read(a + got, buf + got, 1)) {
                ++got;
            }
            if (got == 0) {
                out += format(addr_fmt, a) + " Cannot access memory\n";
                break;
            }
            unsigned len = 1;
            const std::string text = disasm.text(buf, got, static_cast<u8>(bits), a, &len);
            out += format("0x%08" PRIx64 ":  ", a) + text + "\n";
            a += len;
        }
        return out;
    }
    if (format_letter == 's') {
        for (u64 n = 0; n < count; ++n) {
            std::string text;
            u8 ch = 0;
            u64 p = a;
            bool ok = true;
            for (unsigned len = 0; len < 1024; ++len, ++p) {
                if (!read(p, &ch, 1)) {
                    ok = false;
                    break;
                }
                if (ch == 0) {
                    break;
                }
                text += char_text(ch);
            }
            out += format(addr_fmt, a) + " \"" + text + "\"" + (ok ? "" : " (cannot access memory)") + "\n";
            if (!ok) {
                break;
            }
            a = p + 1;
        }
        return out;
    }
    // Numbers and characters: 16 bytes per line, like QEMU.
    const unsigned per_line = format_letter == 'c' ? 16 : 16 / size;
    for (u64 n = 0; n < count; ++n) {
        if (n % per_line == 0) {
            if (n) {
                out += "\n";
            }
            out += format(addr_fmt, a);
        }
        u8 buf[8] = {};
        if (!read(a, buf, size)) {
            out += " Cannot access memory";
            break;
        }
        u64 v = 0;
        for (unsigned b = 0; b < size; ++b) {
            v |= u64{buf[b]} << (8 * b);
        }
        const unsigned bits = size * 8;
        switch (format_letter) {
        case 'x': out += format(" 0x%0*" PRIx64, static_cast<int>(size * 2), v); break;
        case 'o': out += format(" 0%" PRIo64, v); break;
        case 'u': out += format(" %" PRIu64, v); break;
        case 'd': {
            const i64 sv = bits == 64 ? static_cast<i64>(v)
                                      : static_cast<i64>(v << (64 - bits)) >> (64 - bits);
            out += format(" %" PRId64, sv);
            break;
        }
        case 'c': out += " " + char_text(static_cast<u8>(v)); break;
        default: break;
        }
        a += size;
    }
    out += "\n";
    return out;
}

} // namespace frontend
