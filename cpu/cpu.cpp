// SPDX-License-Identifier: MIT
// Cpu: reset state, memory-access slow paths, the TLB and stack helpers.
#include "cpu/cpu.h"

#include "base/check.h"
#include "base/log.h"

namespace cpu {

Cpu::Cpu(mmu::PhysMap& phys, CpuEnv& env) : m_phys(phys), m_env(env) { reset(); }

void Cpu::reset() {
    s = CpuState{};
    s.rip = 0xFFF0;
    s.eflags = kFixed1;
    for (Segment& sg : s.seg) {
        sg = Segment{0, 0x93, 0xFFFF, 0};
    }
    s.seg[kCs] = Segment{0xF000, 0x9B, 0xFFFF, 0xFFFF0000};
    s.ldtr = Segment{0, 0x82, 0xFFFF, 0};
    s.tr = Segment{0, 0x8B, 0xFFFF, 0};
    s.gpr[kRdx] = 0x6D6; // family 6, model 13, stepping 6 (see cpu/cpuid.cpp)
    s.fpu.fcw = 0x0040;
    s.fpu.ftw = 0x5555;
    next_rip = s.rip;
    fault = Fault{};
    intr_line = false;
    nmi_line = false;
    tlb_flush_all();
}

RunExit Cpu::run(u64 budget) {
    TX86_CHECK(m_engine != nullptr, "no execution engine");
    return m_engine->run(*this, budget);
}

Status Cpu::probe_write(u8 seg, u64 off, unsigned size) {
    u64 lin;
    TRY(seg_linear(seg, off, size, true, lin));
    u64 pa;
    TRY(translate(lin, mmu::Access::Write, Priv::Current, pa));
    if (((lin + size - 1) >> 12) != (lin >> 12)) {
        TRY(translate(lin + size - 1, mmu::Access::Write, Priv::Current, pa));
    }
    return Status::Ok;
}

void Cpu::tlb_flush_all() {
    for (auto& bank : m_tlb) {
        for (TlbEntry& e : bank) {
            e = TlbEntry{};
        }
    }
    m_phys_generation = m_phys.generation();
}

void Cpu::tlb_flush_nonglobal() {
    for (auto& bank : m_tlb) {
        for (TlbEntry& e : bank) {
            if (!e.global) {
                e = TlbEntry{};
            }
        }
    }
}

void Cpu::tlb_flush_page(u64 lin) {
    // Large pages may be cached under many slots; a walk of every slot for this page number
    // would miss them, so large-page entries are flushed by page number of each 4 KiB piece
    // the TLB holds: cheap because the TLB is small.
    const u64 vpn = lin >> 12;
    for (auto& bank : m_tlb) {
        TlbEntry& e = bank[vpn & (kTlbSize - 1)];
        if (e.tag_read == vpn || e.tag_write == vpn || e.tag_exec == vpn) {
            e = TlbEntry{};
        }
    }
}

void Cpu::tlb_revoke_write(u64 ppage) {
    ppage &= ~u64{0xFFF};
    for (auto& bank : m_tlb) {
        for (TlbEntry& e : bank) {
            if (e.ppage == ppage) {
                e.tag_write = ~u64{0};
            }
        }
    }
}

void Cpu::on_paging_change(u64 old_cr0, u64 old_cr4, u64 old_efer) {
    const u64 cr0_bits = kCr0PG | kCr0WP | kCr0PE;
    const u64 cr4_bits = kCr4PSE | kCr4PAE | kCr4PGE;
    if (((old_cr0 ^ s.cr0) & cr0_bits) || ((old_cr4 ^ s.cr4) & cr4_bits) ||
        ((old_efer ^ s.efer) & kEferNXE)) {
        tlb_flush_all();
    }
}

Status Cpu::fill_tlb(u64 lin, mmu::Access acc, unsigned uidx, TlbEntry*& out) {
    if (m_phys_generation != m_phys.generation()) {
        tlb_flush_all();
    }
    const u64 vpn = lin >> 12;
    TlbEntry& e = m_tlb[uidx][vpn & (kTlbSize - 1)];
    out = &e;
    const u64 tag = acc == mmu::Access::Read    ? e.tag_read
                    : acc == mmu::Access::Write ? e.tag_write
                                                : e.tag_exec;
    if (tag == vpn) {
        return Status::Ok;
    }
    u64 pa;
    bool writable = true;
    bool executable = true;
    bool global = false;
    if (paging()) {
        const mmu::Translation t = mmu::translate(m_phys, paging_context(), lin, acc, uidx == 1);
        if (!t.ok) {
            s.cr2 = lin;
            if (base::log_enabled(base::kLogMmu)) {
                base::log_printf("mmu: #PF lin=0x%llx err=0x%x\n",
                                 static_cast<unsigned long long>(lin), t.error_code);
            }
            return raise(kVecPF, t.error_code);
        }
        pa = t.phys & ~u64{0xFFF};
        writable = t.writable;
        executable = !t.nx;
        global = t.global;
    } else {
        pa = lin & 0xFFFFF000u;
    }
    const bool same_page = e.ppage == pa && (e.tag_read == vpn || e.tag_write == vpn ||
                                             e.tag_exec == vpn);
    if (!same_page) {
        e = TlbEntry{};
    }
    const mmu::PageLookup l = m_phys.lookup(pa);
    e.ppage = pa;
    e.host = l.host;
    e.global = global;
    e.tag_read = vpn;
    if (writable && (l.host == nullptr || l.writable)) {
        e.tag_write = vpn;
    }
    if (executable) {
        e.tag_exec = vpn;
    }
    if (l.host && !l.writable) {
        // ROM: reads hit the host page, writes must reach the slow path (and are dropped).
        if (e.tag_write == vpn) {
            e.tag_write = ~u64{0};
        }
    }
    if (m_phys.code_count(pa) != 0) {
        // The page holds cached decoded code: every write must reach access_slow, which tells
        // the engine what changed (self-modifying code).
        e.tag_write = ~u64{0};
    }
    if (acc == mmu::Access::Write && e.tag_write != vpn) {
        // Writable in the page tables but backed by ROM: the write is ignored, not a fault.
        e.tag_write = ~u64{0};
    }
    return Status::Ok;
}

Status Cpu::translate(u64 lin, mmu::Access acc, Priv priv, u64& phys) {
    if (!long_mode()) {
        lin &= 0xFFFFFFFFu;
    }
    TlbEntry* e = nullptr;
    TRY(fill_tlb(lin, acc, user_index(priv), e));
    phys = e->ppage | (lin & 0xFFF);
    return Status::Ok;
}

Status Cpu::access_slow(u64 lin, void* buf, unsigned size, mmu::Access acc, Priv priv) {
    u8* b = static_cast<u8*>(buf);
    if (!long_mode()) {
        lin &= 0xFFFFFFFFu;
    }
    // Translate every page first so that a fault leaves memory untouched.
    const u64 first_end = std::min<u64>(size, 0x1000 - (lin & 0xFFF));
    u64 pa0 = 0, pa1 = 0;
    TRY(translate(lin, acc, priv, pa0));
    if (first_end < size) {
        u64 lin1 = lin + first_end;
        if (!long_mode()) {
            lin1 &= 0xFFFFFFFFu;
        }
        TRY(translate(lin1, acc, priv, pa1));
    }
    auto do_part = [&](u64 pa, u8* p, u64 n) {
        if (acc == mmu::Access::Write) {
            if (n == 1 || n == 2 || n == 4 || n == 8) {
                u64 v = 0;
                std::memcpy(&v, p, n); // only here: n may exceed 8 (16-byte SSE, FXSAVE)
                m_phys.write(pa, static_cast<unsigned>(n), v);
            } else {
                m_phys.write_bytes(pa, p, n);
            }
            if (m_engine) {
                m_engine->invalidate_code(pa, n);
            }
        } else if (n == 1 || n == 2 || n == 4 || n == 8) {
            const u64 v = m_phys.read(pa, static_cast<unsigned>(n));
            std::memcpy(p, &v, n);
        } else {
            m_phys.read_bytes(pa, p, n);
        }
    };
    do_part(pa0, b, first_end);
    if (first_end < size) {
        do_part(pa1, b + first_end, size - first_end);
    }
    return Status::Ok;
}

const u8* Cpu::fetch_ptr(u64 lin) {
    const TlbEntry& e = m_tlb[user_index(Priv::Current)][(lin >> 12) & (kTlbSize - 1)];
    if (e.tag_exec == (lin >> 12) && e.host) {
        return e.host + (lin & 0xFFF);
    }
    return nullptr;
}

Status Cpu::fetch_bytes(u64 lin, u8* buf, unsigned max, unsigned& got) {
    got = 0;
    while (got < max) {
        const u64 a = long_mode() ? lin + got : (lin + got) & 0xFFFFFFFFu;
        u64 pa;
        const Status st = translate(a, mmu::Access::Execute, Priv::Current, pa);
        if (st != Status::Ok) {
            return got == 0 ? st : Status::Ok;
        }
        const u64 n = std::min<u64>(max - got, 0x1000 - (a & 0xFFF));
        m_phys.read_bytes(pa, buf + got, n);
        got += static_cast<unsigned>(n);
    }
    return Status::Ok;
}

} // namespace cpu
