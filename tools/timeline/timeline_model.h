// SPDX-License-Identifier: MIT
// The timeline of a ring log, bucketed for drawing: the chosen instruction window is cut into
// columns of equal instruction counts, and each column records how many of its instructions
// ran in each ring and mode, and which transitions happened in it. Both renderers (PNG and
// HTML) draw from this, so a long log costs the same to draw as a short one.
#pragma once

#include "tools/ringlog/ring_file.h"
#include "tools/ringlog/ring_names.h"
#include "tools/ringlog/ring_stats.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace timeline {

/// What the CPU was doing, as the mode strip colours it.
enum class CpuState : u8 { Real, Protected, Paged, V86, Count };
std::string_view state_name(CpuState s);

struct TimelineOptions {
    u64 from = 0;             ///< first instruction count shown (clamped to the log's start)
    std::optional<u64> to;    ///< last one (default: the end of the log)
    unsigned columns = 1000;  ///< buckets across
    unsigned samples = 4;     ///< events kept per column for hover text
};

struct Column {
    static constexpr unsigned kGroups = static_cast<unsigned>(ringlog::KindGroup::Count);
    std::array<u64, 4> insns_per_ring{};
    std::array<u64, static_cast<unsigned>(CpuState::Count)> insns_per_state{};
    std::array<u32, kGroups> events_per_group{};
    std::array<u32, ringlog::RingStats::kKinds> events_per_kind{};
    u32 events = 0;
    std::vector<cpu::RingEvent> samples; ///< the first few events of the column

    u64 instructions() const;
};

struct Timeline {
    std::string path;
    u64 from = 0, to = 0; ///< the window; instructions [from, to), events [from, to]
    std::vector<Column> columns;
    ringlog::RingStats stats; ///< over the window
    ringlog::RingFileInfo info;

    /// The first instruction count of column `c` (c == columns.size() gives `to`).
    u64 column_start(std::size_t c) const;
    std::size_t column_of(u64 icount) const;
};

/// Reads `path` (twice: once for its extent, once to bucket it). Returns an error message,
/// empty on success.
std::string build_timeline(const std::string& path, const TimelineOptions& opt, Timeline& out);

} // namespace timeline
