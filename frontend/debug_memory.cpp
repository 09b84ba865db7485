// SPDX-License-Identifier: MIT
#include "frontend/debug_memory.h"

#include "cpu/cpu.h"
#include "cpu/guest_peek.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

namespace frontend {
namespace {

// Translation of one address is cpu::peek_walk's (cpu/guest_peek.h), the same side-effect-free
// walk the fault explanations use; what is left here is the enumeration of every mapping for
// `info tlb`, which decodes entries with the same bit definitions (cpu::pte).
constexpr u64 kPageSize = 4096;
using cpu::pte::kG;
using cpu::pte::kNX;
using cpu::pte::kP;
using cpu::pte::kPS;
using cpu::pte::kRW;
using cpu::pte::kUS;

/// One level of a paging structure: which linear bits index it and whether its entries may
/// map a large page.
struct Level {
    unsigned shift;
    unsigned bits;
    bool large_ok;
};

/// The paging mode's shape (SDM Vol. 3A, 4.3-4.5).
struct Shape {
    Level levels[4];
    unsigned count = 0;
    unsigned entry_bytes = 4;
    u64 root = 0;
    u64 addr = 0; ///< address field of an 8-byte entry
    bool nx_enabled = false;
    bool pae_pdpt = false; ///< PAE's 4-entry PDPT: its entries carry no R/W or U/S bits
};

Shape shape_of(const cpu::CpuState& s) {
    Shape sh;
    const bool pse = (s.cr4 & cpu::kCr4PSE) != 0;
    if (s.efer & cpu::kEferLMA) {
        sh.levels[0] = {39, 9, false};
        sh.levels[1] = {30, 9, true};
        sh.levels[2] = {21, 9, true};
        sh.levels[3] = {12, 9, false};
        sh.count = 4;
        sh.entry_bytes = 8;
        sh.root = s.cr3 & cpu::pte::kAddrLong;
        sh.addr = cpu::pte::kAddrLong;
    } else if (s.cr4 & cpu::kCr4PAE) {
        sh.levels[0] = {30, 2, false};
        sh.levels[1] = {21, 9, true};
        sh.levels[2] = {12, 9, false};
        sh.count = 3;
        sh.entry_bytes = 8;
        sh.root = s.cr3 & 0xFFFFFFE0u;
        sh.addr = cpu::pte::kAddrPae;
        sh.pae_pdpt = true;
    } else {
        sh.levels[0] = {22, 10, pse};
        sh.levels[1] = {12, 10, false};
        sh.count = 2;
        sh.entry_bytes = 4;
        sh.root = s.cr3 & 0xFFFFF000u;
    }
    sh.nx_enabled = sh.entry_bytes == 8 && (s.efer & cpu::kEferNXE) != 0;
    return sh;
}

/// Reads a paging-structure entry from RAM without side effects; nothing if the table is not
/// in RAM/ROM.
std::optional<u64> read_entry(const mmu::PhysMap& phys, u64 pa, unsigned bytes) {
    u8 raw[8] = {};
    if (!debug_read_phys(phys, pa, raw, bytes)) {
        return std::nullopt;
    }
    u64 v = 0;
    std::memcpy(&v, raw, bytes);
    return v;
}

/// The physical base an entry points to: the next table, or the page of a leaf of `size` bytes.
/// (Decoded as cpu::peek_walk decodes it, so `info tlb` and `x` agree on where a page is.)
u64 entry_base(u64 e, const Shape& sh, u64 size, bool large) {
    if (sh.entry_bytes == 4) {
        return large ? cpu::pte::pse36_base(e) : e & 0xFFFFF000u;
    }
    return e & sh.addr & ~(size - 1);
}

u64 canonical(u64 lin, const Shape& sh) {
    if (sh.count == 4) {
        return (lin & (u64{1} << 47)) ? (lin | 0xFFFF000000000000ull) : lin;
    }
    return lin;
}

void walk_table(const mmu::PhysMap& phys, const Shape& sh, unsigned depth, u64 table, u64 lin_base,
                PageMapping acc, const std::function<void(const PageMapping&)>& visit) {
    if (depth >= sh.count || depth >= std::size(sh.levels)) {
        return;
    }
    const Level& lv = sh.levels[depth];
    const u64 entries = u64{1} << lv.bits;
    for (u64 i = 0; i < entries; ++i) {
        const auto e = read_entry(phys, table + i * sh.entry_bytes, sh.entry_bytes);
        if (!e || !(*e & kP)) {
            continue;
        }
        const u64 lin = lin_base | (i << lv.shift);
        PageMapping m = acc;
        if (!(sh.pae_pdpt && depth == 0)) {
            m.writable = m.writable && (*e & kRW);
            m.user = m.user && (*e & kUS);
        }
        m.nx = m.nx || (sh.nx_enabled && (*e & kNX));
        const bool last = depth + 1 == sh.count;
        const bool large = !last && lv.large_ok && (*e & kPS);
        const u64 size = u64{1} << lv.shift;
        if (last || large) {
            m.lin = canonical(lin, sh);
            m.size = size;
            m.phys = entry_base(*e, sh, size, large);
            m.global = (*e & kG) != 0;
            visit(m);
        } else {
            walk_table(phys, sh, depth + 1, entry_base(*e, sh, kPageSize, false), lin, m,
                       visit);
        }
    }
}

} // namespace

std::optional<u64> debug_translate(cpu::Cpu& cpu, u64 lin) {
    const cpu::PeekWalk w = cpu::peek_walk(cpu, lin);
    if (!w.mapped) {
        return std::nullopt;
    }
    return w.phys;
}

bool debug_read_phys(const mmu::PhysMap& phys, u64 pa, u8* out, usize n) {
    while (n > 0) {
        const usize chunk = std::min<usize>(n, kPageSize - (pa & (kPageSize - 1)));
        const mmu::PageLookup l = phys.lookup(pa);
        if (!l.host) {
            return false;
        }
        std::memcpy(out, l.host + (pa & (kPageSize - 1)), chunk);
        pa += chunk;
        out += chunk;
        n -= chunk;
    }
    return true;
}

bool debug_read_linear(cpu::Cpu& cpu, u64 lin, u8* out, usize n) {
    return cpu::peek_linear(cpu, lin, out, n);
}

bool debug_write_phys(cpu::Cpu& cpu, u64 pa, const u8* data, usize n) {
    mmu::PhysMap& phys = cpu.phys();
    for (u64 p = pa & ~(kPageSize - 1); p < pa + n; p += kPageSize) {
        if (!phys.ram_ptr(p)) {
            return false; // ROM, MMIO or nothing: refuse rather than drop the bytes
        }
    }
    // Through PhysMap so that watched page-table pages tell the TLB; then translated code made
    // from these bytes is dropped, as a guest store would drop it.
    phys.write_bytes(pa, data, n);
    if (cpu.engine()) {
        cpu.engine()->invalidate_code(pa & phys.a20_mask(), n);
    }
    return true;
}

bool debug_write_linear(cpu::Cpu& cpu, u64 lin, const u8* data, usize n) {
    // Translate every page first, so a failure writes nothing.
    struct Piece {
        u64 pa;
        usize len;
    };
    std::vector<Piece> pieces;
    for (u64 l = lin, left = n; left > 0;) {
        const usize chunk = std::min<usize>(left, kPageSize - (l & (kPageSize - 1)));
        const auto pa = debug_translate(cpu, l);
        if (!pa || !cpu.phys().ram_ptr(*pa)) {
            return false;
        }
        pieces.push_back({*pa, chunk});
        l += chunk;
        left -= chunk;
    }
    for (const Piece& p : pieces) {
        debug_write_phys(cpu, p.pa, data, p.len);
        data += p.len;
    }
    return true;
}

void debug_walk_mappings(cpu::Cpu& cpu, const std::function<void(const PageMapping&)>& visit) {
    const cpu::CpuState& s = cpu.s;
    if (!(s.cr0 & cpu::kCr0PG)) {
        return;
    }
    const Shape sh = shape_of(s);
    PageMapping top;
    top.writable = true;
    top.user = true;
    walk_table(cpu.phys(), sh, 0, sh.root, 0, top, visit);
}

} // namespace frontend
