// SPDX-License-Identifier: MIT
// CharSink: where a character device's output goes (stdout, a file, nowhere). The frontend
// makes them from -serial / -debugcon specs, and may wrap one to watch what passes (the panic
// watch, frontend/panic_watch.h); devices only call write().
#pragma once

#include "base/types.h"

#include <cstdio>
#include <string>

namespace devices {

class CharSink {
public:
    /// nullptr file = discard.
    explicit CharSink(std::FILE* f = nullptr, bool owned = false) : m_file(f), m_owned(owned) {}
    virtual ~CharSink() {
        if (m_owned && m_file) {
            std::fclose(m_file);
        }
    }
    CharSink(const CharSink&) = delete;
    CharSink& operator=(const CharSink&) = delete;

    virtual void write(u8 c) {
        if (m_file) {
            std::fputc(c, m_file);
            if (c == '\n') {
                std::fflush(m_file);
            }
        }
    }
    virtual void flush() {
        if (m_file) {
            std::fflush(m_file);
        }
    }

private:
    std::FILE* m_file;
    bool m_owned;
};

} // namespace devices
