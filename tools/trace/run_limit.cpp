// SPDX-License-Identifier: MIT
// RunLimit: -exit-at-icount and the timing of the stretch it ends.
#include "tools/trace/run_limit.h"

#include "cpu/cpu.h"

#include <cinttypes>
#include <ctime>

namespace tools {
namespace {

double seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

RunLimit::RunLimit(devices::HostEvents& inner, const cpu::Cpu& cpu, u64 limit, u64 measure_from)
    : m_inner(inner), m_cpu(cpu), m_limit(limit), m_measure_from(measure_from) {}

bool RunLimit::pump(devices::PcBoard& board) {
    if (m_limit != 0) {
        if (!m_started && m_cpu.icount >= m_measure_from) {
            m_started = true;
            m_start_icount = m_cpu.icount;
            m_start_cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
            m_start_wall = seconds(CLOCK_MONOTONIC);
        }
        if (m_cpu.icount >= m_limit) {
            return false;
        }
    }
    return m_inner.pump(board);
}

void RunLimit::report(std::FILE* out) const {
    if (m_limit == 0 || !m_started || !out) {
        return;
    }
    std::fprintf(out,
                 "tx86: exit-at-icount: instructions %" PRIu64 "..%" PRIu64
                 " ran in %.3f s CPU, %.3f s wall\n",
                 m_start_icount, m_cpu.icount - 1, seconds(CLOCK_PROCESS_CPUTIME_ID) - m_start_cpu,
                 seconds(CLOCK_MONOTONIC) - m_start_wall);
}

} // namespace tools
