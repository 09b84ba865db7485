// SPDX-License-Identifier: MIT
// tx86-trace's entry point: the command line (with tx86's own filter options) and dispatch.
#include "tools/trace_cli/cli.h"

#include <cstdio>
#include <string_view>

namespace trace_cli {

void complain(const std::string& message) {
    std::fprintf(stderr, "tx86-trace: %s\n", message.c_str());
}

} // namespace trace_cli

namespace {

void usage(std::FILE* out) {
    std::fprintf(
        out,
        "usage: tx86-trace COMMAND FILE... [options]\n"
        "\n"
        "Reads trace files written by tx86 -trace-file FILE.\n"
        "\n"
        "Commands:\n"
        "  print FILE      one line per instruction (icount, CS:EIP, linear and physical\n"
        "                  address, CPL, bytes, disassembly) and per event\n"
        "  count FILE      instructions, blocks, interrupts and other events\n"
        "  stats FILE      instructions per CPL, the hottest addresses and blocks,\n"
        "                  interrupts by vector\n"
        "  diff A B        the first instruction where the two traces part, with the\n"
        "                  instructions before it (exit status 0 same, 1 different)\n"
        "\n"
        "Options:\n"
        "--limit N                print: stop after N instructions\n"
        "--no-events              print: instructions only\n"
        "--events-only            print: events only (interrupts, CR3 loads, port writes)\n"
        "--top N                  stats: rows per table (default 10)\n"
        "--context N              diff: identical instructions shown before (default 5)\n"
        "--strict                 diff: also compare icount, physical address and CR3\n"
        "-h, --help               this text\n"
        "\n"
        "Filters (as in tx86; applied exactly, per instruction):\n"
        "%.*s"
        "\n"
        "Exit status: 0 success, 1 unreadable or corrupt file, 2 bad command line;\n"
        "diff: 0 same, 1 different, 2 bad command line or file. A file cut short (tx86\n"
        "killed) is read up to its last whole chunk, with a warning.\n",
        static_cast<int>(tools::filter_help().size()), tools::filter_help().data());
}

bool parse_count(std::string_view opt, const char* value, u64& out, std::string& error) {
    if (!value || !tools::parse_u64(value, out)) {
        error = "option '" + std::string(opt) + "' needs a number";
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    using namespace trace_cli;
    Args a;
    std::string error;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "-h" || word == "--help" || word == "-help" || word == "help") {
            usage(stdout);
            return kOk;
        }
        if (word.size() < 2 || word[0] != '-') {
            if (a.command.empty()) {
                a.command = word;
            } else {
                a.files.emplace_back(word);
            }
            continue;
        }
        std::string_view name = word.substr(word[1] == '-' ? 2 : 1);
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        u64 n = 0;
        if (tools::is_filter_option(name)) {
            if (!value) {
                complain("option '-" + std::string(name) + "' needs a value");
                return kUsage;
            }
            if (std::string e = tools::parse_filter_option(name, value, a.filter); !e.empty()) {
                complain(e);
                return kUsage;
            }
            ++i;
        } else if (name == "limit" || name == "top" || name == "context") {
            if (!parse_count(word, value, n, error)) {
                complain(error);
                return kUsage;
            }
            ++i;
            if (name == "limit") {
                a.limit = n;
            } else if (n > 100000) {
                complain("option '" + std::string(word) + "' is too large");
                return kUsage;
            } else if (name == "top") {
                a.top = static_cast<unsigned>(n);
            } else {
                a.context = static_cast<unsigned>(n);
            }
        } else if (name == "no-events") {
            a.events = false;
        } else if (name == "events-only") {
            a.insns = false;
        } else if (name == "strict") {
            a.strict = true;
        } else {
            complain("unknown option '" + std::string(word) + "' (try --help)");
            return kUsage;
        }
    }
    if (a.command.empty()) {
        usage(stderr);
        return kUsage;
    }
    const bool is_diff = a.command == "diff";
    const usize want = is_diff ? 2 : 1;
    if (a.command != "print" && a.command != "count" && a.command != "stats" && !is_diff) {
        complain("unknown command '" + a.command + "' (use print, count, stats or diff)");
        return kUsage;
    }
    if (a.files.size() != want) {
        complain(a.command + " takes " + (is_diff ? "two trace files" : "one trace file") +
                 " (got " + std::to_string(a.files.size()) + ")");
        return kUsage;
    }
    if (a.command == "print") {
        return run_print(a);
    }
    if (a.command == "count") {
        return run_count(a);
    }
    if (a.command == "stats") {
        return run_stats(a);
    }
    return run_diff(a);
}
