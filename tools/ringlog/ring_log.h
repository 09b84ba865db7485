// SPDX-License-Identifier: MIT
// RingLog: the ring-transition sink behind `-d ring` and `-ringlog FILE`. It receives every
// event the CPU reports (cpu/ring_events.h), counts it (RingStats), prints it as one text line
// into the -D log when asked, and appends it to a compressed binary log for tx86-timeline when
// asked. At the end of the run it writes the log's end record and produces the summary.
#pragma once

#include "cpu/ring_events.h"
#include "tools/ringlog/ring_file.h"
#include "tools/ringlog/ring_stats.h"

#include <cstdio>
#include <string>

namespace cpu {
class Cpu;
}

namespace ringlog {

class RingLog final : public cpu::RingEventSink {
public:
    struct Options {
        bool text = false;     ///< -d ring: one line per event
        std::FILE* text_out = nullptr; ///< where the lines go (the -D log)
        std::string path;      ///< -ringlog FILE, empty for none
    };

    /// Opens the binary log if one is asked for, starts counting from the CPU's present state
    /// and makes it report to this log. Returns an error message, empty on success.
    std::string open(const Options& options, cpu::Cpu& cpu);
    /// Stops listening, attributes the instructions after the last event, finishes the
    /// binary log. Returns an error message (the file could not be written), empty on success.
    std::string finish(cpu::Cpu& cpu);

    void on_ring_event(const cpu::RingEvent& e) override;

    const RingStats& stats() const { return m_stats; }
    /// A line saying where the binary log went (events, compressed size), empty without one.
    std::string file_note() const;

private:
    Options m_options;
    RingStats m_stats;
    RingFileWriter m_file;
    bool m_file_open = false;
};

} // namespace ringlog
