// SPDX-License-Identifier: MIT
// CodeBuffer: an RWX mapping (blocks are patched in place when chained), tried first within
// ±1 GiB of this function so that calls into tx86 fit in rel32.
#include "translator/code_buffer.h"

#include "base/check.h"

#include <initializer_list>

#include <sys/mman.h>

namespace translator {

namespace {
void anchor() {}
} // namespace

CodeBuffer::CodeBuffer(usize capacity) : m_capacity(capacity) {
    const uptr here = reinterpret_cast<uptr>(&anchor) & ~uptr{0xFFFFF};
    const int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    for (uptr delta : {uptr{0x10000000}, uptr{0x20000000}, uptr{0x30000000}}) {
        for (uptr hint : {here - delta - capacity, here + delta}) {
            void* p = mmap(reinterpret_cast<void*>(hint), capacity, prot, flags | MAP_FIXED_NOREPLACE,
                           -1, 0);
            if (p != MAP_FAILED) {
                m_base = static_cast<u8*>(p);
                return;
            }
        }
    }
    void* p = mmap(nullptr, capacity, prot, flags, -1, 0);
    TX86_CHECK(p != MAP_FAILED, "cannot map memory for translated code");
    m_base = static_cast<u8*>(p);
}

CodeBuffer::~CodeBuffer() { munmap(m_base, m_capacity); }

} // namespace translator
