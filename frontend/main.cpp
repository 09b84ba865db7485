// SPDX-License-Identifier: MIT
// tx86's entry point: command line -> board -> run loop -> exit status.
#include "base/log.h"
#include "devices/board/pc.h"
#include "frontend/config.h"
#include "frontend/console.h"
#include "tools/tracer/exec_tracer.h"

#include <csignal>
#include <cstdio>
#include <memory>

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

    devices::BoardConfig bc;
    bc.ram_bytes = cfg.ram_bytes;
    bc.bios_path = cfg.bios.empty() ? "/usr/share/seabios/bios.bin" : cfg.bios;
    bc.serial = serial.get();
    bc.debugcon = debugcon.get();
    bc.no_reboot = cfg.no_reboot;
    bc.accel = cfg.accel;
    if (bc.accel == "jit" && (mask & (base::kLogExec | base::kLogCpu))) {
        // Per-instruction logs come from the interpreter; translated code does not write them
        // yet (that is the tracing issue's work).
        bc.accel = "interp";
    }
    bc.kernel_path = cfg.kernel;
    bc.initrd_path = cfg.initrd;
    bc.cmdline = cfg.append;
    bc.icount = cfg.icount;
    bc.ns_per_insn = u64{1} << cfg.icount_shift;

    devices::PcBoard board;
    if (std::string e = board.create(bc); !e.empty()) {
        std::fprintf(stderr, "tx86: %s\n", e.c_str());
        return 1;
    }
    std::unique_ptr<tools::ExecTracer> tracer;
    if (mask & (base::kLogExec | base::kLogInt)) {
        tracer = std::make_unique<tools::ExecTracer>((mask & base::kLogExec) != 0,
                                                     (mask & base::kLogInt) != 0);
        board.cpu().trace = tracer.get();
    }
    std::signal(SIGINT, on_quit_signal);
    std::signal(SIGTERM, on_quit_signal);
    // The console forwards stdin to COM1 when the serial port is on stdio.
    frontend::Console console(cfg.serial.kind == frontend::CharDevSpec::Stdio, cfg.icount_sleep);
    const devices::RunResult r = board.run(&console);
    if (serial) {
        serial->flush();
    }
    if (debugcon) {
        debugcon->flush();
    }
    if (!r.message.empty()) {
        std::fprintf(stderr, "tx86: %s\n", r.message.c_str());
    }
    std::fflush(base::log_file());
    return r.exit_status;
}
