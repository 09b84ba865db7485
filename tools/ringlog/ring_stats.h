// SPDX-License-Identifier: MIT
// RingStats: the counters behind the ring log's exit summary (and tx86-timeline's table):
// transitions by kind and by ring pair, mode changes, guest instructions per ring and per
// mode, exception vectors, system calls and their numbers. Fed the same way live (the -ringlog
// / -d ring sink) and from a file, so both print the same summary.
#pragma once

#include "cpu/ring_events.h"
#include "tools/ringlog/ring_record.h"

#include <array>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ringlog {

struct RingStats {
    static constexpr unsigned kKinds = static_cast<unsigned>(cpu::RingEventKind::Count);

    /// Where counting starts: instructions from here to the first event belong to `cpl`.
    void start(const RingPosition& p);
    void add(const cpu::RingEvent& e);
    /// Attributes the instructions after the last event, up to the end of the run.
    void finish(const RingPosition& end);

    /// The summary text (several lines, each starting with two spaces after the first).
    std::string summary() const;
    /// The `n` most frequent system call numbers, most frequent first.
    std::vector<std::pair<u32, u64>> top_syscalls(unsigned n) const;
    /// The `n` most frequent exception vectors (count > 0), most frequent first.
    std::vector<std::pair<u8, u64>> top_vectors(unsigned n) const;
    u64 instructions() const { return end_icount - start_icount; }

    u64 events = 0;
    std::array<u64, kKinds> by_kind{};
    u64 ring_pair[4][4] = {};  ///< [from CPL][to CPL]
    u64 mode_pair[3][3] = {};  ///< [from mode][to mode], both the same when the mode stayed
    std::array<u64, 4> insns_per_ring{};
    std::array<u64, 3> insns_per_mode{};
    std::array<u64, 256> exceptions_by_vector{}; ///< exceptions, INT3, INTO, INT1
    u64 syscalls_int80 = 0;   ///< INT 0x80 from ring 3
    u64 syscalls_sysenter = 0; ///< SYSENTER (and SYSCALL) from ring 3
    std::unordered_map<u32, u64> syscall_numbers; ///< EAX at each system call
    u64 start_icount = 0, end_icount = 0;

private:
    void attribute(u64 icount);
    u64 m_cur_icount = 0;
    u8 m_cur_cpl = 0;
    cpu::RingMode m_cur_mode = cpu::RingMode::Real;
};

} // namespace ringlog
