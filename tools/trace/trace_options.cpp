// SPDX-License-Identifier: MIT
// Parsers for the trace filter options. Spellings follow QEMU where it has one (-dfilter's
// ranges: a..b inclusive, a+size, a-size); the others are tx86's, in the same "-d..." family so
// that they read as parts of the -d log they narrow.
#include "tools/trace/trace_options.h"

#include <limits>

namespace tools {
namespace {

constexpr u64 kMax = std::numeric_limits<u64>::max();

std::string quoted(std::string_view s) {
    // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "'" + std::string(s).
    std::string q;
    q.reserve(s.size() + 2);
    q += '\'';
    q += s;
    q += '\'';
    return q;
}

/// Splits at the first occurrence of `sep`; false when it does not occur.
bool split(std::string_view s, std::string_view sep, std::string_view& left,
           std::string_view& right) {
    const auto at = s.find(sep);
    if (at == std::string_view::npos) {
        return false;
    }
    left = s.substr(0, at);
    right = s.substr(at + sep.size());
    return true;
}

std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto comma = s.find(',');
        out.push_back(s.substr(0, comma));
        if (comma == std::string_view::npos) {
            return out;
        }
        s = s.substr(comma + 1);
    }
}

/// One -dfilter range: "lo..hi" (inclusive), "start+size" or "end-size" (QEMU's util/log.c
/// forms: the size counts bytes, so a-size ends at a inclusive).
std::string parse_range(std::string_view item, AddrRange& out) {
    std::string_view a, b;
    u64 x = 0, y = 0;
    if (split(item, "..", a, b)) {
        if (!parse_u64(a, x) || !parse_u64(b, y)) {
            return "bad address in -dfilter range " + quoted(item);
        }
        if (x > y) {
            return "-dfilter range " + quoted(item) + " ends before it starts";
        }
        out = {x, y};
        return {};
    }
    const auto op = item.find_first_of("+-", 1);
    if (op == std::string_view::npos) {
        return "-dfilter range " + quoted(item) + " is not lo..hi, start+size or end-size";
    }
    if (!parse_u64(item.substr(0, op), x) || !parse_u64(item.substr(op + 1), y)) {
        return "bad number in -dfilter range " + quoted(item);
    }
    if (y == 0) {
        return "-dfilter range " + quoted(item) + " has size zero";
    }
    if (item[op] == '+') {
        if (x > kMax - (y - 1)) {
            return "-dfilter range " + quoted(item) + " runs past the end of the address space";
        }
        out = {x, x + (y - 1)};
    } else {
        if (y - 1 > x) {
            return "-dfilter range " + quoted(item) + " starts below address 0";
        }
        out = {x - (y - 1), x};
    }
    return {};
}

std::string parse_dfilter(std::string_view value, TraceFilterSpec& spec) {
    std::vector<AddrRange> ranges;
    for (std::string_view item : split_list(value)) {
        AddrRange r;
        if (std::string e = parse_range(item, r); !e.empty()) {
            return e;
        }
        ranges.push_back(r);
    }
    spec.ranges = std::move(ranges);
    return {};
}

std::string parse_dcpl(std::string_view value, TraceFilterSpec& spec) {
    u8 mask = 0;
    for (std::string_view item : split_list(value)) {
        if (item.size() != 1 || item[0] < '0' || item[0] > '3') {
            return "invalid -dcpl value " + quoted(item) + " (use 0, 1, 2 or 3, or a list: 0,3)";
        }
        mask |= static_cast<u8>(1u << (item[0] - '0'));
    }
    spec.cpl_mask = mask;
    return {};
}

std::string parse_dcr3(std::string_view value, TraceFilterSpec& spec) {
    std::vector<u64> cr3s;
    for (std::string_view item : split_list(value)) {
        u64 v = 0;
        if (!parse_u64(item, v)) {
            return "invalid -dcr3 value " + quoted(item) + " (a CR3 value such as 0x1234000)";
        }
        cr3s.push_back(v & kCr3CompareMask);
    }
    spec.cr3s = std::move(cr3s);
    return {};
}

/// -dicount START..END (inclusive, like -dfilter), START+COUNT, or START.. (open-ended).
std::string parse_dicount(std::string_view value, TraceFilterSpec& spec) {
    std::string_view a, b;
    u64 first = 0, last = kMax;
    const std::string what =
        "invalid -dicount window " + quoted(value) + " (use START..END, START+COUNT or START..)";
    if (split(value, "..", a, b)) {
        if (!parse_u64(a, first) || (!b.empty() && !parse_u64(b, last))) {
            return what;
        }
        if (first > last) {
            return "-dicount window " + quoted(value) + " ends before it starts";
        }
    } else if (split(value, "+", a, b)) {
        u64 count = 0;
        if (!parse_u64(a, first) || !parse_u64(b, count)) {
            return what;
        }
        if (count == 0) {
            return "-dicount window " + quoted(value) + " is empty";
        }
        if (first > kMax - (count - 1)) {
            return "-dicount window " + quoted(value) + " overflows the instruction counter";
        }
        last = first + (count - 1);
    } else {
        return what;
    }
    spec.icount_first = first;
    spec.icount_last = last;
    return {};
}

/// -dstart / -dstop: addr=A | A | port=P[,value=V].
std::string parse_trigger(std::string_view opt, std::string_view value, TraceTrigger& out) {
    TraceTrigger t;
    const std::vector<std::string_view> items = split_list(value);
    const std::string usage = " (use addr=ADDRESS or port=PORT[,value=V])";
    for (std::string_view item : items) {
        std::string_view key, v;
        if (!split(item, "=", key, v)) {
            key = items.size() == 1 ? "addr" : item;
            v = item;
        }
        u64 n = 0;
        if (key == "addr") {
            if (t.kind != TraceTrigger::Kind::None || !parse_u64(v, n)) {
                return "invalid -" + std::string(opt) + " " + quoted(value) + usage;
            }
            t.kind = TraceTrigger::Kind::Addr;
            t.addr = n;
        } else if (key == "port") {
            if (t.kind != TraceTrigger::Kind::None || !parse_u64(v, n) || n > 0xFFFF) {
                return "invalid -" + std::string(opt) + " port in " + quoted(value) +
                       " (0..0xffff)";
            }
            t.kind = TraceTrigger::Kind::Port;
            t.port = static_cast<u16>(n);
        } else if (key == "value") {
            if (!parse_u64(v, n) || n > 0xFFFF) {
                return "invalid -" + std::string(opt) + " value in " + quoted(value) +
                       " (0..0xffff: the trace keeps the low 16 bits of a port write)";
            }
            t.match_value = true;
            t.value = static_cast<u32>(n);
        } else {
            return "invalid -" + std::string(opt) + " " + quoted(value) + usage;
        }
    }
    if (t.kind == TraceTrigger::Kind::None ||
        (t.match_value && t.kind != TraceTrigger::Kind::Port)) {
        return "invalid -" + std::string(opt) + " " + quoted(value) + usage;
    }
    out = t;
    return {};
}

} // namespace

bool TraceFilterSpec::restricts() const {
    return !ranges.empty() || cpl_mask != 0 || !cr3s.empty() || icount_first != 0 ||
           icount_last != kMax || has_triggers();
}

bool parse_u64(std::string_view s, u64& out) {
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty()) {
        return false;
    }
    u64 v = 0;
    for (char c : s) {
        unsigned d = 0;
        if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = static_cast<unsigned>(c - 'a' + 10);
        } else if (base == 16 && c >= 'A' && c <= 'F') {
            d = static_cast<unsigned>(c - 'A' + 10);
        } else {
            return false;
        }
        if (v > (kMax - d) / base) {
            return false;
        }
        v = v * base + d;
    }
    out = v;
    return true;
}

bool is_filter_option(std::string_view name) {
    return name == "dfilter" || name == "dcpl" || name == "dcr3" || name == "dicount" ||
           name == "dstart" || name == "dstop";
}

std::string parse_filter_option(std::string_view name, std::string_view value,
                                TraceFilterSpec& spec) {
    if (value.empty()) {
        return "option '-" + std::string(name) + "' needs a value";
    }
    if (name == "dfilter") {
        return parse_dfilter(value, spec);
    }
    if (name == "dcpl") {
        return parse_dcpl(value, spec);
    }
    if (name == "dcr3") {
        return parse_dcr3(value, spec);
    }
    if (name == "dicount") {
        return parse_dicount(value, spec);
    }
    if (name == "dstart") {
        return parse_trigger(name, value, spec.start);
    }
    if (name == "dstop") {
        return parse_trigger(name, value, spec.stop);
    }
    return "unknown trace filter option '-" + std::string(name) + "'";
}

std::string_view filter_help() {
    return "-dfilter range,...       keep instructions at these linear addresses: lo..hi\n"
           "                         (inclusive), start+size or end-size (as QEMU)\n"
           "-dcpl n,...              keep instructions run at these privilege levels (0-3)\n"
           "-dcr3 value,...          keep instructions run with this CR3 (one process)\n"
           "-dicount first..last|first+count|first..\n"
           "                         keep this window of the instruction counter (inclusive)\n"
           "-dstart addr=A|port=P[,value=V]\n"
           "                         keep nothing until the first execution of address A, or\n"
           "                         the first guest write to port P (of value V)\n"
           "-dstop addr=A|port=P[,value=V]\n"
           "                         keep nothing from the first execution of A (or the\n"
           "                         write to P) after the start\n";
}

} // namespace tools
