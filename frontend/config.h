// SPDX-License-Identifier: MIT
// The tx86 command line. tx86 deliberately speaks QEMU's option vocabulary (-m, -kernel,
// -bios, -serial, -d, ...) so that scripts and muscle memory carry over; this header turns
// argv into a MachineConfig and does nothing else (no files are opened, no devices built),
// which keeps it testable in isolation.
#pragma once

#include "base/types.h"
#include "tools/trace/trace_options.h"

#include <optional>
#include <string>

namespace frontend {

inline constexpr u64 kMiB = u64{1} << 20;

/// Where a character device (serial port, debug console) sends its bytes.
struct CharDevSpec {
    enum Kind { None, Stdio, File, Null } kind = None;
    std::string path; ///< only for File
    bool operator==(const CharDevSpec&) const = default;
};

/// What makes tx86 dump the flight recorder by itself (-flight-dump-on; frontend/flight_dumps.h).
enum FlightDumpOn : u8 {
    kFlightDumpTriple = 1u << 0, ///< the guest triple-faulted (the explanation is always printed)
    kFlightDumpPanic = 1u << 1,  ///< a kernel panic, oops or BUG line on the serial console
    kFlightDumpWatch = 1u << 2,  ///< a watchpoint stopped the CPU
};
inline constexpr u8 kFlightDumpDefault = kFlightDumpTriple | kFlightDumpPanic;
inline constexpr u64 kFlightDefaultInsns = 64;

struct MachineConfig {
    u64 ram_bytes = 128 * kMiB;   ///< -m N[K|M|G], -m size=N; bare numbers are MiB as in QEMU
    std::string kernel;           ///< -kernel FILE (Linux bzImage / multiboot)
    std::string initrd;           ///< -initrd FILE
    std::string append;           ///< -append CMDLINE
    std::string bios;             ///< -bios FILE (raw image mapped to end at 4 GiB)
    bool nographic = false;       ///< -nographic; implies -serial stdio unless -serial is given
    CharDevSpec serial;           ///< -serial stdio|file:PATH|null|none (COM1)
    CharDevSpec debugcon;         ///< -debugcon stdio|file:PATH|null (port 0xE9)
    bool no_reboot = false;       ///< -no-reboot: a guest reset exits instead
    std::string log_items;        ///< -d ITEMS, already validated by base::parse_log_items
    std::string log_file;         ///< -D FILE
    std::string accel = "jit"; ///< -accel interp|jit
    bool icount = false;          ///< -icount given: deterministic instruction-count clock
    unsigned icount_shift = 0;    ///< -icount shift=N: 2^N virtual ns per instruction
    bool icount_sleep = true;     ///< -icount sleep=off: idle time is skipped, not waited
    i64 rtc_start = -1;           ///< -rtc base=DATE: seconds since 1970 (-1: the host's clock)
    // ---- the flight recorder (frontend/flight_dumps.h) ----
    u64 flight_insns = kFlightDefaultInsns; ///< -flight N: instructions a dump shows (0 = off)
    u8 flight_dump_on = kFlightDumpDefault; ///< -flight-dump-on triple,panic,watch|all|none
    // ---- the gdb stub and the monitor (frontend/gdb_stub.h, frontend/monitor_server.h) ----
    bool gdb = false;             ///< -s, -gdb tcp:[HOST]:PORT: listen for gdb
    std::string gdb_host;         ///< empty = every interface (QEMU's tcp::PORT)
    u16 gdb_port = 1234;          ///< -s = -gdb tcp::1234; 0 = any free port (printed)
    bool start_paused = false;    ///< -S: the CPU waits for gdb's continue (or the monitor's cont)
    std::string monitor_socket;   ///< -monitor unix:PATH,server,nowait (human monitor)
    std::string qmp_socket;       ///< -qmp unix:PATH,server,nowait (JSON monitor)
    // ---- instruction tracing (tools/trace/trace_options.h) ----
    /// -trace-file FILE, -exit-at-icount N, -dfilter, -dcpl, -dcr3, -dicount, -dstart, -dstop
    tools::TraceOptions trace;
    // ---- the ring-transition log (tools/ringlog; -d ring is one of the log items) ----
    std::string ringlog_file;     ///< -ringlog FILE: binary transition log for tx86-timeline
    bool show_help = false;       ///< -h / -help / --help
    bool show_version = false;    ///< -version / --version

    // Reserved for later, with their QEMU spelling, so the names stay consistent:
    //   -hda/-hdb FILE, -cdrom FILE, -drive ...   block devices
    //   -netdev ..., -device ...                  network and extra devices
    //   -snapshot              discard disk writes
};

/// Exactly one of the two is meaningful: `config` on success, otherwise `error` holds a
/// one-line message that starts with "tx86: " and names the offending option or value.
struct ParseResult {
    std::optional<MachineConfig> config;
    std::string error;
};

/// Parses argv (argv[0] is the program name and is skipped). Options may be spelled with
/// one or two leading dashes. --help and --version stop parsing at once (as in QEMU), so
/// anything after them is ignored.
ParseResult parse_command_line(int argc, const char* const* argv);

/// Usage text listing every option, in the style of `qemu-system-i386 -h`.
std::string help_text();

} // namespace frontend
