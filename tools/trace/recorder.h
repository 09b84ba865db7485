// SPDX-License-Identifier: MIT
// Recorder: tx86's cpu::TraceRecorder. The engines write 16-byte records into the current
// buffer; when it fills, ring_full() hands it to a background consumer thread, if one runs, and
// continues in a fresh one. The last kRingBuffers buffers (the current one included) are kept:
// they are the flight recorder, the recent past always in memory. The consumer decodes the
// records (record_decoder.h) and passes the instruction stream down a chain of sinks (filter,
// trace-file writer, -d exec log), so the guest's thread only ever pays for the stores. A trace
// never drops records: when the consumer falls behind, ring_full() waits for it (at most
// kMaxBuffers buffers exist). Buffers are passed, never copied. Translated code may write up
// to TraceRecorder::unchecked records past a buffer's limit before its dispatcher calls
// ring_full(); each buffer has room for them, and ring_full() copies them to the start of the
// next buffer (so every buffer handed over still holds exactly its capacity).
//
// Sizes: buffers of 64 Ki records (1 MiB), a ring of 4 (256 Ki records, 4 MiB). The flight
// recorder must keep at least the last 100 000 instructions: right after a switch three full
// buffers remain, 192 Ki records; in the worst realistic case, the interpreter writing one
// record per instruction, that is 196 000 instructions, still 130 000 if every second
// instruction also wrote an event record (interrupts, port writes); translated code averages
// five or more instructions a record, i.e. a million or more. Small buffers and a small ring
// keep the records in the cache between the guest's thread writing them and the consumer
// reading them (a ring of 8 MiB made armed tracing measurably slower), and a hand-over is a
// queue push under a mutex, no system call.
//
// Filters that keep little cost little: a RecordGate says, on the guest's thread, which blocks
// and events a filter could keep at all; a full buffer holding none of them (and none inside
// the -dicount window) is not handed over, only a note that the stream skipped ahead. The
// consumer thread then sleeps through a run filtered out, and the guest pays what the flight
// recorder alone costs.
#pragma once

#include "cpu/trace_record.h"
#include "tools/trace/block_table.h"
#include "tools/trace/record_decoder.h"
#include "tools/trace/record_gate.h"
#include "tools/trace/stream.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cpu {
class Cpu;
}

namespace tools {

class Recorder final : public cpu::TraceRecorder {
  public:
    static constexpr usize kDefaultBufferRecords = usize{1} << 16;
    /// TraceRecorder::unchecked, for buffers at least this large: translated code comes back
    /// to its dispatcher at least every 64 Ki blocks.
    static constexpr usize kUncheckedRecords = usize{1} << 16;
    /// Buffers kept for the flight recorder, the one being written included.
    static constexpr usize kRingBuffers = 4;
    /// Buffers in existence at most: the ring plus two the consumer may still hold.
    static constexpr usize kMaxBuffers = kRingBuffers + 2;
    /// How often the consumer looks for full buffers (the guest's thread does not wake it).
    static constexpr std::chrono::milliseconds kConsumerPoll{2};

    explicit Recorder(usize buffer_records = kDefaultBufferRecords);
    ~Recorder() override;
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Attaches to `cpu` (cpu.recorder = this) and notes its CR3. Call before the first run().
    void attach(cpu::Cpu& cpu);

    /// The block catalog for sinks that run on the consumer thread (and only there).
    BlockCatalog& consumer_catalog() { return m_consumer_catalog; }
    /// Starts the consumer thread: records are decoded and passed to `head` on it; `gate`
    /// (may be nullptr) lets the filter drop blocks before spans are made. `done` is asked (on
    /// that thread) after each buffer; once it says true, nothing more can be kept and buffers
    /// are no longer handed over. `record_gate` (may be nullptr: hand over everything) decides
    /// which buffers the consumer needs; it must outlive the recorder.
    void start_consumer(StreamSink& head, SpanGate* gate, std::function<bool()> done,
                        const RecordGate* record_gate = nullptr);

    // cpu::TraceRecorder
    u32 define_block(const cpu::BlockDef& def, const u8* bytes) override;
    bool block_needed(u32 id) override {
        return m_consuming && (id >= m_block_needed.size() || m_block_needed[id]);
    }
    void ring_full() override;

    /// At exit: hands over what is left, waits for the consumer to process it and to finish
    /// its sinks (trace file closed, log flushed). The flight recorder stays readable.
    void flush();

    /// The flight recorder: prints the last `max_insns` executed instructions (those still in
    /// the ring), decoded and disassembled, with the interrupts between them, under a header
    /// saying how many and their instruction counts. Call it from the guest's thread.
    void dump_recent(std::FILE* out, u64 max_insns);

    const BlockTable& blocks() const { return m_table; }
    /// Records handed to the consumer so far.
    u64 records_consumed() const { return m_records_consumed; }
    /// Full buffers the consumer was spared (nothing in them could be kept).
    u64 buffers_skipped() const { return m_buffers_skipped; }
    /// Producer-bug indicators seen by the consumer (see RecordDecoder).
    u64 bad_records() const { return m_bad_records; }
    u64 missing_insns() const { return m_missing_insns; }

  private:
    struct Buffer {
        std::unique_ptr<cpu::TraceRecord[]> records;
        u64 start_cr3 = 0; ///< CR3 before its first record
        int refs = 0;      ///< the ring's hold, plus one per queued hand-over
    };
    /// Records [begin, end) of `buffer`; or, with buffer == nullptr, a skip: the stream goes
    /// on with the block entered at `skip_icount`, and CR3 is `skip_cr3` after the skipped
    /// records.
    struct Handoff {
        Buffer* buffer = nullptr;
        usize begin = 0;
        usize end = 0;
        u64 skip_icount = 0;
        u64 skip_cr3 = 0;
    };

    Buffer* take_buffer(std::unique_lock<std::mutex>& lock);
    void release(Buffer* b);
    void hand_over(usize end);
    bool buffer_needed() const;
    void skip_over(u64 cr3);

  protected:
    bool event_needed(u32 tag, u32 aux, u8 cpl) override {
        return m_consuming && (!m_record_gate || m_record_gate->event_needed(tag, aux, cpl));
    }

  private:
    void consumer_loop();
    u64 live_icount() const;

    const usize m_capacity;
    BlockTable m_table;
    LiveCatalog m_consumer_catalog{m_table};
    cpu::Cpu* m_cpu = nullptr;
    u64 m_attach_cr3 = 0;

    std::mutex m_mu;
    std::condition_variable m_consumer_cv;
    std::condition_variable m_producer_cv;
    std::vector<std::unique_ptr<Buffer>> m_buffers;
    std::vector<Buffer*> m_free;
    std::deque<Handoff> m_queue;
    Buffer* m_current = nullptr;
    std::deque<Buffer*> m_ring; ///< the full buffers kept, oldest first (flight recorder)
    usize m_handed = 0;         ///< records of m_current already handed over

    std::thread m_thread;
    StreamSink* m_head = nullptr;
    SpanGate* m_gate = nullptr;
    const RecordGate* m_record_gate = nullptr;
    std::vector<u8> m_block_needed; ///< by block id (producer thread)
    std::function<bool()> m_done;
    bool m_consuming = false;        ///< a consumer thread runs (producer side)
    bool m_stopping = false;         ///< flush() asked the consumer to end (under m_mu)
    bool m_producer_waiting = false; ///< ring_full() waits for a buffer (under m_mu)
    bool m_flushed = false;
    std::atomic<bool> m_consumer_done{false};
    u64 m_end_icount = 0;
    u64 m_records_consumed = 0;
    u64 m_buffers_skipped = 0;
    u64 m_bad_records = 0;
    u64 m_missing_insns = 0;
};

} // namespace tools
