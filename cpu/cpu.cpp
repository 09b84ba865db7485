// SPDX-License-Identifier: MIT
// Cpu: reset state, memory-access slow paths, the TLB and stack helpers.
#include "cpu/cpu.h"

#include "base/check.h"
#include "base/log.h"

#include <algorithm>

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
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_flush_nonglobal() {
    for (auto& bank : m_tlb) {
        for (TlbEntry& e : bank) {
            if (!e.global) {
                e = TlbEntry{};
            }
        }
    }
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_flush_page(u64 lin) {
    // Large pages are cached per 4 KiB piece, so one slot per bank holds what maps `lin`.
    const u64 vpn = lin >> 12;
    for (auto& bank : m_tlb) {
        TlbEntry& e = bank[vpn & (kTlbSize - 1)];
        if (e.walked_vpn == vpn) {
            e = TlbEntry{};
        }
    }
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_revoke_write(u64 ppage) {
    ppage &= ~u64{0xFFF};
    for (auto& bank : m_tlb) {
        for (TlbEntry& e : bank) {
            if (e.ppage == ppage && e.walked_vpn != TlbEntry::kNoTag) {
                e.write_tag = TlbEntry::kNoTag;
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
    if (e.walked_vpn == vpn && (acc == mmu::Access::Read || (acc == mmu::Access::Write && e.can_write) ||
                                (acc == mmu::Access::Execute && e.can_exec))) {
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
    const mmu::PageLookup l = m_phys.lookup(pa);
    const u64 page = vpn << 12;
    e = TlbEntry{};
    e.walked_vpn = vpn;
    e.ppage = pa;
    e.host = l.host;
    e.global = global;
    e.can_write = writable;
    e.can_exec = executable;
    if (l.host) {
        e.addend = reinterpret_cast<uptr>(l.host) - page;
        e.read_tag = page;
        if (executable) {
            e.exec_tag = page;
        }
        // ROM takes the slow path for writes (which drops them); so does a page holding cached
        // code, so that the engine hears of every write to it (self-modifying code).
        if (writable && l.writable && m_phys.code_count(pa) == 0) {
            e.write_tag = page;
        }
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
    if (mmio_guard) [[unlikely]] {
        if (!m_phys.lookup(pa0).host || (first_end < size && !m_phys.lookup(pa1).host)) {
            mmio_touched = true;
            return Status::Stop;
        }
    }
    auto do_part = [&](u64 pa, u8* p, u64 n) {
        if (acc == mmu::Access::Write) {
            if (write_log) [[unlikely]] {
                WriteRecord r{pa, std::vector<u8>(n)};
                m_phys.read_bytes(pa, r.old_bytes.data(), n);
                write_log->push_back(std::move(r));
            }
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
    const TlbEntry& e = tlb_bank[user_index(Priv::Current)][(lin >> 12) & (kTlbSize - 1)];
    if (e.exec_tag == (lin & ~u64{0xFFF})) {
        return reinterpret_cast<const u8*>(e.addend + lin);
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
