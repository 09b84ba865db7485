// SPDX-License-Identifier: MIT
// The ring log's counters and exit summary (ring_stats.h).
#include "tools/ringlog/ring_stats.h"

#include "tools/ringlog/ring_names.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

namespace ringlog {
namespace {

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out += buf;
}

double percent(u64 part, u64 whole) { return whole ? 100.0 * double(part) / double(whole) : 0.0; }

} // namespace

void RingStats::start(const RingPosition& p) {
    start_icount = end_icount = m_cur_icount = p.icount;
    m_cur_cpl = p.cpl & 3;
    m_cur_mode = p.mode;
}

void RingStats::attribute(u64 icount) {
    // Events arrive in instruction order; a smaller count would be a bug upstream, and is
    // attributed nothing rather than a wrapped-around delta.
    if (icount > m_cur_icount) {
        const u64 n = icount - m_cur_icount;
        insns_per_ring[m_cur_cpl] += n;
        insns_per_mode[static_cast<unsigned>(m_cur_mode)] += n;
        m_cur_icount = icount;
    }
}

void RingStats::add(const cpu::RingEvent& e) {
    attribute(e.icount);
    m_cur_cpl = e.to_cpl & 3;
    m_cur_mode = e.to_mode;
    end_icount = std::max(end_icount, e.icount);
    ++events;
    ++by_kind[static_cast<unsigned>(e.kind)];
    ++ring_pair[e.from_cpl & 3][e.to_cpl & 3];
    ++mode_pair[static_cast<unsigned>(e.from_mode)][static_cast<unsigned>(e.to_mode)];
    switch (e.kind) {
    case cpu::RingEventKind::Exception:
    case cpu::RingEventKind::Int3:
    case cpu::RingEventKind::Into:
    case cpu::RingEventKind::Int1: ++exceptions_by_vector[e.vector]; break;
    default: break;
    }
    if (is_system_call(e)) {
        if (e.kind == cpu::RingEventKind::Int) {
            ++syscalls_int80;
        } else {
            ++syscalls_sysenter;
        }
        ++syscall_numbers[e.eax];
    }
}

void RingStats::finish(const RingPosition& end) {
    attribute(end.icount);
    end_icount = std::max(end_icount, end.icount);
}

std::vector<std::pair<u32, u64>> RingStats::top_syscalls(unsigned n) const {
    std::vector<std::pair<u32, u64>> v(syscall_numbers.begin(), syscall_numbers.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (v.size() > n) {
        v.resize(n);
    }
    return v;
}

std::vector<std::pair<u8, u64>> RingStats::top_vectors(unsigned n) const {
    std::vector<std::pair<u8, u64>> v;
    for (unsigned i = 0; i < 256; ++i) {
        if (exceptions_by_vector[i]) {
            v.emplace_back(static_cast<u8>(i), exceptions_by_vector[i]);
        }
    }
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (v.size() > n) {
        v.resize(n);
    }
    return v;
}

std::string RingStats::summary() const {
    std::string s;
    const u64 total = instructions();
    appendf(s, "ring summary: %" PRIu64 " transitions over %" PRIu64 " guest instructions\n",
            events, total);
    s += "  transitions by kind:\n";
    for (unsigned k = 0; k < kKinds; ++k) {
        if (by_kind[k]) {
            appendf(s, "    %-14s %12" PRIu64 "\n",
                    std::string(kind_name(static_cast<cpu::RingEventKind>(k))).c_str(), by_kind[k]);
        }
    }
    s += "  transitions by ring pair (from CPL -> to CPL):\n";
    for (unsigned f = 0; f < 4; ++f) {
        for (unsigned t = 0; t < 4; ++t) {
            if (ring_pair[f][t]) {
                appendf(s, "    ring %u -> ring %u %12" PRIu64 "\n", f, t, ring_pair[f][t]);
            }
        }
    }
    bool any_mode_change = false;
    for (unsigned f = 0; f < 3; ++f) {
        for (unsigned t = 0; t < 3; ++t) {
            if (f != t && mode_pair[f][t]) {
                if (!any_mode_change) {
                    s += "  mode changes:\n";
                    any_mode_change = true;
                }
                appendf(s, "    %s -> %s %" PRIu64 "\n",
                        std::string(mode_name(static_cast<cpu::RingMode>(f))).c_str(),
                        std::string(mode_name(static_cast<cpu::RingMode>(t))).c_str(),
                        mode_pair[f][t]);
            }
        }
    }
    const u64 pg_on = by_kind[static_cast<unsigned>(cpu::RingEventKind::PagingOn)];
    const u64 pg_off = by_kind[static_cast<unsigned>(cpu::RingEventKind::PagingOff)];
    if (pg_on || pg_off) {
        appendf(s, "  paging turned on %" PRIu64 " times, off %" PRIu64 " times\n", pg_on, pg_off);
    }
    s += "  guest instructions per ring:\n";
    u64 sum = 0;
    for (unsigned r = 0; r < 4; ++r) {
        sum += insns_per_ring[r];
        if (insns_per_ring[r]) {
            appendf(s, "    ring %u %16" PRIu64 " %6.2f%%\n", r, insns_per_ring[r],
                    percent(insns_per_ring[r], total));
        }
    }
    appendf(s, "    sum    %16" PRIu64 " (instruction counter advanced by %" PRIu64 ")\n", sum,
            total);
    if (insns_per_mode[0] || insns_per_mode[2]) {
        appendf(s, "    of which real mode %" PRIu64 ", virtual-8086 mode %" PRIu64 "\n",
                insns_per_mode[0], insns_per_mode[2]);
    }
    const auto vectors = top_vectors(8);
    if (!vectors.empty()) {
        s += "  top exception vectors:\n";
        for (const auto& [v, n] : vectors) {
            const std::string mn(vector_mnemonic(v)), desc(vector_description(v));
            appendf(s, "    %-4s %-30s %12" PRIu64 "\n", mn.empty() ? "?" : mn.c_str(),
                    desc.empty() ? ("vector " + std::to_string(v)).c_str() : desc.c_str(), n);
        }
    }
    appendf(s,
            "  system calls from ring 3: %" PRIu64 " (INT 0x80: %" PRIu64
            ", SYSENTER/SYSCALL: %" PRIu64 ")\n",
            syscalls_int80 + syscalls_sysenter, syscalls_int80, syscalls_sysenter);
    const auto numbers = top_syscalls(10);
    if (!numbers.empty()) {
        s += "    most frequent numbers (EAX):";
        for (const auto& [nr, n] : numbers) {
            appendf(s, " %u x%" PRIu64, nr, n);
        }
        s += "\n";
    }
    return s;
}

} // namespace ringlog
