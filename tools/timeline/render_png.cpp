// SPDX-License-Identifier: MIT
// The timeline as a raster picture (render.h): one pixel column per bucket. From the top: a
// title, the CPU-state strip, four ring lanes whose colour strength is the share of the
// column's instructions run in that ring, one strip of ticks per transition group, the
// instruction-count axis and a legend.
#include "tools/timeline/render.h"

#include "tools/timeline/render_common.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace timeline {
namespace {

/// One legend row: a title, then swatches with labels, wrapping at the right edge.
/// Returns the y of the next row.
int legend_row(Image& img, int y, std::string_view title,
               const std::vector<std::pair<Rgb, std::string>>& items) {
    img.text(8, y, title, kInk);
    int x = Layout::kLeft;
    for (const auto& [colour, label] : items) {
        const int w = 14 + Image::text_width(label) + 12;
        if (x + w > static_cast<int>(img.width()) && x > Layout::kLeft) {
            x = Layout::kLeft;
            y += 12;
        }
        img.fill(x, y, 10, 7, colour);
        x = img.text(x + 14, y, label, kInk) + 12;
    }
    return y + 13;
}

void draw_legend(Image& img, int y) {
    std::vector<std::pair<Rgb, std::string>> rings, states, groups;
    for (unsigned r = 0; r < 4; ++r) {
        rings.emplace_back(ring_colour(r), "ring " + std::to_string(r));
    }
    for (unsigned s = 0; s < static_cast<unsigned>(CpuState::Count); ++s) {
        states.emplace_back(state_colour(static_cast<CpuState>(s)),
                            std::string(state_name(static_cast<CpuState>(s))));
    }
    for (unsigned g = 0; g < Column::kGroups; ++g) {
        const auto grp = static_cast<ringlog::KindGroup>(g);
        groups.emplace_back(group_colour(grp), std::string(ringlog::group_name(grp)));
    }
    y = legend_row(img, y, "rings", rings);
    y = legend_row(img, y, "mode", states);
    legend_row(img, y, "ticks", groups);
}

std::string share_text(u64 part, u64 whole) {
    if (part == 0) {
        return "-";
    }
    char buf[32];
    const double p = 100.0 * double(part) / double(whole ? whole : 1);
    // Two decimals near the ends, so that 99.97% does not print as 100.0%.
    std::snprintf(buf, sizeof buf, p < 0.01 ? "<0.01%%" : (p < 10 || p > 99) ? "%.2f%%" : "%.1f%%", p);
    return buf;
}

} // namespace

Image draw_timeline(const Timeline& t) {
    Image img(static_cast<unsigned>(Layout::width(t)), Layout::kHeight, kBackground);
    const std::string title = "tx86 ring timeline, guest instructions " + grouped(t.from) + " to " +
                              grouped(t.to) + " (" + short_count(t.to - t.from) + "), " +
                              grouped(t.stats.events) + " transitions";
    img.text(8, Layout::kTitleY, title, kInk);

    img.text(8, Layout::kStateY, "mode", kInk);
    for (unsigned r = 0; r < 4; ++r) {
        // The label, and under it the ring's share of the window's instructions.
        img.text(8, Layout::lane_y(r) + 3, "ring " + std::to_string(r), kInk);
        img.text(8, Layout::lane_y(r) + 13, share_text(t.stats.insns_per_ring[r], t.stats.instructions()),
                 kInk);
        img.fill(Layout::kLeft, Layout::lane_y(r), static_cast<int>(t.columns.size()), Layout::kLaneH,
                 kLaneBackground);
    }
    for (unsigned g = 0; g < Column::kGroups; ++g) {
        img.text(8, Layout::tick_y(g) + 1, group_label(static_cast<ringlog::KindGroup>(g)), kInk);
    }
    const auto busiest = busiest_columns(t);
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        const Column& col = t.columns[c];
        const int x = Layout::kLeft + static_cast<int>(c);
        const CpuState st = main_state(col);
        if (st != CpuState::Count) {
            img.fill(x, Layout::kStateY, 1, Layout::kStateH, state_colour(st));
        }
        for (unsigned r = 0; r < 4; ++r) {
            const double share = ring_share(col, r);
            if (share > 0) {
                // Any time at all in a ring stays visible: at least a fifth of full strength.
                const double strength = 0.2 + 0.8 * share;
                img.fill(x, Layout::lane_y(r), 1, Layout::kLaneH,
                         blend(kLaneBackground, ring_colour(r), strength));
            }
        }
        for (unsigned g = 0; g < Column::kGroups; ++g) {
            const double level = tick_level(col.events_per_group[g], busiest[g]);
            if (level > 0) {
                img.fill(x, Layout::tick_y(g), 1, Layout::kTickH,
                         blend(kBackground, group_colour(static_cast<ringlog::KindGroup>(g)), level));
            }
        }
    }

    // Axis: a base line, marks at round instruction counts, and what the numbers count.
    const int axis_w = static_cast<int>(t.columns.size());
    img.fill(Layout::kLeft, Layout::kAxisY, axis_w, 1, kInk);
    int last_label_end = -1000;
    for (const AxisMark& m : axis_marks(t, 10)) {
        const int x = Layout::kLeft + m.column;
        img.fill(x, Layout::kAxisY, 1, 4, kInk);
        const int w = Image::text_width(m.label);
        const int lx = std::max(Layout::kLeft, x - w / 2);
        if (lx > last_label_end + 6) {
            last_label_end = img.text(lx, Layout::kAxisY + 6, m.label, kInk);
        }
    }
    img.text(8, Layout::kAxisY + 6, "insns", kInk);
    draw_legend(img, Layout::kLegendY);
    return img;
}

} // namespace timeline
