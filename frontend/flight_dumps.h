// SPDX-License-Identifier: MIT
// FlightDumps: what tx86 prints by itself when the guest dies or a watchpoint fires — the
// triple-fault explanation (cpu/fault_explain.h) and the flight recorder's last instructions —
// to stderr and, when -D names a file, to that log too. The board calls it on a triple fault
// and a watchpoint (PcBoard::on_triple_fault / on_watchpoint), the panic watch on a kernel
// panic line (frontend/panic_watch.h); -flight-dump-on chooses which of them dump the
// recorder. Not here: the recorder itself (tools/trace), or deciding what is a panic.
#pragma once

#include "base/types.h"
#include "frontend/panic_watch.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace cpu {
class Cpu;
}

namespace frontend {

class FlightDumps {
public:
    /// Prints the last `n` executed instructions to a stream (the flight recorder's
    /// dump_recent); empty when tx86 runs without a recorder.
    using DumpFn = std::function<void(std::FILE*, u64)>;

    /// `events` is a mask of FlightDumpOn bits (frontend/config.h); `dump_insns` how many
    /// instructions a dump shows; `log` the -D file (nullptr when the log is stderr).
    FlightDumps(cpu::Cpu& cpu, u8 events, DumpFn dump, u64 dump_insns, std::FILE* log);

    /// The guest triple-faulted: always the explanation, and the dump if enabled (the first
    /// time; later ones, after a reset, get a line each up to ten).
    void triple_fault();
    /// The serial console printed a dying-kernel `line` (the first of its kind).
    void kernel_panic(PanicKind kind, const std::string& line);
    /// A watchpoint stopped the CPU (Cpu::debug_hit): a dump, if enabled.
    void watchpoint();

private:
    /// Writes a report (title line, body, optional dump) to every output.
    void report(const std::string& title, const std::string& body, bool dump);

    cpu::Cpu& m_cpu;
    u8 m_events;
    DumpFn m_dump;
    u64 m_dump_insns;
    std::vector<std::FILE*> m_outputs;
    unsigned m_triple_faults = 0;
};

} // namespace frontend
