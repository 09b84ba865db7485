// SPDX-License-Identifier: MIT
// CodeBuffer: one executable region for all translated code, emptied all at once when full
// (the block cache is flushed with it). Placed near tx86's own code when the host allows, so
// generated code reaches helpers with a 32-bit relative call.
//
// It has two parts, each filled front to back: the hot part takes what runs every time a block
// runs (its prologue, body and chained jumps), the cold part what runs rarely (slow paths, exit
// stubs, the interrupt and budget exits). A block's hot code is then about a third of its bytes,
// and the hot code of the blocks a workload runs shares fewer instruction-cache lines and pages.
#pragma once

#include "base/types.h"

#include <atomic>
#include <thread>

namespace translator {

class CodeBuffer {
public:
    CodeBuffer(usize hot_capacity, usize cold_capacity);
    ~CodeBuffer();
    CodeBuffer(const CodeBuffer&) = delete;
    CodeBuffer& operator=(const CodeBuffer&) = delete;

    /// Backs the first `hot` and `cold` bytes of the two parts with memory from another
    /// thread, front to back, while the guest starts (its firmware and kernel decompressor
    /// translate little). Each new huge page of code otherwise costs the translating thread a
    /// page fault that zeroes 2 MiB (on the measured host, a virtual machine, about 4 ms each:
    /// 3-4% of a boot). Best effort: a host without MADV_POPULATE_WRITE just skips it.
    void prefault_in_background(usize hot, usize cold);

    u8* base() const { return m_base; }
    u8* cursor() const { return m_base + m_used; }
    u8* cold_cursor() const { return m_base + m_hot_capacity + m_cold_used; }
    usize free_bytes() const { return m_hot_capacity - m_used; }
    usize cold_free_bytes() const { return m_cold_capacity - m_cold_used; }
    usize used() const { return m_used; }
    usize cold_used() const { return m_cold_used; }
    usize capacity() const { return m_hot_capacity + m_cold_capacity; }
    /// Keeps `n` bytes written at cursor() and `cold` at cold_cursor() (each rounded up to 16).
    void commit(usize n, usize cold = 0) {
        m_used += (n + 15) & ~usize{15};
        m_cold_used += (cold + 15) & ~usize{15};
    }
    /// Drops everything after `mark` bytes of the hot part (the permanent prologue stays) and
    /// the whole cold part.
    void reset_to(usize mark) {
        m_used = mark;
        m_cold_used = 0;
    }

private:
    void use_huge_pages();
    u8* m_base = nullptr;
    usize m_hot_capacity = 0;
    usize m_cold_capacity = 0;
    usize m_used = 0;
    usize m_cold_used = 0;
    std::thread m_prefault;
    std::atomic<bool> m_stop_prefault{false};
};

} // namespace translator
