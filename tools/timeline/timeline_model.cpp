// SPDX-License-Identifier: MIT
// Bucketing a ring log into timeline columns (timeline_model.h).
#include "tools/timeline/timeline_model.h"

#include <algorithm>

namespace timeline {
namespace {

CpuState state_after(const cpu::RingEvent& e) {
    switch (e.to_mode) {
    case cpu::RingMode::Real: return CpuState::Real;
    case cpu::RingMode::V86: return CpuState::V86;
    case cpu::RingMode::Protected: break;
    }
    return (e.cr0 & 0x80000000u) ? CpuState::Paged : CpuState::Protected;
}

CpuState state_of(const ringlog::RingPosition& p) {
    switch (p.mode) {
    case cpu::RingMode::Real: return CpuState::Real;
    case cpu::RingMode::V86: return CpuState::V86;
    case cpu::RingMode::Protected: break;
    }
    return p.paging ? CpuState::Paged : CpuState::Protected;
}

} // namespace

std::string_view state_name(CpuState s) {
    switch (s) {
    case CpuState::Real: return "real mode";
    case CpuState::Protected: return "protected mode, paging off";
    case CpuState::Paged: return "protected mode, paging on";
    case CpuState::V86: return "virtual-8086 mode";
    case CpuState::Count: break;
    }
    return "?";
}

u64 Column::instructions() const {
    u64 n = 0;
    for (u64 v : insns_per_ring) {
        n += v;
    }
    return n;
}

u64 Timeline::column_start(std::size_t c) const {
    using u128 = unsigned __int128;
    return from + static_cast<u64>(u128{to - from} * c / columns.size());
}

std::size_t Timeline::column_of(u64 icount) const {
    using u128 = unsigned __int128;
    if (icount <= from) {
        return 0;
    }
    // The last column whose start is <= icount: column_start(c) = from + floor(c*W/N) <= x
    // exactly when c <= floor(((x - from + 1) * N - 1) / W).
    const u128 n = columns.size();
    const std::size_t c = static_cast<std::size_t>(((u128{icount - from} + 1) * n - 1) / (to - from));
    return std::min(c, columns.size() - 1);
}

std::string build_timeline(const std::string& path, const TimelineOptions& opt, Timeline& out) {
    out = Timeline{};
    out.path = path;
    if (std::string err = ringlog::read_ring_file(path, [](const cpu::RingEvent&) {}, out.info);
        !err.empty()) {
        return err;
    }
    out.from = std::max(opt.from, out.info.start.icount);
    out.to = std::min(opt.to.value_or(out.info.end.icount), out.info.end.icount);
    if (out.to <= out.from) {
        return "the window is empty: the log covers instructions " +
               std::to_string(out.info.start.icount) + " to " + std::to_string(out.info.end.icount);
    }
    out.columns.resize(std::clamp<u64>(opt.columns, 1, out.to - out.from));

    // The CPU's ring and state run from `cur` until the next event.
    u64 cur = out.info.start.icount;
    u8 cpl = out.info.start.cpl;
    CpuState state = state_of(out.info.start);
    cpu::RingMode mode = out.info.start.mode;
    bool stats_started = false;
    auto start_stats = [&] {
        if (!stats_started) {
            out.stats.start(ringlog::RingPosition{out.from, cpl, mode, state == CpuState::Paged});
            stats_started = true;
        }
    };
    // Adds the instructions [cur, until) to the columns they fall in.
    auto attribute = [&](u64 until) {
        const u64 a = std::max(cur, out.from), b = std::min(until, out.to);
        for (u64 x = a; x < b;) {
            const std::size_t c = out.column_of(x);
            const u64 n = std::min(b, out.column_start(c + 1)) - x; // >= 1 (see column_of)
            out.columns[c].insns_per_ring[cpl] += n;
            out.columns[c].insns_per_state[static_cast<unsigned>(state)] += n;
            x += n;
        }
        cur = std::max(cur, until);
    };
    ringlog::RingFileInfo again;
    const std::string err = ringlog::read_ring_file(
        path,
        [&](const cpu::RingEvent& e) {
            if (e.icount > out.to) {
                return;
            }
            if (e.icount >= out.from) {
                start_stats();
            }
            attribute(e.icount);
            if (e.icount >= out.from) {
                out.stats.add(e);
                Column& col = out.columns[out.column_of(e.icount)];
                ++col.events;
                ++col.events_per_group[static_cast<unsigned>(ringlog::kind_group(e.kind))];
                ++col.events_per_kind[static_cast<unsigned>(e.kind)];
                if (col.samples.size() < opt.samples) {
                    col.samples.push_back(e);
                }
            }
            cpl = e.to_cpl & 3;
            mode = e.to_mode;
            state = state_after(e);
        },
        again);
    if (!err.empty()) {
        return err;
    }
    start_stats();
    attribute(out.to);
    out.stats.finish(ringlog::RingPosition{out.to, cpl, mode, state == CpuState::Paged});
    return {};
}

} // namespace timeline
