// SPDX-License-Identifier: MIT
// CodeBuffer: one executable region for all translated code, filled front to back and emptied
// all at once when full (the block cache is flushed with it). Placed near tx86's own code when
// the host allows, so generated code reaches helpers with a 32-bit relative call.
#pragma once

#include "base/types.h"

namespace translator {

class CodeBuffer {
public:
    explicit CodeBuffer(usize capacity);
    ~CodeBuffer();
    CodeBuffer(const CodeBuffer&) = delete;
    CodeBuffer& operator=(const CodeBuffer&) = delete;

    u8* base() const { return m_base; }
    u8* cursor() const { return m_base + m_used; }
    usize free_bytes() const { return m_capacity - m_used; }
    usize used() const { return m_used; }
    /// Keeps `n` bytes written at cursor() (rounded up to 16).
    void commit(usize n) { m_used += (n + 15) & ~usize{15}; }
    /// Drops everything after `mark` bytes (the permanent prologue stays).
    void reset_to(usize mark) { m_used = mark; }

private:
    void use_huge_pages();
    u8* m_base = nullptr;
    usize m_capacity = 0;
    usize m_used = 0;
};

} // namespace translator
