// SPDX-License-Identifier: MIT
// TraceSession: wiring of the recorder, its consumer chain and the interpreter hooks.
#include "tools/trace/trace_session.h"

#include "base/log.h"
#include "cpu/cpu.h"
#include "tools/trace/flight_ring.h"
#include "tools/trace/recorder.h"
#include "tools/trace/text_printer.h"
#include "tools/trace/trace_filter.h"
#include "tools/trace/trace_writer.h"
#include "tools/tracer/exec_tracer.h"

#include <cinttypes>

namespace tools {

TraceSession::TraceSession(cpu::Cpu& cpu) : m_cpu(cpu) {}

TraceSession::~TraceSession() {
    finish(nullptr);
    if (m_cpu.trace == m_hooks.get()) {
        m_cpu.trace = nullptr;
    }
}

std::string TraceSession::describe(int argc, const char* const* argv) {
    std::string out;
    for (int i = 0; i < argc; ++i) {
        if (i) {
            out += ' ';
        }
        out += argv[i] ? argv[i] : "";
    }
    return out;
}

std::unique_ptr<TraceSession> TraceSession::start(const TraceOptions& options, u32 log_mask,
                                                  u64 flight_insns,
                                                  const std::string& description, cpu::Cpu& cpu,
                                                  std::string& error) {
    std::unique_ptr<TraceSession> s(new TraceSession(cpu));
    const bool exec = (log_mask & base::kLogExec) != 0;
    const bool regs = (log_mask & base::kLogCpu) != 0;
    const bool ints = (log_mask & base::kLogInt) != 0;
    // -d exec comes from the recorder, except beside -d cpu: its register dump is printed by
    // the interpreter before each instruction, and the exec line must sit next to it.
    const bool exec_recorded = exec && !regs;
    const bool ints_recorded = ints && exec_recorded; // in order among the exec lines
    const bool hook_exec = exec && regs;
    const bool hook_ints = ints && !ints_recorded;
    if (hook_exec || hook_ints) {
        s->m_hooks = std::make_unique<ExecTracer>(hook_exec, hook_ints);
        cpu.trace = s->m_hooks.get();
    }
    const bool consumers = exec_recorded || !options.file.empty();
    if (!consumers) {
        if (flight_insns != 0) {
            s->m_flight = std::make_unique<FlightRing>(flight_insns);
            s->m_flight->attach(cpu);
        }
        return s;
    }
    s->m_recorder = std::make_unique<Recorder>();
    Recorder& rec = *s->m_recorder;
    s->m_fanout = std::make_unique<SinkFanout>();
    if (!options.file.empty()) {
        s->m_file =
            TraceFileWriter::create(options.file, rec.consumer_catalog(), description, error);
        if (!s->m_file) {
            return nullptr;
        }
        s->m_file_path = options.file;
        s->m_fanout->add(*s->m_file);
    }
    if (exec_recorded) {
        TextPrinter::Style style;
        style.interrupts = ints_recorded;
        style.other_events = false;
        s->m_exec_log =
            std::make_unique<TextPrinter>(rec.consumer_catalog(), base::log_file(), style);
        s->m_fanout->add(*s->m_exec_log);
    }
    // One output is fed directly; two go through the fan-out.
    StreamSink& outputs = s->m_file && s->m_exec_log ? static_cast<StreamSink&>(*s->m_fanout)
                          : s->m_file                ? static_cast<StreamSink&>(*s->m_file)
                                                     : static_cast<StreamSink&>(*s->m_exec_log);
    s->m_filter = std::make_unique<TraceFilter>(options.filter, rec.consumer_catalog(), outputs);
    TraceFilter* filter = s->m_filter.get();
    s->m_record_gate = std::make_unique<RecordGate>(options.filter);
    rec.attach(cpu);
    cpu.trace_regs = options.regs;
    rec.start_consumer(*filter, filter, [filter] { return filter->done(); }, s->m_record_gate.get());
    return s;
}

void TraceSession::dump_recent(std::FILE* out, u64 max_insns) {
    if (m_flight) {
        m_flight->dump_recent(out, max_insns);
    } else if (m_recorder) {
        m_recorder->dump_recent(out, max_insns);
    }
}

bool TraceSession::finish(std::FILE* report) {
    if (m_finished) {
        return true;
    }
    m_finished = true;
    if (!m_recorder) {
        return true;
    }
    m_recorder->flush();
    bool ok = true;
    if (report && m_file) {
        const TraceFileWriter& w = *m_file;
        std::fprintf(report, "tx86: trace: %" PRIu64 " instructions written to %s",
                     w.instructions(), m_file_path.c_str());
        if (w.instructions() != 0) {
            std::fprintf(report, ", icount %" PRIu64 "..%" PRIu64, w.first_icount(),
                         w.end_icount() - 1);
        }
        std::fprintf(report, " (%" PRIu64 " spans, %" PRIu64 " events, %.1f MiB)\n", w.spans(),
                     w.events(), static_cast<double>(w.file_bytes()) / (1 << 20));
        std::fprintf(report, "tx86: trace: instruction counter at exit: %" PRIu64 "\n",
                     m_cpu.icount);
        std::fprintf(report,
                     "tx86: trace: %" PRIu64 " records decoded; %" PRIu64
                     " full buffers skipped (nothing in them could be kept)\n",
                     m_recorder->records_consumed(), m_recorder->buffers_skipped());
        std::fprintf(report, "tx86: trace: %u block definitions (%.1f MiB)\n",
                     m_recorder->blocks().size(),
                     static_cast<double>(m_recorder->blocks().memory_bytes()) / (1 << 20));
    }
    if (report && (m_recorder->bad_records() || m_recorder->missing_insns())) {
        std::fprintf(report,
                     "tx86: trace: warning: %" PRIu64 " malformed records, %" PRIu64
                     " instructions not covered by any record\n",
                     m_recorder->bad_records(), m_recorder->missing_insns());
    }
    if (m_file && !m_file->error().empty()) {
        if (report) {
            std::fprintf(report, "tx86: %s\n", m_file->error().c_str());
        }
        ok = false;
    }
    return ok;
}

} // namespace tools
