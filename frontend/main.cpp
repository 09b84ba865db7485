// SPDX-License-Identifier: MIT
// tx86's entry point: command line -> board -> run loop -> exit status.
#include "base/log.h"
#include "devices/board/pc.h"
#include "frontend/config.h"
#include "frontend/console.h"
#include "frontend/gdb_stub.h"
#include "frontend/host_loop.h"
#include "frontend/monitor.h"
#include "frontend/monitor_server.h"
#include "frontend/flight_dumps.h"
#include "frontend/panic_watch.h"
#include "tools/ringlog/ring_log.h"
#include "tools/trace/recorder.h"
#include "tools/trace/run_limit.h"
#include "tools/trace/trace_session.h"

#include <csignal>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

namespace {

/// Opens the sink a -serial/-debugcon spec names. Returns false with a message on failure.
bool open_sink(const frontend::CharDevSpec& spec, std::unique_ptr<devices::CharSink>& out,
               std::string& error) {
    switch (spec.kind) {
    case frontend::CharDevSpec::Stdio: out = std::make_unique<devices::CharSink>(stdout, false); return true;
    case frontend::CharDevSpec::File: {
        std::FILE* f = std::fopen(spec.path.c_str(), "w");
        if (!f) {
            error = "cannot open '" + spec.path + "' for writing";
            return false;
        }
        out = std::make_unique<devices::CharSink>(f, true);
        return true;
    }
    default: out.reset(); return true;
    }
}

} // namespace

extern "C" void on_quit_signal(int) { frontend::g_quit_signal = 1; }

int main(int argc, char** argv) {
    const frontend::ParseResult parsed = frontend::parse_command_line(argc, argv);
    if (!parsed.config) {
        std::fprintf(stderr, "%s\n", parsed.error.c_str());
        return 2;
    }
    const frontend::MachineConfig& cfg = *parsed.config;
    if (cfg.show_help) {
        std::fputs(frontend::help_text().c_str(), stdout);
        return 0;
    }
    if (cfg.show_version) {
        std::printf("tx86 version %s\n", TX86_VERSION);
        return 0;
    }

    u32 mask = 0;
    std::string bad;
    if (!base::parse_log_items(cfg.log_items, mask, bad)) {
        std::fprintf(stderr, "tx86: unknown -d item '%s'\n", bad.c_str());
        return 2;
    }
    base::g_log_mask = mask;
    if (!base::set_log_file(cfg.log_file)) {
        std::fprintf(stderr, "tx86: cannot open log file '%s'\n", cfg.log_file.c_str());
        return 1;
    }
    if (cfg.kernel.empty() && (!cfg.initrd.empty() || !cfg.append.empty())) {
        std::fprintf(stderr, "tx86: -initrd and -append need -kernel\n");
        return 2;
    }

    std::unique_ptr<devices::CharSink> serial, debugcon;
    std::string error;
    if (!open_sink(cfg.serial, serial, error) || !open_sink(cfg.debugcon, debugcon, error)) {
        std::fprintf(stderr, "tx86: %s\n", error.c_str());
        return 1;
    }

    // ---- the flight recorder's automatic dumps (frontend/flight_dumps.h) ----
    // COM1's output passes through the panic watch. It reports to `flight`, which is made
    // once the board (and its CPU) exists.
    std::unique_ptr<frontend::FlightDumps> flight;
    frontend::PanicWatch panic_watch(serial.get(),
                                     [&](frontend::PanicKind kind, const std::string& line) {
                                         if (flight) {
                                             flight->kernel_panic(kind, line);
                                         }
                                     });

    devices::BoardConfig bc;
    bc.ram_bytes = cfg.ram_bytes;
    bc.bios_path = cfg.bios.empty() ? "/usr/share/seabios/bios.bin" : cfg.bios;
    bc.serial = &panic_watch;
    bc.debugcon = debugcon.get();
    bc.no_reboot = cfg.no_reboot;
    bc.accel = cfg.accel;
    if (bc.accel == "jit" && ((mask & base::kLogCpu) || cfg.trace.regs)) {
        // -d cpu dumps the registers before every instruction, and -trace-regs compares them
        // after each, which only the interpreter stops for; -d exec alone runs on the
        // translator, through the recorder (tools/trace).
        bc.accel = "interp";
    }
    bc.kernel_path = cfg.kernel;
    bc.initrd_path = cfg.initrd;
    bc.cmdline = cfg.append;
    bc.icount = cfg.icount;
    bc.rtc_start = cfg.rtc_start;
    bc.ns_per_insn = u64{1} << cfg.icount_shift;

    devices::PcBoard board;
    if (std::string e = board.create(bc); !e.empty()) {
        std::fprintf(stderr, "tx86: %s\n", e.c_str());
        return 1;
    }
    // ---- instruction tracing: -d exec/int, -trace-file, filters, the flight recorder ----
    std::unique_ptr<tools::TraceSession> tracing = tools::TraceSession::start(
        cfg.trace, mask, cfg.flight_insns, tools::TraceSession::describe(argc, argv),
        board.cpu(), error);
    if (!tracing) {
        std::fprintf(stderr, "tx86: %s\n", error.c_str());
        return 1;
    }
    // ---- the flight recorder's automatic dumps: on triple fault, panic line, watchpoint ----
    {
        frontend::FlightDumps::DumpFn dump_recent;
        if (tracing->has_flight_recorder()) {
            tools::TraceSession* t = tracing.get();
            dump_recent = [t](std::FILE* f, u64 n) { t->dump_recent(f, n); };
        }
        flight = std::make_unique<frontend::FlightDumps>(
            board.cpu(), cfg.flight_dump_on, std::move(dump_recent), cfg.flight_insns,
            cfg.log_file.empty() ? nullptr : base::log_file());
        board.on_triple_fault = [&] { flight->triple_fault(); };
        board.on_watchpoint = [&] { flight->watchpoint(); };
    }
    // ---- the ring-transition log: -d ring, -ringlog FILE (tools/ringlog) ----
    std::unique_ptr<ringlog::RingLog> ring_log;
    if ((mask & base::kLogRing) || !cfg.ringlog_file.empty()) {
        ring_log = std::make_unique<ringlog::RingLog>();
        const ringlog::RingLog::Options ro{(mask & base::kLogRing) != 0, base::log_file(),
                                           cfg.ringlog_file};
        if (std::string e = ring_log->open(ro, board.cpu()); !e.empty()) {
            std::fprintf(stderr, "tx86: -ringlog: %s\n", e.c_str());
            return 1;
        }
    }
    std::signal(SIGINT, on_quit_signal);
    std::signal(SIGTERM, on_quit_signal);
    // ---- the monitor and the gdb stub (frontend/monitor.h, frontend/gdb_stub.h) ----
    frontend::Monitor monitor(board);
    // The console forwards stdin to COM1 when the serial port is on stdio.
    frontend::Console console(cfg.serial.kind == frontend::CharDevSpec::Stdio, monitor);
    frontend::HostLoop host(console, cfg.icount_sleep);
    std::unique_ptr<frontend::GdbStub> gdb;
    if (cfg.gdb) {
        gdb = std::make_unique<frontend::GdbStub>(board, monitor);
        if (std::string e = gdb->listen(cfg.gdb_host, cfg.gdb_port); !e.empty()) {
            std::fprintf(stderr, "tx86: %s\n", e.c_str());
            return 1;
        }
        if (cfg.gdb_port == 0) {
            std::fprintf(stderr, "tx86: gdb stub listening on port %u\n", gdb->port());
        }
        host.set_gdb(gdb.get());
        board.on_debug_stop = [&gdb] { return gdb->debug_stop(); };
    }
    std::vector<std::unique_ptr<frontend::MonitorServer>> monitor_servers;
    for (const auto& [path, protocol] :
         {std::pair{cfg.monitor_socket, frontend::MonitorServer::Protocol::Human},
          std::pair{cfg.qmp_socket, frontend::MonitorServer::Protocol::Qmp}}) {
        if (path.empty()) {
            continue;
        }
        auto server = std::make_unique<frontend::MonitorServer>(board, monitor, protocol);
        if (std::string e = server->listen(path); !e.empty()) {
            std::fprintf(stderr, "tx86: monitor: %s\n", e.c_str());
            return 1;
        }
        host.add_monitor(server.get());
        monitor_servers.push_back(std::move(server));
    }
    if (cfg.start_paused) {
        board.pause(); // -S: gdb's continue or the monitor's cont starts the CPU
    }
    tools::RunLimit run_limit(host, board.cpu(), cfg.trace.exit_at_icount,
                              cfg.trace.filter.icount_first); // -exit-at-icount
    devices::RunResult r = board.run(&run_limit);
    if (gdb) {
        gdb->guest_exited(r.exit_status);
    }
    if (serial) {
        serial->flush();
    }
    if (debugcon) {
        debugcon->flush();
    }
    if (!r.message.empty()) {
        std::fprintf(stderr, "tx86: %s\n", r.message.c_str());
    }
    if (ring_log) {
        // The summary goes where the -d log goes: the -D file, or stderr.
        const std::string e = ring_log->finish(board.cpu());
        std::fputs((ring_log->stats().summary() + ring_log->file_note()).c_str(), base::log_file());
        if (!e.empty()) {
            std::fprintf(stderr, "tx86: -ringlog: %s\n", e.c_str());
            r.exit_status = r.exit_status == 0 ? 1 : r.exit_status;
        }
    }
    if (!tracing->finish(stderr) && r.exit_status == 0) {
        r.exit_status = 1; // the trace file could not be written whole
    }
    run_limit.report(stderr);
    std::fflush(base::log_file());
    return r.exit_status;
}
