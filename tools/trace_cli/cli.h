// SPDX-License-Identifier: MIT
// tx86-trace: the commands (print, count, stats, diff) over trace files written by tx86's
// -trace-file, and what they share: the parsed command line and the exit statuses.
#pragma once

#include "base/types.h"
#include "tools/trace/trace_options.h"

#include <string>
#include <vector>

namespace trace_cli {

/// Exit statuses: 1 is a file that cannot be read, 2 a bad command line; diff says 0 (same)
/// or 1 (different) and 2 for any trouble, as diff(1) does.
inline constexpr int kOk = 0;
inline constexpr int kDiffer = 1;
inline constexpr int kFileError = 1;
inline constexpr int kUsage = 2;

struct Args {
    std::string command;
    std::vector<std::string> files;
    tools::TraceFilterSpec filter;
    u64 limit = 0;        ///< print: at most this many instructions (0 = all)
    bool events = true;   ///< print: event lines too
    bool insns = true;    ///< print: instruction lines too
    unsigned top = 10;    ///< stats: rows per table
    unsigned context = 5; ///< diff: identical instructions shown before the difference
    bool strict = false;  ///< diff: also compare icount, physical address and CR3
};

int run_print(const Args& args);
int run_count(const Args& args);
int run_stats(const Args& args);
int run_diff(const Args& args);

/// Prints "tx86-trace: MESSAGE" to stderr.
void complain(const std::string& message);

} // namespace trace_cli
