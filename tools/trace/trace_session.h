// SPDX-License-Identifier: MIT
// TraceSession: what tx86's main sets up for -d exec, -d int, -trace-file and the filters, in
// one place: the recorder with its consumer chain (filter -> trace file, -d exec log) when an
// output needs it, and the interpreter hooks (tools/tracer) for the logs that stay synchronous
// (-d int alone; -d exec together with -d cpu, whose register dumps must interleave with it).
// At exit it flushes everything and reports what was written.
#pragma once

#include "tools/trace/trace_options.h"

#include <cstdio>
#include <memory>
#include <string>

namespace cpu {
class Cpu;
}

namespace tools {

class ExecTracer;
class RecordGate;
class FlightRing;
class Recorder;
class TraceFilter;
class TraceFileWriter;
class TextPrinter;
class SinkFanout;

class TraceSession {
  public:
    /// Sets up tracing for `cpu` per `options` and the -d mask; `flight_insns` (-flight N, 0 =
    /// none): keep a recorder attached even when nothing is traced, for flight-recorder dumps
    /// of that many instructions (a FlightRing when nothing is traced). On failure
    /// (the trace file cannot be created) returns nullptr with a one-line message in `error`.
    /// `description` (the command line) goes into the trace file's header.
    static std::unique_ptr<TraceSession> start(const TraceOptions& options, u32 log_mask,
                                               u64 flight_insns, const std::string& description,
                                               cpu::Cpu& cpu, std::string& error);
    /// The command line as one string, for `description`.
    static std::string describe(int argc, const char* const* argv);
    ~TraceSession();

    /// Whether a recorder is attached, so that dump_recent() has instructions to print.
    bool has_flight_recorder() const { return m_recorder || m_flight; }
    /// The flight recorder's dump: the last `max_insns` instructions executed.
    void dump_recent(std::FILE* out, u64 max_insns);
    /// Flushes the outputs and prints a summary to `report` (the trace file's instruction
    /// count and icount range, the instruction counter at exit). Returns false if writing the
    /// trace failed.
    bool finish(std::FILE* report);

  private:
    explicit TraceSession(cpu::Cpu& cpu);

    cpu::Cpu& m_cpu;
    std::string m_file_path;
    std::unique_ptr<ExecTracer> m_hooks;
    std::unique_ptr<RecordGate> m_record_gate; // (before m_recorder: it must outlive it)
    std::unique_ptr<Recorder> m_recorder;   ///< when something is traced
    std::unique_ptr<FlightRing> m_flight;  ///< the flight recorder alone
    std::unique_ptr<SinkFanout> m_fanout;
    std::unique_ptr<TraceFilter> m_filter;
    std::unique_ptr<TraceFileWriter> m_file;
    std::unique_ptr<TextPrinter> m_exec_log;
    bool m_finished = false;
};

} // namespace tools
