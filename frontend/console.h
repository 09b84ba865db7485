// SPDX-License-Identifier: MIT
// Console: the terminal side of `-serial stdio`. Puts a tty in raw mode, forwards keystrokes to
// the guest's COM1, and implements QEMU's escape keys: Ctrl-A X quits, Ctrl-A C toggles the
// monitor prompt (commands run by frontend/monitor.h), Ctrl-A H lists them, Ctrl-A Ctrl-A sends
// a literal Ctrl-A. Not here: sleeping and the other host inputs (frontend/host_loop.h).
#pragma once

#include <csignal>
#include <string>

namespace devices {
class PcBoard;
}

namespace frontend {

class Monitor;

/// Set by the SIGINT/SIGTERM handler: the run loop ends cleanly (logs flushed, tty restored).
extern volatile std::sig_atomic_t g_quit_signal;

class Console {
public:
    /// `forward_input`: stdin feeds the serial port (with -serial stdio).
    Console(bool forward_input, Monitor& monitor);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    /// Handles pending keystrokes without blocking. Returns false when the user asked to quit.
    bool pump(devices::PcBoard& board);
    /// The descriptor to wait on for keystrokes, or -1 (not forwarding, or end of input).
    int input_fd() const;

private:
    void handle_byte(devices::PcBoard& board, unsigned char c);
    void monitor_line(const std::string& line);

    bool m_forward;
    Monitor& m_monitor;
    bool m_tty = false;
    bool m_raw = false;
    bool m_eof = false;
    bool m_escape = false;   ///< the previous byte was Ctrl-A
    bool m_in_monitor = false; ///< typing into the monitor instead of the guest
    bool m_quit = false;
    std::string m_line;
    struct Saved;
    Saved* m_saved = nullptr;
};

} // namespace frontend
