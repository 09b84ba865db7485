// SPDX-License-Identifier: MIT
// Cpu: reset state, memory-access slow paths, the TLB policy (fills, flushes, address-space
// selection) and stack helpers.
#include "cpu/cpu.h"

#include "base/check.h"
#include "base/log.h"

#include <algorithm>

namespace cpu {

namespace {
/// `-d mmu` prints this many #PF lines, then says it stopped (long runs fault millions of times).
constexpr u64 kPfLogLines = 1000;
} // namespace

Cpu::Cpu(mmu::PhysMap& phys, CpuEnv& env)
    : m_phys(phys), m_env(env), m_spaces(phys, kTlbSize, kTlbSpaces) {
    reset();
}

Cpu::~Cpu() {
    if (base::log_enabled(base::kLogMmu)) {
        m_spaces.stats().print(base::log_file(), m_spaces.watched_pages());
    }
}

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

void Cpu::point_banks() {
    tlb_bank[0] = m_spaces.bank(0);
    tlb_bank[1] = m_spaces.bank(1);
    m_space_cr3 = s.cr3;
}

bool Cpu::select_space() {
    const bool changed = m_spaces.select(mmu::space_key(paging_context()));
    point_banks();
    return changed;
}

void Cpu::tlb_flush_all() {
    m_phys_generation = m_phys.generation();
    m_spaces.flush_all(mmu::space_key(paging_context()));
    point_banks();
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_flush_nonglobal() {
    ++m_spaces.stats().cr3_loads;
    if (recorder) [[unlikely]] {
        recorder->put_event(kTraceCr3, static_cast<u32>(s.cr3), icount, s.cpl);
    }
    select_space();
    // Even when the space stays: an engine that caches by linear address without checking the
    // TLB would not hear of page-table writes otherwise.
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_flush_page(u64 lin) {
    // Large pages are cached per 4 KiB piece, so one slot per bank and space holds what maps
    // `lin`.
    m_spaces.flush_page(lin >> 12);
    if (m_engine) {
        m_engine->tlb_flushed();
    }
}

void Cpu::tlb_revoke_write(u64 ppage) { m_spaces.revoke_write_for_code(ppage); }

void Cpu::on_paging_change(u64 old_cr0, u64 old_cr4, u64 old_efer) {
    // These bits change how every walk reads the tables (CR4.PGE also whether entries are
    // global): the SDM has such writes flush the whole TLB, global entries included (4.10.4.1).
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
    } else if (!space_in_sync() || !(m_spaces.key() == mmu::space_key(paging_context()))) {
        // The state was changed without a CR3 load or flush (see space_in_sync).
        if (select_space() && m_engine) {
            m_engine->tlb_flushed();
        }
    }
    const u64 vpn = lin >> 12;
    TlbEntry& e = tlb_bank[uidx][vpn & (kTlbSize - 1)];
    if (e.walked_vpn == vpn && (acc == mmu::Access::Read || (acc == mmu::Access::Write && e.can_write) ||
                                (acc == mmu::Access::Execute && e.can_exec))) {
        if (acc == mmu::Access::Write && e.write_tag == TlbEntry::kNoTag) {
            m_spaces.grant_write(uidx, vpn); // the page may have stopped holding code or tables
        }
        if (!m_watchpoints.empty()) [[unlikely]] {
            scrub_watched(e, vpn);
        }
        out = &e;
        return Status::Ok;
    }
    mmu::TlbFill f;
    f.writable = true;
    if (paging()) {
        const mmu::Translation t = mmu::translate(m_phys, paging_context(), lin, acc, uidx == 1);
        if (!t.ok) {
            s.cr2 = lin;
            ++m_spaces.stats().page_faults;
            if (base::log_enabled(base::kLogMmu)) {
                if (m_pf_logged < kPfLogLines) {
                    base::log_printf("mmu: #PF lin=0x%llx err=0x%x\n",
                                     static_cast<unsigned long long>(lin), t.error_code);
                } else if (m_pf_logged == kPfLogLines) {
                    base::log_printf("mmu: #PF lines cut after the first %llu (the exit summary "
                                     "counts them all)\n",
                                     static_cast<unsigned long long>(kPfLogLines));
                }
                ++m_pf_logged;
            }
            return raise(kVecPF, t.error_code);
        }
        f.ppage = t.phys & ~u64{0xFFF};
        f.writable = t.writable;
        f.executable = !t.nx;
        f.global = t.global;
        std::copy_n(t.entry_pa, t.levels, f.entry_pa);
        f.levels = t.levels;
    } else {
        f.ppage = lin & 0xFFFFF000u;
    }
    out = &m_spaces.install(uidx, vpn, f);
    if (!m_watchpoints.empty()) [[unlikely]] {
        scrub_watched(*out, vpn);
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
    if (!m_watchpoints.empty()) [[unlikely]] {
        check_watchpoints(lin, size, acc);
    }
    return Status::Ok;
}

const u8* Cpu::fetch_ptr(u64 lin) {
    const TlbEntry* e = fetch_entry(lin);
    return e ? reinterpret_cast<const u8*>(e->addend + lin) : nullptr;
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

// ---- bulk access ----

Status Cpu::host_ptr_for(u64 lin, mmu::Access acc, u8*& host) {
    if (!long_mode()) {
        lin &= 0xFFFFFFFFu;
    }
    const u64 page = lin & ~u64{0xFFF};
    const unsigned u = user_index(Priv::Current);
    const TlbEntry* e = &tlb_slot(u, lin);
    // The decision of the inline accesses (read_lin/write_lin): their tag test first, and on a
    // miss the fill their slow path makes.
    auto tag = [&] { return acc == mmu::Access::Write ? e->write_tag : e->read_tag; };
    if (tag() != page) {
        TlbEntry* filled = nullptr;
        TRY(fill_tlb(lin, acc, u, filled));
        e = filled;
    }
    host = tag() == page ? reinterpret_cast<u8*>(e->addend + lin) : nullptr;
    return Status::Ok;
}

// ---- debugging ----

void Cpu::set_breakpoints(std::vector<u64> lin_addrs) {
    std::sort(lin_addrs.begin(), lin_addrs.end());
    lin_addrs.erase(std::unique(lin_addrs.begin(), lin_addrs.end()), lin_addrs.end());
    m_breakpoints = std::move(lin_addrs);
    m_debug_armed = !m_breakpoints.empty() || !m_watchpoints.empty();
    ++debug_generation;
}

bool Cpu::is_breakpoint(u64 lin) const {
    return std::binary_search(m_breakpoints.begin(), m_breakpoints.end(), lin);
}

void Cpu::set_watchpoints(std::vector<Watchpoint> w) {
    m_watchpoints = std::move(w);
    m_debug_armed = !m_breakpoints.empty() || !m_watchpoints.empty();
    ++debug_generation;
    // Fast tags were granted without looking at watchpoints: drop them all; fills from now on
    // leave watched pages to the slow path, where accesses are checked.
    tlb_flush_all();
}

void Cpu::scrub_watched(TlbEntry& e, u64 vpn) const {
    for (const Watchpoint& w : m_watchpoints) {
        const u64 first = w.lin >> 12;
        const u64 last = (w.lin + (w.len ? w.len : 1) - 1) >> 12;
        if (vpn < first || vpn > last) {
            continue;
        }
        e.write_tag = TlbEntry::kNoTag;
        if (w.kind != Watchpoint::Write) {
            e.read_tag = TlbEntry::kNoTag;
        }
    }
}

void Cpu::check_watchpoints(u64 lin, unsigned size, mmu::Access acc) {
    if (acc == mmu::Access::Execute || debug_hit.kind != DebugHit::None) {
        return;
    }
    const bool write = acc == mmu::Access::Write;
    for (const Watchpoint& w : m_watchpoints) {
        const bool kind_ok = w.kind == Watchpoint::Access || (w.kind == Watchpoint::Write) == write;
        if (kind_ok && lin < w.lin + (w.len ? w.len : 1) && w.lin < lin + size) {
            debug_hit = DebugHit{DebugHit::Watch, std::max(lin, w.lin), w};
            return;
        }
    }
}

} // namespace cpu
