// SPDX-License-Identifier: MIT
#include "frontend/flight_dumps.h"

#include "cpu/cpu.h"
#include "cpu/fault_explain.h"
#include "frontend/config.h"

#include <cinttypes>
#include <utility>

namespace frontend {
namespace {

const char* watch_kind(cpu::Watchpoint::Kind k) {
    switch (k) {
    case cpu::Watchpoint::Write: return "write";
    case cpu::Watchpoint::Read: return "read";
    case cpu::Watchpoint::Access: return "access";
    }
    return "?";
}

} // namespace

FlightDumps::FlightDumps(cpu::Cpu& cpu, u8 events, DumpFn dump, u64 dump_insns, std::FILE* log)
    : m_cpu(cpu), m_events(events), m_dump(std::move(dump)), m_dump_insns(dump_insns) {
    m_outputs.push_back(stderr);
    if (log && log != stderr) {
        m_outputs.push_back(log);
    }
}

void FlightDumps::triple_fault() {
    // Without -no-reboot the machine resets, and a guest that dies the same way at every boot
    // would print reports as fast as it reboots: the first one is enough.
    constexpr unsigned kNoted = 10;
    ++m_triple_faults;
    if (m_triple_faults == 1) {
        report("triple fault", cpu::explain_triple_fault(m_cpu),
               (m_events & kFlightDumpTriple) != 0);
    } else if (m_triple_faults <= kNoted) {
        std::fprintf(stderr, "tx86: triple fault #%u (the report above is not repeated)%s\n",
                     m_triple_faults,
                     m_triple_faults == kNoted ? "; further ones are not mentioned" : "");
    }
}

void FlightDumps::kernel_panic(PanicKind kind, const std::string& line) {
    if (m_events & kFlightDumpPanic) {
        report(std::string(panic_kind_name(kind)) + " on the serial console",
               "console: " + line + "\n", true);
    }
}

void FlightDumps::watchpoint() {
    const cpu::DebugHit& hit = m_cpu.debug_hit;
    if (!(m_events & kFlightDumpWatch) || hit.kind != cpu::DebugHit::Watch) {
        return;
    }
    char line[160];
    std::snprintf(line, sizeof line,
                  "%s watchpoint at 0x%08" PRIx64 " (%u bytes) hit by an access to 0x%08" PRIx64
                  "; next instruction at %04x:%08" PRIx64 "\n",
                  watch_kind(hit.watch.kind), hit.watch.lin, hit.watch.len, hit.addr,
                  m_cpu.s.seg[cpu::kCs].selector, m_cpu.s.rip);
    report("watchpoint", line, true);
}

void FlightDumps::report(const std::string& title, const std::string& body, bool dump) {
    for (std::FILE* out : m_outputs) {
        std::fprintf(out, "tx86: ---- %s ----\n", title.c_str());
        std::fputs(body.c_str(), out);
        if (dump) {
            if (m_dump_insns == 0) {
                std::fputs("flight recorder: off (-flight 0)\n", out);
            } else if (!m_dump) {
                std::fputs("flight recorder: none attached, no instructions to show\n", out);
            } else {
                std::fflush(out);
                m_dump(out, m_dump_insns); // under its own header line
            }
        }
        std::fprintf(out, "tx86: ---- end of %s report ----\n", title.c_str());
        std::fflush(out);
    }
}

} // namespace frontend
