// SPDX-License-Identifier: MIT
// What the PNG and the HTML timelines share: the colours (rings, transition groups, CPU
// states), the geometry of the picture, the instruction-count axis and number formatting.
#pragma once

#include "tools/timeline/image.h"
#include "tools/timeline/timeline_model.h"

#include <string>
#include <vector>

namespace timeline {

Rgb ring_colour(unsigned ring);
Rgb group_colour(ringlog::KindGroup g);
Rgb state_colour(CpuState s);
inline constexpr Rgb kBackground{255, 255, 255};
inline constexpr Rgb kLaneBackground{238, 238, 238};
inline constexpr Rgb kInk{40, 40, 40};

/// Short labels of the transition strips ("syscalls", "exceptions"...).
std::string_view group_label(ringlog::KindGroup g);

/// Vertical layout, in pixels, from the top; the columns start at x = kLeft.
struct Layout {
    static constexpr int kLeft = 84, kRight = 16;
    static constexpr int kTitleY = 6;
    static constexpr int kStateY = 24, kStateH = 8;
    static constexpr int kLaneY = 40, kLaneH = 24, kLaneGap = 3;
    static constexpr int kTickY = kLaneY + 4 * (kLaneH + kLaneGap) + 6, kTickH = 8, kTickGap = 3;
    static constexpr int kAxisY =
        kTickY + static_cast<int>(Column::kGroups) * (kTickH + kTickGap) + 2;
    static constexpr int kLegendY = kAxisY + 26;
    static constexpr int kHeight = kLegendY + 64; ///< room for a legend row that wraps

    static int lane_y(unsigned ring) { return kLaneY + static_cast<int>(ring) * (kLaneH + kLaneGap); }
    static int tick_y(unsigned group) { return kTickY + static_cast<int>(group) * (kTickH + kTickGap); }
    static int width(const Timeline& t) { return kLeft + static_cast<int>(t.columns.size()) + kRight; }
};

/// Fraction of the column's instructions spent in `ring` (0 when it ran none).
double ring_share(const Column& c, unsigned ring);
/// The state that ran most of the column's instructions, or Count when none ran.
CpuState main_state(const Column& c);
/// Tick intensity of `count` events when the busiest column of that group has `max`:
/// logarithmic, so that one event is still visible next to thousands.
double tick_level(u32 count, u32 max);
std::array<u32, Column::kGroups> busiest_columns(const Timeline& t);

/// An axis mark: its column and label.
struct AxisMark {
    int column;
    std::string label;
};
/// Marks at round instruction counts, about `max_marks` of them.
std::vector<AxisMark> axis_marks(const Timeline& t, unsigned max_marks);
/// 1234567 -> "1.23M"; 2000000000 -> "2G".
std::string short_count(u64 n);
/// 1234567 -> "1,234,567".
std::string grouped(u64 n);

} // namespace timeline
