// SPDX-License-Identifier: MIT
// Colours, geometry and axis shared by the timeline renderers (render_common.h).
#include "tools/timeline/render_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace timeline {

Rgb ring_colour(unsigned ring) {
    // Ring 0 warm (the kernel), ring 3 cool (user programs); 1 and 2 in between.
    static constexpr Rgb kRings[4] = {{200, 40, 40}, {230, 140, 20}, {150, 110, 200}, {30, 110, 200}};
    return kRings[ring & 3];
}

Rgb group_colour(ringlog::KindGroup g) {
    switch (g) {
    case ringlog::KindGroup::SystemCall: return {20, 150, 60};
    case ringlog::KindGroup::Exception: return {200, 30, 140};
    case ringlog::KindGroup::Interrupt: return {240, 130, 0};
    case ringlog::KindGroup::Return: return {90, 90, 90};
    default: return {0, 0, 0};
    }
}

Rgb state_colour(CpuState s) {
    switch (s) {
    case CpuState::Real: return {160, 160, 160};
    case CpuState::Protected: return {170, 215, 170};
    case CpuState::Paged: return {60, 160, 90};
    case CpuState::V86: return {150, 80, 190};
    case CpuState::Count: break;
    }
    return kLaneBackground;
}

std::string_view group_label(ringlog::KindGroup g) {
    switch (g) {
    case ringlog::KindGroup::SystemCall: return "syscalls";
    case ringlog::KindGroup::Exception: return "exceptions";
    case ringlog::KindGroup::Interrupt: return "interrupts";
    case ringlog::KindGroup::Return: return "returns";
    default: return "mode/task";
    }
}

double ring_share(const Column& c, unsigned ring) {
    const u64 total = c.instructions();
    return total ? double(c.insns_per_ring[ring]) / double(total) : 0.0;
}

CpuState main_state(const Column& c) {
    CpuState best = CpuState::Count;
    u64 most = 0;
    for (unsigned s = 0; s < c.insns_per_state.size(); ++s) {
        if (c.insns_per_state[s] > most) {
            most = c.insns_per_state[s];
            best = static_cast<CpuState>(s);
        }
    }
    return best;
}

double tick_level(u32 count, u32 max) {
    if (count == 0 || max == 0) {
        return 0.0;
    }
    return 0.3 + 0.7 * std::log1p(double(count)) / std::log1p(double(max));
}

std::array<u32, Column::kGroups> busiest_columns(const Timeline& t) {
    std::array<u32, Column::kGroups> max{};
    for (const Column& c : t.columns) {
        for (unsigned g = 0; g < Column::kGroups; ++g) {
            max[g] = std::max(max[g], c.events_per_group[g]);
        }
    }
    return max;
}

std::string short_count(u64 n) {
    static constexpr struct {
        u64 unit;
        const char* suffix;
    } kUnits[] = {{1000000000000ull, "T"}, {1000000000ull, "G"}, {1000000ull, "M"}, {1000ull, "K"}};
    char buf[32];
    for (const auto& u : kUnits) {
        if (n >= u.unit) {
            const double v = double(n) / double(u.unit);
            std::snprintf(buf, sizeof buf, v >= 100 || v == std::floor(v) ? "%.0f%s" : "%.3g%s", v,
                          u.suffix);
            return buf;
        }
    }
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
    return buf;
}

std::string grouped(u64 n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

namespace {

/// `v` in the unit (K, M, G, T) of `top`, with as many decimals as `step` needs to tell
/// neighbouring marks apart: 6,465,000,000 with a step of 5,000,000 is "6.465G".
std::string axis_label(u64 v, u64 top, u64 step) {
    static constexpr struct {
        u64 unit;
        const char* suffix;
    } kUnits[] = {{1000000000000ull, "T"}, {1000000000ull, "G"}, {1000000ull, "M"}, {1000ull, "K"}};
    if (v == 0) {
        return "0";
    }
    for (const auto& u : kUnits) {
        if (top >= u.unit) {
            int decimals = 0;
            for (u64 s = step; s < u.unit && decimals < 9; s *= 10) {
                ++decimals;
            }
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.*f%s", decimals, double(v) / double(u.unit), u.suffix);
            return buf;
        }
    }
    return std::to_string(v);
}

} // namespace

std::vector<AxisMark> axis_marks(const Timeline& t, unsigned max_marks) {
    const u64 span = t.to - t.from;
    // The smallest step of 1, 2 or 5 times a power of ten giving at most max_marks marks.
    u64 step = 1;
    for (u64 p = 1;; p *= 10) {
        bool found = false;
        for (u64 m : {1, 2, 5}) {
            if (span / (p * m) < max_marks) {
                step = p * m;
                found = true;
                break;
            }
        }
        if (found || p > span) {
            break;
        }
    }
    std::vector<AxisMark> marks;
    for (u64 v = (t.from + step - 1) / step * step; v <= t.to; v += step) {
        const int col = static_cast<int>(
            static_cast<double>(v - t.from) / double(span) * double(t.columns.size()));
        marks.push_back(AxisMark{std::min(col, static_cast<int>(t.columns.size()) - 1),
                                 axis_label(v, t.to, step)});
        if (v > t.to - step) {
            break; // no overflow near the top of u64
        }
    }
    return marks;
}

} // namespace timeline
