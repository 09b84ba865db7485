// SPDX-License-Identifier: MIT
// The timeline as an HTML page (render.h): the picture of render_png.cpp redrawn as inline SVG,
// where each column (or run of quiet columns) has a hover title with its instruction range,
// ring shares, transition counts and its first events, then the summary as tables. Runs of
// columns that look the same are merged into one rectangle, so the page stays small however
// long the log is.
#include "tools/timeline/render.h"

#include "tools/ringlog/ring_text.h"
#include "tools/timeline/render_common.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace timeline {
namespace {

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c; break;
        }
    }
    return out;
}

std::string hex(Rgb c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::string rect(int x, int y, int w, int h, Rgb c, double opacity = 1.0) {
    char buf[160];
    if (opacity >= 1.0) {
        std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
                      x, y, w, h, hex(c).c_str());
    } else {
        std::snprintf(buf, sizeof buf,
                      "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                      "fill-opacity=\"%.2f\"/>",
                      x, y, w, h, hex(c).c_str(), opacity);
    }
    return buf;
}

std::string text(int x, int y, std::string_view s, const char* extra = "") {
    return "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\"" + extra + ">" +
           escape(s) + "</text>";
}

/// Draws a row of per-column values as rectangles, one per run of equal values
/// (`level(c)` in 0..20, 0 = nothing drawn).
template <typename Level>
void run_rects(std::string& svg, const Timeline& t, int y, int h, Rgb colour, Level&& level) {
    const std::size_t n = t.columns.size();
    for (std::size_t c = 0; c < n;) {
        const int lv = level(t.columns[c]);
        std::size_t e = c + 1;
        while (e < n && level(t.columns[e]) == lv) {
            ++e;
        }
        if (lv > 0) {
            svg += rect(Layout::kLeft + static_cast<int>(c), y, static_cast<int>(e - c), h, colour,
                        lv / 20.0);
        }
        c = e;
    }
}

std::string percent(u64 part, u64 whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", whole ? 100.0 * double(part) / double(whole) : 0.0);
    return buf;
}

/// The hover text of columns [c, e).
std::string column_title(const Timeline& t, std::size_t c, std::size_t e) {
    Column sum;
    for (std::size_t i = c; i < e; ++i) {
        const Column& col = t.columns[i];
        for (unsigned r = 0; r < 4; ++r) {
            sum.insns_per_ring[r] += col.insns_per_ring[r];
        }
        for (unsigned k = 0; k < sum.events_per_kind.size(); ++k) {
            sum.events_per_kind[k] += col.events_per_kind[k];
        }
        sum.events += col.events;
    }
    // Appended piece by piece: GCC 12 warns (-Wrestrict, wrongly) about "literal" + string&&.
    std::string s = "instructions ";
    s += grouped(t.column_start(c));
    s += " to ";
    s += grouped(t.column_start(e));
    const u64 total = sum.instructions();
    for (unsigned r = 0; r < 4; ++r) {
        if (sum.insns_per_ring[r]) {
            s += "\nring ";
            s += std::to_string(r);
            s += ": ";
            s += percent(sum.insns_per_ring[r], total);
        }
    }
    if (sum.events) {
        s += '\n';
        s += grouped(sum.events);
        s += " transitions:";
        for (unsigned k = 0; k < sum.events_per_kind.size(); ++k) {
            if (sum.events_per_kind[k]) {
                s += ' ';
                s += std::to_string(sum.events_per_kind[k]);
                s += ' ';
                s += ringlog::kind_name(static_cast<cpu::RingEventKind>(k));
            }
        }
        const Column& first = t.columns[c];
        for (const cpu::RingEvent& ev : first.samples) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "\n%" PRIu64 ": cpl %u->%u ", ev.icount, ev.from_cpl,
                          ev.to_cpl);
            s += buf;
            s += ringlog::describe_event(ev);
        }
        if (sum.events > first.samples.size()) {
            s += "\n...";
        }
    }
    return s;
}

void svg_picture(std::string& out, const Timeline& t) {
    const int w = Layout::width(t), h = Layout::kLegendY;
    const int cols = static_cast<int>(t.columns.size());
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
           std::to_string(h) + "\" font-family=\"monospace\" font-size=\"10\">\n";
    out += text(8, Layout::kStateY + 8, "mode") + "\n";
    for (unsigned s = 0; s < static_cast<unsigned>(CpuState::Count); ++s) {
        run_rects(out, t, Layout::kStateY, Layout::kStateH, state_colour(static_cast<CpuState>(s)),
                  [s](const Column& c) { return main_state(c) == static_cast<CpuState>(s) ? 20 : 0; });
    }
    out += "\n";
    for (unsigned r = 0; r < 4; ++r) {
        out += text(8, Layout::lane_y(r) + 16, "ring " + std::to_string(r));
        out += rect(Layout::kLeft, Layout::lane_y(r), cols, Layout::kLaneH, kLaneBackground);
        run_rects(out, t, Layout::lane_y(r), Layout::kLaneH, ring_colour(r), [r](const Column& c) {
            const double share = ring_share(c, r);
            return share > 0 ? 4 + static_cast<int>(std::lround(16 * share)) : 0;
        });
        out += "\n";
    }
    const auto busiest = busiest_columns(t);
    for (unsigned g = 0; g < Column::kGroups; ++g) {
        const auto grp = static_cast<ringlog::KindGroup>(g);
        out += text(8, Layout::tick_y(g) + 8, group_label(grp));
        run_rects(out, t, Layout::tick_y(g), Layout::kTickH, group_colour(grp), [&](const Column& c) {
            return static_cast<int>(std::lround(20 * tick_level(c.events_per_group[g], busiest[g])));
        });
        out += "\n";
    }
    out += rect(Layout::kLeft, Layout::kAxisY, cols, 1, kInk);
    for (const AxisMark& m : axis_marks(t, 10)) {
        out += rect(Layout::kLeft + m.column, Layout::kAxisY, 1, 4, kInk);
        out += text(Layout::kLeft + m.column, Layout::kAxisY + 14, m.label, " text-anchor=\"middle\"");
    }
    out += text(8, Layout::kAxisY + 14, "insns") + "\n";
    // Hover areas: one per column with transitions, one per run of quiet columns.
    out += "<g fill=\"transparent\">\n";
    const std::size_t n = t.columns.size();
    for (std::size_t c = 0; c < n;) {
        std::size_t e = c + 1;
        if (t.columns[c].events == 0) {
            while (e < n && t.columns[e].events == 0) {
                ++e;
            }
        }
        out += "<rect x=\"" + std::to_string(Layout::kLeft + static_cast<int>(c)) + "\" y=\"" +
               std::to_string(Layout::kStateY) + "\" width=\"" + std::to_string(e - c) +
               "\" height=\"" + std::to_string(Layout::kAxisY - Layout::kStateY) + "\"><title>" +
               escape(column_title(t, c, e)) + "</title></rect>\n";
        c = e;
    }
    out += "</g>\n</svg>\n";
}

void legend(std::string& out) {
    out += "<p class=\"legend\">";
    for (unsigned r = 0; r < 4; ++r) {
        out += "<span style=\"background:" + hex(ring_colour(r)) + "\"></span>ring " + std::to_string(r) + " ";
    }
    out += "<br>";
    for (unsigned s = 0; s < static_cast<unsigned>(CpuState::Count); ++s) {
        out += "<span style=\"background:" + hex(state_colour(static_cast<CpuState>(s))) + "\"></span>" +
               escape(state_name(static_cast<CpuState>(s))) + " ";
    }
    out += "<br>";
    for (unsigned g = 0; g < Column::kGroups; ++g) {
        const auto grp = static_cast<ringlog::KindGroup>(g);
        out += "<span style=\"background:" + hex(group_colour(grp)) + "\"></span>" +
               escape(ringlog::group_name(grp)) + " ";
    }
    out += "</p>\n";
}

void row(std::string& out, std::string_view a, const std::string& b, const std::string& c = {}) {
    out += "<tr><td>" + escape(a) + "</td><td class=\"n\">" + escape(b) + "</td>";
    if (!c.empty()) {
        out += "<td class=\"n\">" + escape(c) + "</td>";
    }
    out += "</tr>\n";
}

void summary_tables(std::string& out, const Timeline& t) {
    const ringlog::RingStats& st = t.stats;
    const u64 total = st.instructions();
    out += "<h2>Guest instructions per ring</h2>\n<table>\n";
    for (unsigned r = 0; r < 4; ++r) {
        if (st.insns_per_ring[r]) {
            row(out, "ring " + std::to_string(r), grouped(st.insns_per_ring[r]),
                percent(st.insns_per_ring[r], total));
        }
    }
    row(out, "total", grouped(total), "100%");
    out += "</table>\n<h2>Transitions by kind</h2>\n<table>\n";
    for (unsigned k = 0; k < ringlog::RingStats::kKinds; ++k) {
        if (st.by_kind[k]) {
            row(out, ringlog::kind_name(static_cast<cpu::RingEventKind>(k)), grouped(st.by_kind[k]));
        }
    }
    out += "</table>\n<h2>Transitions by ring pair</h2>\n<table>\n";
    for (unsigned f = 0; f < 4; ++f) {
        for (unsigned to = 0; to < 4; ++to) {
            if (st.ring_pair[f][to]) {
                row(out, "ring " + std::to_string(f) + " \u2192 ring " + std::to_string(to),
                    grouped(st.ring_pair[f][to]));
            }
        }
    }
    out += "</table>\n";
    const auto vectors = st.top_vectors(10);
    if (!vectors.empty()) {
        out += "<h2>Top exception vectors</h2>\n<table>\n";
        for (const auto& [v, n] : vectors) {
            const std::string_view mn = ringlog::vector_mnemonic(v);
            row(out, (mn.empty() ? "vector " + std::to_string(v) : std::string(mn)) + " " +
                         std::string(ringlog::vector_description(v)),
                grouped(n));
        }
        out += "</table>\n";
    }
    out += "<h2>System calls from ring 3</h2>\n<table>\n";
    row(out, "INT 0x80", grouped(st.syscalls_int80));
    row(out, "SYSENTER / SYSCALL", grouped(st.syscalls_sysenter));
    for (const auto& [nr, n] : st.top_syscalls(10)) {
        row(out, "EAX = " + std::to_string(nr), grouped(n));
    }
    out += "</table>\n";
}

} // namespace

std::string timeline_html(const Timeline& t) {
    std::string out =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>tx86 ring timeline</title>\n"
        "<style>body{font-family:sans-serif;margin:1em} table{border-collapse:collapse}"
        " td{padding:1px 8px;border-bottom:1px solid #ddd} td.n{text-align:right;"
        "font-family:monospace} .legend span{display:inline-block;width:10px;height:10px;"
        "margin:0 4px 0 10px}</style>\n</head><body>\n";
    out += "<h1>tx86 ring timeline</h1>\n<p>" + escape(t.path) + ": guest instructions " +
           grouped(t.from) + " to " + grouped(t.to) + ", " + grouped(t.stats.events) +
           " transitions" + (t.info.complete ? "" : " (the log ends early: tx86 was stopped)") +
           ". Hover over the picture for the transitions in each column.</p>\n";
    svg_picture(out, t);
    legend(out);
    summary_tables(out, t);
    out += "</body></html>\n";
    return out;
}

} // namespace timeline
