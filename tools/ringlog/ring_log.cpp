// SPDX-License-Identifier: MIT
// The ring-transition sink (ring_log.h).
#include "tools/ringlog/ring_log.h"

#include "cpu/cpu.h"
#include "cpu/ring_hooks.h"
#include "tools/ringlog/ring_text.h"

#include <cinttypes>

namespace ringlog {

namespace {

RingPosition position_of(const cpu::Cpu& cpu) {
    return RingPosition{cpu.icount, cpu.s.cpl, cpu::ring_mode(cpu), cpu.paging()};
}

} // namespace

std::string RingLog::open(const Options& options, cpu::Cpu& cpu) {
    m_options = options;
    const RingPosition start = position_of(cpu);
    if (!options.path.empty()) {
        if (std::string err = m_file.open(options.path, start); !err.empty()) {
            return err;
        }
        m_file_open = true;
    }
    m_stats.start(start);
    cpu.ring_events = this;
    return {};
}

void RingLog::on_ring_event(const cpu::RingEvent& e) {
    m_stats.add(e);
    if (m_options.text && m_options.text_out) {
        std::fputs(format_event(e).c_str(), m_options.text_out);
    }
    if (m_file_open) {
        m_file.write(e);
    }
}

std::string RingLog::finish(cpu::Cpu& cpu) {
    if (cpu.ring_events == this) {
        cpu.ring_events = nullptr;
    }
    const RingPosition end = position_of(cpu);
    m_stats.finish(end);
    if (m_file_open) {
        m_file_open = false;
        return m_file.finish(end);
    }
    return {};
}

std::string RingLog::file_note() const {
    if (m_options.path.empty()) {
        return {};
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "%" PRIu64 " events, %" PRIu64 " bytes (%.1f per event)",
                  m_file.events_written(), m_file.bytes_written(),
                  m_file.events_written()
                      ? double(m_file.bytes_written()) / double(m_file.events_written())
                      : 0.0);
    return "ring log: " + m_options.path + ": " + buf + "\n";
}

} // namespace ringlog
