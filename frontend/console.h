// SPDX-License-Identifier: MIT
// Console: the terminal side of `-serial stdio`. Puts a tty in raw mode, forwards keystrokes to
// the guest's COM1, and implements QEMU's escape keys: Ctrl-A X quits, Ctrl-A C toggles a
// monitor prompt, Ctrl-A H lists them, Ctrl-A Ctrl-A sends a literal Ctrl-A. Also the board's
// idle sleep (poll on stdin, so a keystroke wakes a halted guest at once).
#pragma once

#include "devices/board/host_events.h"

#include <csignal>
#include <string>

namespace frontend {

/// Set by the SIGINT/SIGTERM handler: the run loop ends cleanly (logs flushed, tty restored).
extern volatile std::sig_atomic_t g_quit_signal;

class Console final : public devices::HostEvents {
public:
    /// `forward_input`: stdin feeds the serial port (with -serial stdio).
    /// `sleep_when_idle`: false skips idle time (QEMU's -icount sleep=off).
    Console(bool forward_input, bool sleep_when_idle);
    ~Console() override;
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    bool pump(devices::PcBoard& board) override;
    u64 wait(u64 max_ns) override;

private:
    void handle_byte(devices::PcBoard& board, u8 c);
    void monitor_line(devices::PcBoard& board, const std::string& line);

    bool m_forward;
    bool m_sleep;
    bool m_tty = false;
    bool m_raw = false;
    bool m_eof = false;
    bool m_escape = false;   ///< the previous byte was Ctrl-A
    bool m_monitor = false;  ///< typing into the monitor instead of the guest
    bool m_quit = false;
    std::string m_line;
    struct Saved;
    Saved* m_saved = nullptr;
};

} // namespace frontend
