// SPDX-License-Identifier: MIT
#include "frontend/console.h"

#include "devices/board/pc.h"
#include "frontend/monitor.h"

#include <csignal>
#include <cstdio>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace frontend {

struct Console::Saved {
    termios tio;
};

Console::Console(bool forward_input, Monitor& monitor) : m_forward(forward_input), m_monitor(monitor) {
    m_tty = m_forward && isatty(STDIN_FILENO);
    if (m_tty) {
        m_saved = new Saved;
        if (tcgetattr(STDIN_FILENO, &m_saved->tio) == 0) {
            termios raw = m_saved->tio;
            // Raw input so the guest sees every key (Ctrl-C included); output stays cooked.
            raw.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
            raw.c_cc[VMIN] = 1;
            raw.c_cc[VTIME] = 0;
            m_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
    }
}

Console::~Console() {
    if (m_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &m_saved->tio);
    }
    delete m_saved;
}

void Console::monitor_line(const std::string& line) {
    std::fflush(stdout);
    const std::string out = m_monitor.execute(line);
    std::fputs(out.c_str(), stdout);
    if (!m_monitor.quit_requested()) {
        std::printf("(tx86) ");
    }
    std::fflush(stdout);
}

void Console::handle_byte(devices::PcBoard& board, unsigned char c) {
    if (m_escape) {
        m_escape = false;
        switch (c) {
        case 'x': case 'X': m_quit = true; return;
        case 'c': case 'C':
            m_in_monitor = !m_in_monitor;
            std::printf(m_in_monitor ? "\r\ntx86 monitor - type 'help' for help\r\n(tx86) " : "\r\n");
            std::fflush(stdout);
            return;
        case 'h': case 'H':
            std::printf("\r\nC-a h    print this help\r\nC-a x    exit emulator\r\n"
                        "C-a c    switch between console and monitor\r\nC-a C-a  sends C-a\r\n");
            std::fflush(stdout);
            return;
        case 0x01: break; // literal Ctrl-A below
        default: return;
        }
    } else if (c == 0x01 && m_tty) {
        m_escape = true;
        return;
    }
    if (m_in_monitor) {
        if (c == '\r' || c == '\n') {
            std::printf("\r\n");
            const std::string line = m_line;
            m_line.clear();
            monitor_line(line);
        } else if (c == 0x7F || c == 0x08) {
            if (!m_line.empty()) {
                m_line.pop_back();
                std::printf("\b \b");
            }
        } else {
            m_line.push_back(static_cast<char>(c));
            std::putchar(c);
        }
        std::fflush(stdout);
        return;
    }
    board.com1().push_input(c);
}

volatile std::sig_atomic_t g_quit_signal = 0;

bool Console::pump(devices::PcBoard& board) {
    if (g_quit_signal) {
        return false;
    }
    if (!m_forward || m_eof) {
        return !m_quit;
    }
    // Feed no more than the UART can take soon, so pasted text is not lost to its FIFO.
    while (board.com1().input_backlog() < 256) {
        pollfd p{STDIN_FILENO, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) {
            break;
        }
        u8 buf[64];
        const ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n <= 0) {
            m_eof = true;
            break;
        }
        for (ssize_t i = 0; i < n; ++i) {
            handle_byte(board, buf[i]);
        }
    }
    return !m_quit;
}

int Console::input_fd() const { return m_forward && !m_eof ? STDIN_FILENO : -1; }

} // namespace frontend
