// SPDX-License-Identifier: MIT
// CodeBuffer: an RWX mapping (blocks are patched in place when chained), tried first within
// ±1 GiB of this function so that calls into tx86 fit in rel32.
#include "translator/code_buffer.h"

#include "base/check.h"

#include <algorithm>
#include <initializer_list>

#include <sys/mman.h>

namespace translator {

namespace {
void anchor() {}
} // namespace

CodeBuffer::CodeBuffer(usize hot_capacity, usize cold_capacity)
    : m_hot_capacity(hot_capacity), m_cold_capacity(cold_capacity) {
    const usize total = hot_capacity + cold_capacity;
    // 2 MiB aligned, so that transparent huge pages can back it (below).
    const uptr here = reinterpret_cast<uptr>(&anchor) & ~uptr{0x1FFFFF};
    const int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    for (uptr delta : {uptr{0x10000000}, uptr{0x20000000}, uptr{0x30000000}}) {
        for (uptr hint : {here - delta - total, here + delta}) {
            void* p = mmap(reinterpret_cast<void*>(hint), total, prot, flags | MAP_FIXED_NOREPLACE,
                           -1, 0);
            if (p != MAP_FAILED) {
                m_base = static_cast<u8*>(p);
                use_huge_pages();
                return;
            }
        }
    }
    void* p = mmap(nullptr, total, prot, flags, -1, 0);
    TX86_CHECK(p != MAP_FAILED, "cannot map memory for translated code");
    m_base = static_cast<u8*>(p);
    use_huge_pages();
}

void CodeBuffer::use_huge_pages() {
    // With 4 KiB pages every page of new code costs a page fault when first written (a boot
    // writes tens of megabytes: 3% of its host time went to those faults) and its own iTLB
    // entry when run. Hosts that give huge pages on request only (THP "madvise") need the ask;
    // where it is refused, 4 KiB pages work as before.
    (void)madvise(m_base, capacity(), MADV_HUGEPAGE);
}

void CodeBuffer::prefault_in_background(usize hot, usize cold) {
#ifdef MADV_POPULATE_WRITE
    if (m_prefault.joinable()) {
        return;
    }
    hot = std::min(hot, m_hot_capacity);
    cold = std::min(cold, m_cold_capacity);
    m_prefault = std::thread([this, hot, cold] {
        // Hot and cold in step, in the proportion a boot fills them, 2 MiB (one huge page) at
        // a time; concurrent faults of the translating thread on the same pages just wait.
        constexpr usize kStep = usize{2} << 20;
        u8* const cold_base = m_base + m_hot_capacity;
        for (usize h = 0, c = 0; (h < hot || c < cold) && !m_stop_prefault.load(std::memory_order_relaxed);) {
            if (h < hot) {
                if (madvise(m_base + h, std::min(kStep, hot - h), MADV_POPULATE_WRITE) != 0) {
                    return;
                }
                h += kStep;
            }
            for (int k = 0; k < 2 && c < cold; ++k, c += kStep) {
                if (madvise(cold_base + c, std::min(kStep, cold - c), MADV_POPULATE_WRITE) != 0) {
                    return;
                }
            }
        }
    });
#else
    (void)hot;
    (void)cold;
#endif
}

CodeBuffer::~CodeBuffer() {
    m_stop_prefault.store(true, std::memory_order_relaxed);
    if (m_prefault.joinable()) {
        m_prefault.join();
    }
    munmap(m_base, capacity());
}

} // namespace translator
