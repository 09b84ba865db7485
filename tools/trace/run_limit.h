// SPDX-License-Identifier: MIT
// RunLimit: -exit-at-icount N. Wraps the frontend's HostEvents and ends the run (as a quit
// from the user: exit status 0) once the instruction counter reaches N. The board asks between
// execution chunks, so up to one chunk (200 000 instructions) more may run; traces are cut at
// the exact count by -dicount, this only saves running on (benchmarks, scripted windows).
// It also times the stretch from `measure_from` (the -dicount window's start) to the end, so
// that a benchmark can compare one window traced and untraced without the rest of the boot's
// noise: report() prints the instructions, CPU time (all of tx86's threads, including the
// trace consumer's flush at exit) and wall time.
#pragma once

#include "devices/board/host_events.h"

#include <cstdio>

namespace cpu {
class Cpu;
}

namespace tools {

class RunLimit final : public devices::HostEvents {
  public:
    /// `limit` 0: no limit (a pure pass-through, and report() prints nothing).
    RunLimit(devices::HostEvents& inner, const cpu::Cpu& cpu, u64 limit, u64 measure_from);

    bool pump(devices::PcBoard& board) override;
    u64 wait(u64 max_ns) override { return m_inner.wait(max_ns); }

    /// After the run (and the trace's flush): "tx86: exit-at-icount: instructions A..B ran in
    /// X s CPU, Y s wall". Nothing when no limit was set or the start was never reached.
    void report(std::FILE* out) const;

  private:
    devices::HostEvents& m_inner;
    const cpu::Cpu& m_cpu;
    u64 m_limit;
    u64 m_measure_from;
    bool m_started = false;
    u64 m_start_icount = 0;
    double m_start_cpu = 0;
    double m_start_wall = 0;
};

} // namespace tools
