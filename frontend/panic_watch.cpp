// SPDX-License-Identifier: MIT
// The patterns are the first words of Linux's own reports: panic() prints "Kernel panic - not
// syncing: ...", die() prints "Oops: ..." or "general protection fault ...", and BUG()/WARN
// style reports ("BUG: kernel NULL pointer dereference", "BUG: unable to handle page fault")
// start with "BUG:".
#include "frontend/panic_watch.h"

namespace frontend {

std::optional<PanicKind> classify_panic_line(std::string_view line) {
    struct Pattern {
        std::string_view text;
        PanicKind kind;
    };
    static constexpr Pattern kPatterns[] = {
        {"Kernel panic", PanicKind::Panic},
        {"Oops:", PanicKind::Oops},
        {"BUG:", PanicKind::Bug},
        {"general protection fault", PanicKind::GeneralProtection},
    };
    for (const Pattern& p : kPatterns) {
        if (line.find(p.text) != std::string_view::npos) {
            return p.kind;
        }
    }
    return std::nullopt;
}

const char* panic_kind_name(PanicKind kind) {
    switch (kind) {
    case PanicKind::Panic: return "kernel panic";
    case PanicKind::Oops: return "oops";
    case PanicKind::Bug: return "BUG";
    case PanicKind::GeneralProtection: return "general protection fault";
    }
    return "?";
}

void PanicWatch::write(u8 c) {
    if (m_inner) {
        m_inner->write(c);
    }
    if (c == '\r') {
        return;
    }
    if (c != '\n') {
        if (m_line.size() < kMaxLine) {
            m_line.push_back(static_cast<char>(c));
        }
        return;
    }
    if (const auto kind = classify_panic_line(m_line)) {
        bool& reported = m_reported[static_cast<unsigned>(*kind)];
        if (!reported) {
            reported = true;
            // Flush first: the console shows the line before the report about it.
            if (m_inner) {
                m_inner->flush();
            }
            m_handler(*kind, m_line);
        }
    }
    m_line.clear();
}

void PanicWatch::flush() {
    if (m_inner) {
        m_inner->flush();
    }
}

} // namespace frontend
