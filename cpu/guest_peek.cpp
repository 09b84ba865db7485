// SPDX-License-Identifier: MIT
// The walk follows SDM Vol. 3A, 4.3 (32-bit paging, PSE-36), 4.4 (PAE) and 4.5 (4-level
// paging), reading entries only: reserved-bit and execute-disable checks are the architectural walker's business.
#include "cpu/guest_peek.h"

#include "cpu/cpu.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace cpu {
namespace {

using pte::kP;
using pte::kPS;
using pte::kRW;
using pte::kUS;

/// Reads a paging-structure entry of `size` bytes from RAM/ROM.
bool read_entry(Cpu& cpu, u64 pa, unsigned size, u64& value) {
    const mmu::PageLookup page = cpu.phys().lookup(pa);
    if (!page.host || (pa & 0xFFF) + size > 0x1000) {
        return false;
    }
    value = 0;
    std::memcpy(&value, page.host + (pa & 0xFFF), size);
    return true;
}

/// Reads the next entry into the walk; false when it is unreadable or not present.
bool step(Cpu& cpu, PeekWalk& w, const char* level, u64 pa, unsigned size, u64& value) {
    PeekWalk::Entry& e = w.entries[w.levels++];
    e.level = level;
    e.pa = pa & cpu.phys().a20_mask();
    e.readable = read_entry(cpu, e.pa, size, value);
    e.value = e.readable ? value : 0;
    return e.readable && (value & kP);
}

void finish(Cpu& cpu, PeekWalk& w, u64 phys, bool rw, bool us) {
    w.mapped = true;
    w.phys = phys & cpu.phys().a20_mask();
    w.rw = rw;
    w.user = us;
}

} // namespace

std::string PeekWalk::describe() const {
    if (!paging) {
        return "paging off";
    }
    std::string text;
    for (u8 i = 0; i < levels; ++i) {
        const Entry& e = entries[i];
        char buf[128];
        if (!e.readable) {
            std::snprintf(buf, sizeof buf, "%s at 0x%08" PRIx64 " unreadable (not RAM)", e.level,
                          e.pa);
        } else if (!(e.value & kP)) {
            std::snprintf(buf, sizeof buf, "%s at 0x%08" PRIx64 " = 0x%08" PRIx64 " (not present)",
                          e.level, e.pa, e.value);
        } else {
            std::snprintf(buf, sizeof buf, "%s at 0x%08" PRIx64 " = 0x%08" PRIx64 " (P%s%s%s)",
                          e.level, e.pa, e.value, (e.value & kRW) ? " RW" : " read-only",
                          (e.value & kUS) ? " US" : " supervisor",
                          (e.value & kPS) && std::strcmp(e.level, "PTE") != 0 ? " large" : "");
        }
        text += (i ? ", " : "") + std::string(buf);
    }
    return text;
}

PeekWalk peek_walk(Cpu& cpu, u64 lin) {
    PeekWalk w;
    const bool long_mode = cpu.long_mode();
    if (!long_mode) {
        lin &= 0xFFFFFFFFu;
    }
    if (!cpu.paging()) {
        w.phys = lin & cpu.phys().a20_mask();
        w.mapped = true;
        w.rw = true;
        w.user = true;
        return w;
    }
    w.paging = true;
    const u64 cr3 = cpu.s.cr3;
    u64 e = 0;
    if (!long_mode && !(cpu.s.cr4 & kCr4PAE)) {
        if (!step(cpu, w, "PDE", (cr3 & 0xFFFFF000u) + ((lin >> 22) << 2), 4, e)) {
            return w;
        }
        const u64 pde = e;
        if ((pde & kPS) && (cpu.s.cr4 & kCr4PSE)) {
            finish(cpu, w, pte::pse36_base(pde) | (lin & 0x3FFFFF), pde & kRW, pde & kUS);
            return w;
        }
        if (!step(cpu, w, "PTE", (pde & 0xFFFFF000u) + (((lin >> 12) & 0x3FF) << 2), 4, e)) {
            return w;
        }
        finish(cpu, w, (e & 0xFFFFF000u) | (lin & 0xFFF), (pde & e & kRW) != 0,
               (pde & e & kUS) != 0);
        return w;
    }
    // PAE and long mode: 8-byte entries, 9 index bits per level (PAE's PDPT index is the two
    // bits left of a 32-bit address, which the 9-bit mask keeps as they are).
    struct Level {
        const char* name;
        unsigned shift;
        bool large_ok; ///< PS in this entry maps a page (1 GiB PDPTE, 2 MiB PDE)
        bool rights;   ///< R/W and U/S count (PAE's PDPTEs have neither)
    };
    static constexpr Level kLong[] = {
        {"PML4E", 39, false, true}, {"PDPTE", 30, true, true}, {"PDE", 21, true, true},
        {"PTE", 12, false, true}};
    static constexpr Level kPae[] = {
        {"PDPTE", 30, false, false}, {"PDE", 21, true, true}, {"PTE", 12, false, true}};
    const Level* levels = long_mode ? kLong : kPae;
    const unsigned count = long_mode ? 4 : 3;
    const u64 addr = long_mode ? pte::kAddrLong : pte::kAddrPae;
    u64 table = long_mode ? (cr3 & pte::kAddrLong) : (cr3 & 0xFFFFFFE0u);
    bool rw = true, us = true;
    for (unsigned i = 0; i < count; ++i) {
        const Level& lv = levels[i];
        if (!step(cpu, w, lv.name, table + (((lin >> lv.shift) & 0x1FF) << 3), 8, e)) {
            return w;
        }
        if (lv.rights) {
            rw = rw && (e & kRW);
            us = us && (e & kUS);
        }
        const u64 size = u64{1} << lv.shift;
        if (i + 1 == count || (lv.large_ok && (e & kPS))) {
            finish(cpu, w, (e & addr & ~(size - 1)) | (lin & (size - 1)), rw, us);
            return w;
        }
        table = e & addr;
    }
    return w;
}

bool peek_linear(Cpu& cpu, u64 lin, void* out, usize n) {
    u8* dst = static_cast<u8*>(out);
    while (n > 0) {
        const PeekWalk w = peek_walk(cpu, lin);
        if (!w.mapped) {
            return false;
        }
        const mmu::PageLookup page = cpu.phys().lookup(w.phys);
        if (!page.host) {
            return false;
        }
        const usize chunk = std::min<usize>(n, 0x1000 - (lin & 0xFFF));
        std::memcpy(dst, page.host + (w.phys & 0xFFF), chunk);
        dst += chunk;
        lin += chunk; // peek_walk wraps it at 4 GiB outside long mode
        n -= chunk;
    }
    return true;
}

} // namespace cpu
