// SPDX-License-Identifier: MIT
// The monitor's commands, in QEMU's human-monitor spelling: info registers, info mmu, info tlb,
// info status, x/FMT and xp/FMT memory dumps (with Capstone for /i), stop, cont, stats,
// screendump, quit, help. One command line in, its text out: the serial console's Ctrl-A C
// prompt, the -monitor socket, QMP's human-monitor-command and gdb's `monitor` command all
// call execute(). Not here: sockets and line editing (monitor_server.h, console.h).
#pragma once

#include "base/types.h"

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace devices {
class PcBoard;
}

namespace frontend {

class Monitor {
public:
    explicit Monitor(devices::PcBoard& board) : m_board(board) {}

    /// Runs one command line and returns what it prints (empty, or lines ending in '\n').
    /// Unknown commands and bad arguments give a one-line error; nothing here can crash.
    std::string execute(std::string_view line);

    /// Evaluates a monitor address expression: numbers (0x hex, else decimal), $register
    /// (gdb's names, plus $pc and $sp) joined by + and -. Nothing on a syntax error.
    std::optional<u64> evaluate(std::string_view expr);

    /// `quit` ran (tx86 ends after this pump; a prompt would be noise).
    bool quit_requested() const { return m_quit; }

private:
    std::string info(std::string_view what);
    std::string memory_dump(std::string_view fmt, std::string_view args, bool physical);
    std::string info_mmu();
    std::string info_tlb();
    std::string stats();

    devices::PcBoard& m_board;
    bool m_quit = false;
};

/// Calls `write` with an in-memory stream and returns what it wrote (for the existing dump
/// functions that print to a FILE*).
std::string capture_output(const std::function<void(std::FILE*)>& write);

} // namespace frontend
