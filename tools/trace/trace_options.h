// SPDX-License-Identifier: MIT
// What to trace: the filter and trigger options shared by tx86 (-dfilter, -dcpl, -dcr3,
// -dicount, -dstart, -dstop, -trace-file, -exit-at-icount) and tx86-trace (the same filter
// spellings), with their parsers. Pure values and string parsing: no files, no threads, so the
// command-line code can use it without pulling in zlib or Capstone. What the options do is
// tools/trace/trace_filter.h.
#pragma once

#include "base/types.h"

#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tools {

/// An inclusive range of linear addresses, as QEMU's -dfilter writes them.
struct AddrRange {
    u64 lo = 0;
    u64 hi = 0; ///< inclusive
    bool contains(u64 a) const { return a >= lo && a <= hi; }
    bool operator==(const AddrRange&) const = default;
};

/// A start or stop trigger: the first execution of an instruction at a linear address, or the
/// first guest write to an I/O port (optionally of one value).
struct TraceTrigger {
    enum class Kind : u8 { None, Addr, Port };
    Kind kind = Kind::None;
    u64 addr = 0;             ///< Kind::Addr: linear address of the instruction's first byte
    u16 port = 0;             ///< Kind::Port
    bool match_value = false; ///< Kind::Port: only a write of `value` fires
    u32 value = 0;
    bool operator==(const TraceTrigger&) const = default;
};

/// Which executed instructions a trace keeps. Everything is applied exactly, per instruction.
struct TraceFilterSpec {
    std::vector<AddrRange> ranges; ///< -dfilter: any of these (empty = every address)
    u8 cpl_mask = 0;               ///< -dcpl: bit n set = CPL n kept (0 = every CPL)
    std::vector<u64> cr3s;         ///< -dcr3: one of these address spaces (empty = any)
    u64 icount_first = 0;          ///< -dicount: first instruction count kept
    u64 icount_last = std::numeric_limits<u64>::max(); ///< -dicount: last one kept (inclusive)
    TraceTrigger start;                                ///< -dstart: nothing is kept before it fires
    TraceTrigger stop; ///< -dstop: nothing is kept from the time it fires

    /// True when any option narrows the trace.
    bool restricts() const;
    /// Does -dcpl keep code running at `cpl`?
    bool keeps_cpl(u8 cpl) const { return cpl_mask == 0 || ((cpl_mask >> cpl) & 1); }
    /// Is a -dstart or -dstop trigger armed?
    bool has_triggers() const {
        return start.kind != TraceTrigger::Kind::None || stop.kind != TraceTrigger::Kind::None;
    }
    bool operator==(const TraceFilterSpec&) const = default;
};

/// CR3 values are compared on bits 5 and up (the page-directory or PDPT address): PWT, PCD and
/// the low ignored bits do not name another address space.
inline constexpr u64 kCr3CompareMask = ~u64{0x1F};

/// The tracing options of tx86 itself.
struct TraceOptions {
    TraceFilterSpec filter;
    std::string file;       ///< -trace-file FILE: the binary trace (tx86-trace reads it)
    u64 exit_at_icount = 0; ///< -exit-at-icount N: end the run after N instructions (0 = never)
    bool regs = false;      ///< -trace-regs: record the registers each instruction changed
    bool operator==(const TraceOptions&) const = default;
};

/// True for the filter option names (without dashes) parse_filter_option understands:
/// dfilter, dcpl, dcr3, dicount, dstart, dstop.
bool is_filter_option(std::string_view name);

/// Parses one filter option's value into `spec`. Returns an empty string, or a one-line error
/// naming the option and the bad value (no "tx86: " prefix: the caller adds its own name).
std::string parse_filter_option(std::string_view name, std::string_view value,
                                TraceFilterSpec& spec);

/// Parses a count or address: decimal, or hexadecimal with 0x. False on anything else.
bool parse_u64(std::string_view s, u64& out);

/// The help lines for the filter options (shared by tx86 --help and tx86-trace --help).
std::string_view filter_help();

} // namespace tools
