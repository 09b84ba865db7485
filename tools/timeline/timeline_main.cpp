// SPDX-License-Identifier: MIT
// tx86-timeline: renders a ring log (tx86 -ringlog FILE) as a PNG picture and an HTML page of
// ring occupancy and transitions over guest instructions, or prints its summary.
//
//   tx86-timeline [--from N] [--to N] [--width PX] [-o PREFIX] LOG   -> PREFIX.png, PREFIX.html
//   tx86-timeline --stats LOG                                        -> summary on stdout
//
// Exit status: 0 done, 1 the log cannot be read (or the output written), 2 bad options.
#include "tools/ringlog/ring_file.h"
#include "tools/ringlog/ring_stats.h"
#include "tools/timeline/png_writer.h"
#include "tools/timeline/render.h"
#include "tools/timeline/timeline_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: tx86-timeline [options] LOG\n"
    "Draws the ring log LOG (written by tx86 -ringlog LOG) as PREFIX.png and PREFIX.html.\n"
    "\n"
    "--from N       first guest instruction count shown (suffixes K, M, G; default: the start)\n"
    "--to N         last one (default: the end of the log)\n"
    "--width PX     columns of the picture, 100..20000 (default 1000)\n"
    "-o PREFIX      output file names (default: LOG without its extension)\n"
    "--stats        print the summary and every system call number instead of drawing\n"
    "-h, --help     this text\n";

/// "123", "1.5M", "2G": a count with an optional K/M/G suffix (powers of 1000).
std::optional<u64> parse_count(std::string_view s) {
    if (s.empty() || s.size() > 24) {
        return std::nullopt; // (and std::stod below never sees a number it cannot hold)
    }
    u64 mult = 1;
    switch (s.back()) {
    case 'k': case 'K': mult = 1000; break;
    case 'm': case 'M': mult = 1000000; break;
    case 'g': case 'G': mult = 1000000000; break;
    default: break;
    }
    if (mult != 1) {
        s.remove_suffix(1);
    }
    if (s.empty() || s.find_first_not_of("0123456789.") != std::string_view::npos ||
        std::count(s.begin(), s.end(), '.') > 1 || s.front() == '.' || s.back() == '.') {
        return std::nullopt;
    }
    const double v = std::stod(std::string(s)) * double(mult);
    if (v >= 1.8e19) {
        return std::nullopt;
    }
    return static_cast<u64>(v);
}

int fail(const std::string& msg, int status) {
    std::fprintf(stderr, "tx86-timeline: %s\n", msg.c_str());
    return status;
}

int print_stats(const std::string& path) {
    ringlog::RingStats stats;
    bool started = false;
    ringlog::RingFileInfo info;
    // The reader fills info.start from the start record, before the first event.
    const std::string err = ringlog::read_ring_file(
        path,
        [&](const cpu::RingEvent& e) {
            if (!started) {
                stats.start(info.start);
                started = true;
            }
            stats.add(e);
        },
        info);
    if (!err.empty()) {
        return fail(err, 1);
    }
    if (!started) {
        stats.start(info.start);
    }
    stats.finish(info.end);
    std::fputs(stats.summary().c_str(), stdout);
    if (!info.complete) {
        std::puts("  (the log ends early: tx86 was stopped before writing its end record)");
    }
    std::puts("\nsystem calls by number (EAX):");
    for (const auto& [nr, n] : stats.top_syscalls(~0u)) {
        std::printf("    syscall %u %llu\n", nr, static_cast<unsigned long long>(n));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    timeline::TimelineOptions opt;
    std::string log, prefix;
    bool stats = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&](std::string_view name) -> std::optional<std::string_view> {
            if (i + 1 >= argc) {
                fail("option '" + std::string(name) + "' needs a value", 2);
                return std::nullopt;
            }
            return std::string_view(argv[++i]);
        };
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (a == "--stats") {
            stats = true;
        } else if (a == "--from" || a == "--to") {
            const auto v = value(a);
            if (!v) {
                return 2;
            }
            const auto n = parse_count(*v);
            if (!n) {
                return fail("invalid instruction count '" + std::string(*v) + "' for " + std::string(a), 2);
            }
            (a == "--from" ? opt.from : opt.to.emplace()) = *n;
        } else if (a == "--width") {
            const auto v = value(a);
            if (!v) {
                return 2;
            }
            const auto n = parse_count(*v);
            if (!n || *n < 100 || *n > 20000) {
                return fail("invalid --width '" + std::string(*v) + "' (use 100..20000)", 2);
            }
            opt.columns = static_cast<unsigned>(*n);
        } else if (a == "-o") {
            const auto v = value(a);
            if (!v) {
                return 2;
            }
            if (v->empty()) {
                return fail("option '-o' needs a file name prefix", 2);
            }
            prefix = *v;
        } else if (a.size() > 1 && a[0] == '-') {
            return fail("unknown option '" + std::string(a) + "' (try --help)", 2);
        } else if (log.empty()) {
            log = a;
        } else {
            return fail("more than one log file given ('" + log + "', '" + std::string(a) + "')", 2);
        }
    }
    if (log.empty()) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    if (opt.to && *opt.to <= opt.from) {
        return fail("--to must be greater than --from", 2);
    }
    if (stats) {
        return print_stats(log);
    }
    if (prefix.empty()) {
        const auto slash = log.rfind('/');
        const auto dot = log.rfind('.');
        prefix = dot != std::string::npos && (slash == std::string::npos || dot > slash)
                     ? log.substr(0, dot)
                     : log;
    }

    timeline::Timeline t;
    if (std::string err = timeline::build_timeline(log, opt, t); !err.empty()) {
        return fail(err, 1);
    }
    if (std::string err = timeline::write_png(timeline::draw_timeline(t), prefix + ".png");
        !err.empty()) {
        return fail(err, 1);
    }
    const std::string html = timeline::timeline_html(t);
    std::FILE* f = std::fopen((prefix + ".html").c_str(), "w");
    if (!f) {
        return fail("cannot open '" + prefix + ".html' for writing: " + std::strerror(errno), 1);
    }
    const bool ok = std::fwrite(html.data(), 1, html.size(), f) == html.size();
    if (std::fclose(f) != 0 || !ok) {
        return fail("cannot write '" + prefix + ".html'", 1);
    }
    std::printf("tx86-timeline: %s.png and %s.html (%zu columns, %llu transitions)%s\n",
                prefix.c_str(), prefix.c_str(), t.columns.size(),
                static_cast<unsigned long long>(t.stats.events),
                t.info.complete ? "" : "; the log ends early (tx86 was stopped)");
    return 0;
}
