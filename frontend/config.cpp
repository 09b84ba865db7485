// SPDX-License-Identifier: MIT
// Command-line parsing for tx86. The grammar follows QEMU: every option is a word starting
// with '-' or '--', and options that take a value take it from the next argv word (QEMU has
// no "--opt=value" form, so neither do we). Errors are reported as a single line naming the
// option, because the user usually copied a QEMU command line and needs to know which part
// tx86 does not understand yet.
#include "frontend/config.h"

#include "base/log.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace frontend {
namespace {

constexpr u64 kMinRam = 1 * kMiB;
constexpr u64 kMaxRam = 3584 * kMiB; // 3.5 GiB: the rest of the 32-bit space is MMIO and ROM

enum class Opt {
    Mem, Kernel, Initrd, Append, Bios, NoGraphic, Serial, Debugcon, NoReboot,
    LogItems, LogFile, Accel, Icount, Rtc, Help, Version,
    RingLogFile, // the ring-transition log
    GdbDefault, Gdb, StartPaused, MonitorDev, QmpDev, // the gdb stub and the monitor
    Flight, FlightDumpOn, // the flight recorder
    TraceFile, TraceRegs, ExitAtIcount, TraceFilter, // instruction tracing
};

struct OptDef {
    std::string_view name; // without dashes
    Opt opt;
    bool takes_arg;
};

constexpr std::array kOptions = {
    OptDef{"m", Opt::Mem, true},           OptDef{"kernel", Opt::Kernel, true},
    OptDef{"initrd", Opt::Initrd, true},   OptDef{"append", Opt::Append, true},
    OptDef{"bios", Opt::Bios, true},       OptDef{"nographic", Opt::NoGraphic, false},
    OptDef{"serial", Opt::Serial, true},   OptDef{"debugcon", Opt::Debugcon, true},
    OptDef{"no-reboot", Opt::NoReboot, false}, OptDef{"d", Opt::LogItems, true},
    OptDef{"D", Opt::LogFile, true},       OptDef{"accel", Opt::Accel, true},
    OptDef{"icount", Opt::Icount, true},
    OptDef{"rtc", Opt::Rtc, true},
    OptDef{"h", Opt::Help, false},         OptDef{"help", Opt::Help, false},
    OptDef{"version", Opt::Version, false},
    // The ring-transition log.
    OptDef{"ringlog", Opt::RingLogFile, true},
    // The gdb stub and the monitor.
    OptDef{"s", Opt::GdbDefault, false},   OptDef{"gdb", Opt::Gdb, true},
    OptDef{"S", Opt::StartPaused, false},  OptDef{"monitor", Opt::MonitorDev, true},
    OptDef{"qmp", Opt::QmpDev, true},
    // The flight recorder.
    OptDef{"flight", Opt::Flight, true},   OptDef{"flight-dump-on", Opt::FlightDumpOn, true},
    // Instruction tracing (the filters all parse in tools/trace/trace_options.cpp).
    OptDef{"trace-file", Opt::TraceFile, true}, OptDef{"exit-at-icount", Opt::ExitAtIcount, true},
    OptDef{"trace-regs", Opt::TraceRegs, false},
    OptDef{"dfilter", Opt::TraceFilter, true}, OptDef{"dcpl", Opt::TraceFilter, true},
    OptDef{"dcr3", Opt::TraceFilter, true},    OptDef{"dicount", Opt::TraceFilter, true},
    OptDef{"dstart", Opt::TraceFilter, true},  OptDef{"dstop", Opt::TraceFilter, true},
};

std::string quoted(std::string_view s) {
    // Built by appending: GCC 12 warns (-Wrestrict, falsely) about "'" + std::string.
    std::string q;
    q.reserve(s.size() + 2);
    q += '\'';
    q += s;
    q += '\'';
    return q;
}

// Parses a QEMU-style size. A bare number means MiB (QEMU's -m default unit); suffixes
// B/K/M/G/T (either case) scale by powers of 1024. A decimal fraction ("1.5G") is accepted
// as QEMU does, as long as the result is a whole number of bytes.
std::optional<u64> parse_size(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    u64 whole = 0;
    usize i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        if (whole > (UINT64_MAX - 9) / 10) {
            return std::nullopt;
        }
        whole = whole * 10 + u64(s[i] - '0');
    }
    if (i == 0) {
        return std::nullopt;
    }
    // Fraction kept as numerator/denominator so 0.5M is exact.
    u64 frac_num = 0, frac_den = 1;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const usize start = i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            if (frac_den > UINT64_MAX / 100) {
                return std::nullopt; // absurd precision
            }
            frac_num = frac_num * 10 + u64(s[i] - '0');
            frac_den *= 10;
        }
        if (i == start) {
            return std::nullopt;
        }
    }
    u64 unit = kMiB;
    if (i < s.size()) {
        switch (s[i]) {
        case 'b': case 'B': unit = 1; break;
        case 'k': case 'K': unit = u64{1} << 10; break;
        case 'm': case 'M': unit = u64{1} << 20; break;
        case 'g': case 'G': unit = u64{1} << 30; break;
        case 't': case 'T': unit = u64{1} << 40; break;
        default: return std::nullopt;
        }
        ++i;
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    if (whole > UINT64_MAX / unit) {
        return std::nullopt;
    }
    if (frac_num > UINT64_MAX / unit) {
        return std::nullopt;
    }
    const u64 frac_scaled = frac_num * unit;
    if (frac_scaled % frac_den != 0) {
        return std::nullopt; // not a whole number of bytes
    }
    const u64 total = whole * unit + frac_scaled / frac_den;
    if (total < whole * unit) {
        return std::nullopt;
    }
    return total;
}

// "-m" accepts "N" or the keyed form "size=N" (QEMU also has slots=/maxmem= for hotplug,
// which tx86 has no use for, so they are refused rather than silently ignored).
bool parse_memory(std::string_view arg, u64& out, std::string& err) {
    std::string_view size = arg;
    if (size.substr(0, 5) == "size=") {
        size.remove_prefix(5);
    } else if (size.find('=') != std::string_view::npos || size.find(',') != std::string_view::npos) {
        err = "tx86: unsupported -m parameter " + quoted(arg) + " (only 'N' or 'size=N')";
        return false;
    }
    const auto bytes = parse_size(size);
    if (!bytes) {
        err = "tx86: invalid memory size " + quoted(size);
        return false;
    }
    if (*bytes == 0) {
        err = "tx86: invalid memory size " + quoted(size) + ": must not be zero";
        return false;
    }
    if (*bytes < kMinRam) {
        err = "tx86: memory size " + quoted(size) + " is too small (minimum 1 MiB)";
        return false;
    }
    if (*bytes > kMaxRam) {
        err = "tx86: memory size " + quoted(size) + " is too large (maximum 3584 MiB)";
        return false;
    }
    if (*bytes % 4096 != 0) {
        // RAM is mapped in whole pages; QEMU rounds, but a surprise rounding helps nobody.
        err = "tx86: memory size " + quoted(size) + " is not a multiple of 4 KiB";
        return false;
    }
    out = *bytes;
    return true;
}

bool parse_chardev(std::string_view opt, std::string_view arg, bool allow_none, CharDevSpec& out,
                   std::string& err) {
    if (arg == "stdio") {
        out = {CharDevSpec::Stdio, {}};
    } else if (arg == "null") {
        out = {CharDevSpec::Null, {}};
    } else if (allow_none && arg == "none") {
        out = {CharDevSpec::None, {}};
    } else if (arg.substr(0, 5) == "file:") {
        if (arg.size() == 5) {
            err = "tx86: option '-" + std::string(opt) + "' needs a path after 'file:'";
            return false;
        }
        out = {CharDevSpec::File, std::string(arg.substr(5))};
    } else {
        err = "tx86: invalid " + std::string(opt) + " backend " + quoted(arg) + " (use stdio, file:PATH, null" +
              (allow_none ? ", none)" : ")");
        return false;
    }
    return true;
}

bool parse_accel(std::string_view arg, std::string& out, std::string& err) {
    // QEMU allows "-accel NAME,prop=value"; tx86 accelerators have no properties yet.
    const auto comma = arg.find(',');
    const std::string_view name = arg.substr(0, comma);
    if (comma != std::string_view::npos) {
        err = "tx86: accelerator " + quoted(name) + " takes no properties (got " + quoted(arg) + ")";
        return false;
    }
    if (name == "interp" || name == "jit" || name == "lockstep") {
        out = std::string(name);
        return true;
    }
    if (name == "tcg" || name == "kvm" || name == "hvf" || name == "whpx" || name == "xen") {
        err = "tx86: accelerator " + quoted(name) +
              " is a QEMU accelerator; tx86 provides 'jit' (translator), 'interp' (interpreter) or "
              "'lockstep' (both, compared)";
        return false;
    }
    err = "tx86: unknown accelerator " + quoted(name) + " (use jit, interp or lockstep)";
    return false;
}

/// QEMU's "-icount [shift=]N[,sleep=on|off]": each guest instruction takes 2^N virtual ns;
/// with sleep=off the virtual clock jumps over idle time instead of waiting for the host.
bool parse_icount(std::string_view arg, MachineConfig& cfg, std::string& err) {
    cfg.icount = true;
    while (!arg.empty()) {
        const auto comma = arg.find(',');
        std::string_view item = arg.substr(0, comma);
        arg = comma == std::string_view::npos ? std::string_view{} : arg.substr(comma + 1);
        if (item.rfind("sleep=", 0) == 0) {
            const std::string_view v = item.substr(6);
            if (v != "on" && v != "off") {
                err = "tx86: invalid -icount sleep value " + quoted(v) + " (use on or off)";
                return false;
            }
            cfg.icount_sleep = v == "on";
            continue;
        }
        if (item.rfind("shift=", 0) == 0) {
            item = item.substr(6);
        }
        if (item.empty() || item.size() > 2 ||
            item.find_first_not_of("0123456789") != std::string_view::npos ||
            std::stoi(std::string(item)) > 10) {
            err = "tx86: invalid -icount shift " + quoted(item) + " (use 0..10)";
            return false;
        }
        cfg.icount_shift = static_cast<unsigned>(std::stoi(std::string(item)));
    }
    return true;
}

bool leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int month_days(int year, int month) {
    static constexpr int kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return kMonthDays[month - 1] + (month == 2 && leap_year(year) ? 1 : 0);
}

/// Days from 1970-01-01 to a valid Gregorian date in 1970 or later.
i64 days_since_1970(int year, int month, int day) {
    i64 days = 0;
    for (int y = 1970; y < year; ++y) {
        days += leap_year(y) ? 366 : 365;
    }
    for (int m = 1; m < month; ++m) {
        days += month_days(year, m);
    }
    return days + day - 1;
}

/// QEMU's "-rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]": where the guest's clock starts.
/// A fixed date also makes the run reproducible: the guest's boot RNG seed is then fixed too.
bool parse_rtc(std::string_view arg, MachineConfig& cfg, std::string& err) {
    while (!arg.empty()) {
        const auto comma = arg.find(',');
        const std::string_view item = arg.substr(0, comma);
        arg = comma == std::string_view::npos ? std::string_view{} : arg.substr(comma + 1);
        if (item.rfind("base=", 0) != 0) {
            err = "tx86: unsupported -rtc option " + quoted(item) + " (use base=utc|localtime|DATE)";
            return false;
        }
        const std::string v(item.substr(5));
        if (v == "utc" || v == "localtime") {
            cfg.rtc_start = -1; // the host's clock at start (the RTC keeps UTC either way)
            continue;
        }
        int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
        char tail = 0;
        const int n = std::sscanf(v.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
        const bool date_only = n == 3 && v.size() == 10;
        if (!(date_only || (n == 6 && v.size() == 19)) || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
            d > month_days(y, mo) || h > 23 || mi > 59 || s > 59) {
            err = "tx86: invalid -rtc base " + quoted(v) +
                  " (use utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)";
            return false;
        }
        cfg.rtc_start = days_since_1970(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    }
    return true;
}

// ---- the flight recorder ----

/// "-flight N": how many of the last executed instructions the recorder keeps for a dump.
bool parse_flight(std::string_view arg, u64& out, std::string& err) {
    constexpr u64 kMaxFlight = 1'000'000; // a dump longer than this is a trace: use -d exec
    u64 n = 0;
    const bool digits = !arg.empty() && arg.size() <= 7 &&
                        arg.find_first_not_of("0123456789") == std::string_view::npos;
    if (digits) {
        n = std::stoull(std::string(arg));
    }
    if (!digits || n > kMaxFlight) {
        err = "tx86: invalid -flight size " + quoted(arg) +
              " (use 0..1000000 instructions; 0 = off)";
        return false;
    }
    out = n;
    return true;
}

/// "-flight-dump-on triple,panic,watch", "all" or "none": exactly the events listed dump.
bool parse_flight_dump_on(std::string_view arg, u8& out, std::string& err) {
    u8 mask = 0;
    while (true) {
        const auto comma = arg.find(',');
        const std::string_view item = arg.substr(0, comma);
        if (item == "triple") {
            mask |= kFlightDumpTriple;
        } else if (item == "panic") {
            mask |= kFlightDumpPanic;
        } else if (item == "watch") {
            mask |= kFlightDumpWatch;
        } else if (item == "all") {
            mask |= kFlightDumpTriple | kFlightDumpPanic | kFlightDumpWatch;
        } else if (item != "none") {
            err = "tx86: unknown -flight-dump-on event " + quoted(item) +
                  " (use triple, panic, watch, all or none)";
            return false;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        arg.remove_prefix(comma + 1);
    }
    out = mask;
    return true;
}

// ---- the gdb stub and the monitor ----

/// Splits "VALUE,opt,opt=x" into VALUE and its options, and checks each option is one a
/// listening socket accepts (QEMU's server/nowait spellings; tx86 never waits for a client).
bool split_socket_options(std::string_view opt, std::string_view arg, std::string_view& value,
                          bool& server, std::string& err) {
    const auto comma = arg.find(',');
    value = arg.substr(0, comma);
    server = false;
    std::string_view rest = comma == std::string_view::npos ? std::string_view{} : arg.substr(comma + 1);
    while (!rest.empty()) {
        const auto next = rest.find(',');
        const std::string_view item = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        if (item == "server" || item == "server=on") {
            server = true;
        } else if (item != "nowait" && item != "wait=off") {
            err = "tx86: unsupported " + std::string(opt) + " option " + quoted(item) +
                  " (tx86 listens and never waits: use ',server,nowait')";
            return false;
        }
    }
    return true;
}

/// "-gdb tcp::PORT" or "tcp:HOST:PORT" (also "none"), as QEMU spells its gdb chardev.
bool parse_gdb(std::string_view arg, MachineConfig& cfg, std::string& err) {
    std::string_view dev;
    bool server = false;
    if (!split_socket_options("-gdb", arg, dev, server, err)) {
        return false;
    }
    if (dev == "none") {
        cfg.gdb = false;
        return true;
    }
    const std::string hint = " (use tcp::PORT or tcp:HOST:PORT, e.g. tcp::1234)";
    if (dev.substr(0, 4) != "tcp:") {
        err = "tx86: unsupported -gdb device " + quoted(arg) + hint;
        return false;
    }
    const std::string_view rest = dev.substr(4);
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
        err = "tx86: -gdb " + quoted(arg) + " has no port" + hint;
        return false;
    }
    const std::string_view port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port)) > 65535) {
        err = "tx86: invalid -gdb port " + quoted(port) + " (0..65535)";
        return false;
    }
    cfg.gdb = true;
    cfg.gdb_host = std::string(rest.substr(0, colon));
    cfg.gdb_port = static_cast<u16>(std::stoul(std::string(port)));
    return true;
}

/// "-monitor unix:PATH,server,nowait" / "-qmp ..." (also "none").
bool parse_monitor_socket(std::string_view opt, std::string_view arg, std::string& path,
                          std::string& err) {
    std::string_view dev;
    bool server = false;
    if (!split_socket_options(opt, arg, dev, server, err)) {
        return false;
    }
    if (dev == "none") {
        path.clear();
        return true;
    }
    if (dev.substr(0, 5) != "unix:" || dev.size() == 5) {
        err = "tx86: unsupported " + std::string(opt) + " device " + quoted(arg) +
              " (use unix:PATH,server,nowait" +
              (dev == "stdio" ? "; the serial console has the monitor on Ctrl-A C)" : ")");
        return false;
    }
    if (!server) {
        err = "tx86: " + std::string(opt) + " " + quoted(arg) +
              ": tx86 only listens on the socket (add ',server,nowait')";
        return false;
    }
    path = std::string(dev.substr(5));
    return true;
}

// ---- instruction tracing ----

/// -trace-file, -exit-at-icount and the -d... filters (tools/trace/trace_options.h).
bool parse_trace_option(Opt opt, std::string_view name, std::string_view arg, tools::TraceOptions& cfg,
                        std::string& err) {
    switch (opt) {
    case Opt::TraceFile:
        if (arg.empty()) {
            err = "tx86: option '-trace-file' needs a file name";
            return false;
        }
        cfg.file = arg;
        return true;
    case Opt::ExitAtIcount:
        if (!tools::parse_u64(arg, cfg.exit_at_icount) || cfg.exit_at_icount == 0) {
            err = "tx86: invalid -exit-at-icount " + quoted(arg) + " (an instruction count above 0)";
            return false;
        }
        return true;
    default:
        if (std::string e = tools::parse_filter_option(name, arg, cfg.filter); !e.empty()) {
            err = "tx86: " + e;
            return false;
        }
        return true;
    }
}

} // namespace

ParseResult parse_command_line(int argc, const char* const* argv) {
    MachineConfig cfg;
    bool serial_given = false;
    auto fail = [](std::string msg) { return ParseResult{std::nullopt, std::move(msg)}; };

    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i] ? argv[i] : "";
        if (word.size() < 2 || word[0] != '-') {
            // QEMU would treat a bare word as a disk image for -hda.
            return fail("tx86: unexpected argument " + quoted(word) + " (disk images are not supported yet)");
        }
        std::string_view name = word.substr(1);
        if (name[0] == '-') {
            name.remove_prefix(1);
        }
        const OptDef* def = nullptr;
        for (const auto& d : kOptions) {
            if (d.name == name) {
                def = &d;
                break;
            }
        }
        if (!def) {
            return fail("tx86: unknown option " + quoted(word) + " (try --help)");
        }
        std::string_view arg;
        if (def->takes_arg) {
            if (i + 1 >= argc || argv[i + 1] == nullptr) {
                return fail("tx86: option '-" + std::string(def->name) + "' needs an argument");
            }
            arg = argv[++i];
        }

        std::string err;
        switch (def->opt) {
        case Opt::Mem:
            if (!parse_memory(arg, cfg.ram_bytes, err)) {
                return fail(err);
            }
            break;
        case Opt::Kernel: cfg.kernel = arg; break;
        case Opt::Initrd: cfg.initrd = arg; break;
        case Opt::Append: cfg.append = arg; break;
        case Opt::Bios: cfg.bios = arg; break;
        case Opt::NoGraphic: cfg.nographic = true; break;
        case Opt::NoReboot: cfg.no_reboot = true; break;
        case Opt::Serial:
            if (!parse_chardev("serial", arg, true, cfg.serial, err)) {
                return fail(err);
            }
            serial_given = true;
            break;
        case Opt::Debugcon:
            if (!parse_chardev("debugcon", arg, false, cfg.debugcon, err)) {
                return fail(err);
            }
            break;
        case Opt::LogItems: {
            u32 mask = 0;
            std::string bad;
            if (!base::parse_log_items(arg, mask, bad)) {
                return fail("tx86: unknown log item " + quoted(bad) + " in '-d " + std::string(arg) +
                            "' (see --help)");
            }
            cfg.log_items = arg;
            break;
        }
        case Opt::LogFile:
            if (arg.empty()) {
                return fail("tx86: option '-D' needs a file name");
            }
            cfg.log_file = arg;
            break;
        case Opt::Accel:
            if (!parse_accel(arg, cfg.accel, err)) {
                return fail(err);
            }
            break;
        case Opt::Icount:
            if (!parse_icount(arg, cfg, err)) {
                return fail(err);
            }
            break;
        case Opt::Rtc:
            if (!parse_rtc(arg, cfg, err)) {
                return fail(err);
            }
            break;
        case Opt::Flight:
            if (!parse_flight(arg, cfg.flight_insns, err)) {
                return fail(err);
            }
            break;
        case Opt::FlightDumpOn:
            if (!parse_flight_dump_on(arg, cfg.flight_dump_on, err)) {
                return fail(err);
            }
            break;
        case Opt::GdbDefault:
            cfg.gdb = true;
            cfg.gdb_host.clear();
            cfg.gdb_port = 1234;
            break;
        case Opt::Gdb:
            if (!parse_gdb(arg, cfg, err)) {
                return fail(err);
            }
            break;
        case Opt::StartPaused: cfg.start_paused = true; break;
        case Opt::MonitorDev:
            if (!parse_monitor_socket("-monitor", arg, cfg.monitor_socket, err)) {
                return fail(err);
            }
            break;
        case Opt::QmpDev:
            if (!parse_monitor_socket("-qmp", arg, cfg.qmp_socket, err)) {
                return fail(err);
            }
            break;
        case Opt::TraceRegs:
            cfg.trace.regs = true;
            break;
        case Opt::TraceFile:
        case Opt::ExitAtIcount:
        case Opt::TraceFilter:
            if (!parse_trace_option(def->opt, def->name, arg, cfg.trace, err)) {
                return fail(err);
            }
            break;
        case Opt::RingLogFile:
            if (arg.empty()) {
                return fail("tx86: option '-ringlog' needs a file name");
            }
            cfg.ringlog_file = arg;
            break;
        case Opt::Help:
            cfg.show_help = true;
            return {cfg, {}};
        case Opt::Version:
            cfg.show_version = true;
            return {cfg, {}};
        }
    }

    // The -d items were validated when given; their mask decides the checks below.
    u32 log_mask = 0;
    {
        std::string bad;
        base::parse_log_items(cfg.log_items, log_mask, bad);
    }
    if (cfg.trace.regs) {
        if (cfg.trace.file.empty() && !(log_mask & base::kLogExec)) {
            return fail("tx86: -trace-regs adds to a trace: give -trace-file FILE or -d exec too");
        }
        if (cfg.accel == "lockstep") {
            return fail("tx86: -trace-regs runs on the interpreter; it cannot be used with "
                        "-accel lockstep");
        }
    }

    // The ring log counts each transition once; the lockstep engine runs every instruction
    // twice (reference and translator), so it would log them twice.
    if (cfg.accel == "lockstep") {
        if (!cfg.ringlog_file.empty() || (log_mask & base::kLogRing)) {
            return fail("tx86: -ringlog and -d ring cannot be used with -accel lockstep (it runs "
                        "every instruction twice); use jit or interp");
        }
    }

    // QEMU: -nographic redirects the first serial port to the terminal unless the user
    // said where it should go.
    if (cfg.nographic && !serial_given) {
        cfg.serial = {CharDevSpec::Stdio, {}};
    }
    return {cfg, {}};
}

std::string help_text() {
    return "usage: tx86 [options]\n"
           "\n"
           "Standard options:\n"
           "-h or -help              display this help and exit\n"
           "-version                 display version information and exit\n"
           "-m [size=]megs[K|M|G]    guest RAM size (default 128M; 1M..3584M; bare number = MiB)\n"
           "-accel jit|interp|lockstep  execution engine: translator (default), interpreter, or\n"
           "                         both compared instruction by instruction (exit 5 on divergence)\n"
           "-rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]\n"
           "                         where the guest's clock starts (default: now); a fixed\n"
           "                         date with -icount sleep=off makes runs repeat exactly\n"
           "-icount [shift=]N[,sleep=on|off]\n"
           "                         deterministic clock: each instruction takes 2^N virtual ns\n"
           "                         (default: the guest clock follows host time); sleep=off\n"
           "                         lets the virtual clock skip idle time instead of waiting\n"
           "\n"
           "Boot options:\n"
           "-bios file               raw BIOS image, mapped to end at 4 GiB (and its last 128 KiB below 1 MiB)\n"
           "-kernel bzImage          boot this Linux kernel directly\n"
           "-initrd file             initial ram disk for -kernel\n"
           "-append cmdline          kernel command line for -kernel\n"
           "-no-reboot               exit instead of rebooting\n"
           "\n"
           "Display and character devices:\n"
           "-nographic               no graphical output; serial port on stdio\n"
           "-serial dev              COM1 backend: stdio, file:PATH, null or none\n"
           "-debugcon dev            port 0xE9 debug console: stdio, file:PATH or null\n"
           "\n"
           "Debugging:\n"
           "-d item1,...             enable logging: exec (in_asm), cpu, int, mmu, guest_errors,\n"
           "                         unimp, jit, nochain, ring\n"
           "-D logfile               write the -d log to logfile instead of stderr\n"
           "-d ring                  log every privilege and mode transition (INT/IRET, SYSENTER/\n"
           "                         SYSEXIT, call gates, task switches, exceptions, interrupts,\n"
           "                         CR0.PE/PG) with its stack frame, and print a summary at exit\n"
           "-ringlog file            record those transitions in a compressed binary file for\n"
           "                         tx86-timeline (PNG/HTML timeline); also prints the summary\n"
           "-flight N                the flight recorder keeps the last N instructions (default 64;\n"
           "                         0 = off) and prints them when the guest dies\n"
           "-flight-dump-on events   when it prints them: any of triple (triple fault), panic\n"
           "                         (kernel panic/oops/BUG on the serial console), watch\n"
           "                         (watchpoint hit), or all, none; default triple,panic.\n"
           "                         A triple fault is always explained\n"
           "\n"
           "gdb stub and monitor:\n"
           "-s                       shorthand for -gdb tcp::1234\n"
           "-gdb tcp:[host]:port     wait for gdb connections on this TCP port (0 = any free\n"
           "                         port, printed); breakpoints, watchpoints, steps work with\n"
           "                         the translator too\n"
           "-S                       do not start the CPU: gdb's continue or the monitor's cont\n"
           "                         starts it\n"
           "-monitor unix:path,server,nowait\n"
           "                         the monitor (as on Ctrl-A C) on a Unix socket\n"
           "-qmp unix:path,server,nowait\n"
           "                         the monitor as JSON for programs (QMP-like)\n"
           "\n"
           "Instruction tracing (filters apply to -d exec and -trace-file, per instruction):\n"
           "-trace-file file         record executed instructions to a compressed binary trace\n"
           "                         (read it with tx86-trace print|count|stats|diff)\n"
           + std::string(tools::filter_help()) +
           "-trace-regs              also record the registers each instruction changed\n"
           "                         (general, EFLAGS, selectors, CR0/2/3/4); runs the\n"
           "                         interpreter, as -d cpu does\n"
           "-exit-at-icount n        end the run (status 0) once n instructions have run\n"
           "\n"
           "Options may be written with one or two leading dashes.\n";
}

} // namespace frontend
