// SPDX-License-Identifier: MIT
// Recorder: the ring, the hand-over to the consumer thread, and the consumer loop.
#include "tools/trace/recorder.h"

#include "base/check.h"
#include "cpu/cpu.h"

#include <algorithm>

namespace tools {

Recorder::Recorder(usize buffer_records) : m_capacity(buffer_records) {
    TX86_CHECK(buffer_records >= 16, "trace: recorder buffers too small");
    unchecked = std::min(kUncheckedRecords, buffer_records);
    std::unique_lock<std::mutex> lock(m_mu);
    m_current = take_buffer(lock);
    cursor = m_current->records.get();
    limit = cursor + m_capacity;
}

Recorder::~Recorder() {
    flush();
    if (m_cpu && m_cpu->recorder == this) {
        m_cpu->recorder = nullptr;
    }
}

void Recorder::attach(cpu::Cpu& cpu) {
    m_cpu = &cpu;
    m_attach_cr3 = cpu.s.cr3;
    m_current->start_cr3 = cpu.s.cr3;
    cpu.recorder = this;
}

u64 Recorder::live_icount() const {
    if (m_cpu) {
        return m_cpu->icount;
    }
    // Without a CPU (unit tests) the stream ends at the last record.
    const cpu::TraceRecord* base = m_current->records.get();
    if (cursor > base) {
        return cpu::record_icount(*(cursor - 1));
    }
    return m_ring.empty() ? 0 : cpu::record_icount(m_ring.back()->records[m_capacity - 1]);
}

Recorder::Buffer* Recorder::take_buffer(std::unique_lock<std::mutex>& lock) {
    for (;;) {
        if (!m_free.empty()) {
            Buffer* b = m_free.back();
            m_free.pop_back();
            b->refs = 1;
            return b;
        }
        if (m_buffers.size() < kMaxBuffers) {
            auto b = std::make_unique<Buffer>();
            // Room past the limit for what translated code writes unchecked (TraceRecorder);
            // not zeroed, so the pages are committed only once written.
            b->records = std::make_unique_for_overwrite<cpu::TraceRecord[]>(m_capacity + unchecked);
            b->refs = 1;
            m_buffers.push_back(std::move(b));
            return m_buffers.back().get();
        }
        // Backpressure: the consumer holds every other buffer. Waiting here is what keeps a
        // trace complete. Wake the consumer at once rather than at its next poll.
        m_producer_waiting = true;
        m_consumer_cv.notify_one();
        m_producer_cv.wait(lock);
        m_producer_waiting = false;
    }
}

void Recorder::release(Buffer* b) {
    if (--b->refs == 0) {
        m_free.push_back(b);
        if (m_producer_waiting) {
            m_producer_cv.notify_one();
        }
    }
}

u32 Recorder::define_block(const cpu::BlockDef& def, const u8* bytes) {
    const u32 id = m_table.define(def, bytes);
    if (m_record_gate) {
        if (id >= m_block_needed.size()) {
            m_block_needed.resize(std::max<usize>(usize{id} + 1, m_block_needed.size() * 2), 1);
        }
        m_block_needed[id] = m_record_gate->block_needed(def);
    }
    return id;
}

/// Does the consumer need the full current buffer (caller holds m_mu)?
bool Recorder::buffer_needed() const {
    if (!m_record_gate) {
        return true;
    }
    const cpu::TraceRecord* r = m_current->records.get();
    return needed && m_record_gate->window_needed(cpu::record_icount(r[0]),
                                                  cpu::record_icount(r[m_capacity - 1]));
}

/// Tells the consumer the current buffer's records are skipped (caller holds m_mu). Runs of
/// skipped buffers make one note.
void Recorder::skip_over(u64 cr3) {
    ++m_buffers_skipped;
    if (!m_consuming || m_consumer_done.load(std::memory_order_relaxed)) {
        return;
    }
    if (!m_queue.empty() && m_queue.back().buffer == nullptr) {
        m_queue.back().skip_cr3 = cr3;
        return;
    }
    Handoff h;
    // Where the next block was entered: its record's count (events before it name the
    // instruction that made them, inside the block still open).
    h.skip_icount = live_icount();
    for (usize i = 0; i < m_capacity; ++i) {
        if (m_current->records[i].id < cpu::kTraceTagFirst) {
            h.skip_icount = m_current->records[i].icount;
            break;
        }
    }
    h.skip_cr3 = cr3;
    m_queue.push_back(h);
}

/// Queues m_current's records [m_handed, end) for the consumer (caller holds m_mu).
void Recorder::hand_over(usize end) {
    if (m_consuming && !m_consumer_done.load(std::memory_order_relaxed) && end > m_handed) {
        // No wake-up call: the consumer polls (kConsumerPoll), which spares the guest's thread
        // a system call per buffer; it is woken only when the guest has to wait for it.
        ++m_current->refs;
        m_queue.push_back(Handoff{m_current, m_handed, end});
    }
    m_handed = end;
}

void Recorder::ring_full() {
    const u64 cr3 = m_cpu ? m_cpu->s.cr3 : 0;
    // Records written past the limit (by translated code, see TraceRecorder) go on in the
    // next buffer; the full one keeps exactly m_capacity.
    const cpu::TraceRecord* const over = m_current->records.get() + m_capacity;
    const usize carried = cursor > over ? static_cast<usize>(cursor - over) : 0;
    TX86_CHECK(carried < unchecked, "trace: translated code overran its record budget");
    const bool carried_needed = carried != 0 && needed != 0;
    {
        std::unique_lock<std::mutex> lock(m_mu);
        if (buffer_needed()) {
            hand_over(m_capacity);
        } else {
            skip_over(cr3);
        }
        m_ring.push_back(m_current); // keeps the ring's reference
        if (m_ring.size() >= kRingBuffers) {
            release(m_ring.front());
            m_ring.pop_front();
        }
        m_current = take_buffer(lock);
    }
    m_current->start_cr3 = cr3;
    m_handed = 0;
    // A carried record may be one a consumer needs (the flag was set for the full buffer):
    // the new buffer inherits the flag then, a conservative answer.
    needed = carried_needed ? 1 : 0;
    cursor = m_current->records.get();
    limit = cursor + m_capacity;
    if (carried != 0) {
        std::copy_n(over, carried, cursor);
        cursor += carried;
    }
}

void Recorder::start_consumer(StreamSink& head, SpanGate* gate, std::function<bool()> done,
                              const RecordGate* record_gate) {
    TX86_CHECK(!m_consuming && !m_flushed, "trace: consumer started twice");
    m_head = &head;
    m_gate = gate;
    m_done = std::move(done);
    m_record_gate = record_gate;
    m_consuming = true;
    m_thread = std::thread([this] { consumer_loop(); });
}

void Recorder::consumer_loop() {
    RecordDecoder decoder(m_consumer_catalog, *m_head, m_attach_cr3, m_gate);
    for (;;) {
        Handoff h{};
        {
            std::unique_lock<std::mutex> lock(m_mu);
            while (m_queue.empty() && !m_stopping) {
                m_consumer_cv.wait_for(lock, kConsumerPoll);
            }
            if (m_queue.empty()) {
                break;
            }
            h = m_queue.front();
            m_queue.pop_front();
        }
        if (h.buffer == nullptr) {
            if (!m_consumer_done.load(std::memory_order_relaxed)) {
                decoder.skip(h.skip_icount, h.skip_cr3);
            }
            continue;
        }
        if (!m_consumer_done.load(std::memory_order_relaxed)) {
            decoder.feed({h.buffer->records.get() + h.begin, h.end - h.begin});
            m_records_consumed += h.end - h.begin;
            if (m_done && m_done()) {
                m_consumer_done.store(true, std::memory_order_relaxed);
            }
        }
        std::unique_lock<std::mutex> lock(m_mu);
        release(h.buffer);
    }
    if (!m_consumer_done.load(std::memory_order_relaxed)) {
        decoder.finish(m_end_icount);
    }
    m_head->finish();
    m_bad_records = decoder.bad_records();
    m_missing_insns = decoder.missing_insns();
}

void Recorder::flush() {
    if (m_flushed) {
        return;
    }
    m_flushed = true;
    if (!m_consuming) {
        return;
    }
    {
        std::unique_lock<std::mutex> lock(m_mu);
        m_end_icount = live_icount();
        hand_over(static_cast<usize>(cursor - m_current->records.get()));
        m_stopping = true;
        m_consumer_cv.notify_one();
    }
    m_thread.join();
    m_consuming = false;
}

} // namespace tools
