// SPDX-License-Identifier: MIT
// LockstepEngine: interpreter-vs-translator comparison, block by block (lockstep.h).
#include "translator/lockstep.h"

#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "cpu/state_dump.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace translator {

namespace {

/// Instructions whose reference run would talk to a device through a port.
bool has_port_io(const Block& b) {
    for (u32 i = 0; i < b.ninsns; ++i) {
        if (b.insns[i].info().attrs & cpu::kIoPriv) {
            return true;
        }
        switch (b.insns[i].id) {
        case cpu::InsnId::INSB: case cpu::InsnId::INS: case cpu::InsnId::OUTSB: case cpu::InsnId::OUTS:
            return true;
        default:
            break;
        }
    }
    return false;
}

void append(std::string& out, const char* name, u64 a, u64 b) {
    if (a != b) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "  %-8s reference %#llx, translated %#llx\n", name,
                      static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
        out += buf;
    }
}

} // namespace

LockstepEngine::~LockstepEngine() {
    std::fprintf(stderr,
                 "lockstep: %llu blocks (%llu instructions) compared, %llu run unchecked "
                 "(device access), no divergence\n",
                 static_cast<unsigned long long>(m_blocks_compared),
                 static_cast<unsigned long long>(m_insns_compared),
                 static_cast<unsigned long long>(m_blocks_skipped));
}

std::string LockstepEngine::diff(const cpu::CpuState& a, u64 ia, const cpu::CpuState& b, u64 ib) {
    static const char* const kGpr[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
    static const char* const kSeg[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    std::string out;
    for (unsigned i = 0; i < 8; ++i) {
        append(out, kGpr[i], a.gpr[i], b.gpr[i]);
    }
    append(out, "EIP", a.rip, b.rip);
    append(out, "EFLAGS", a.eflags, b.eflags);
    append(out, "icount", ia, ib);
    for (unsigned i = 0; i < 6; ++i) {
        const cpu::Segment& x = a.seg[i];
        const cpu::Segment& y = b.seg[i];
        if (x.selector != y.selector || x.base != y.base || x.limit != y.limit || x.attr != y.attr) {
            append(out, kSeg[i], (u64{x.selector} << 48) | x.base, (u64{y.selector} << 48) | y.base);
            append(out, kSeg[i], (u64{x.attr} << 32) | x.limit, (u64{y.attr} << 32) | y.limit);
        }
    }
    append(out, "CR0", a.cr0, b.cr0);
    append(out, "CR2", a.cr2, b.cr2);
    append(out, "CR3", a.cr3, b.cr3);
    append(out, "CR4", a.cr4, b.cr4);
    append(out, "CPL", a.cpl, b.cpl);
    append(out, "halted", a.halted, b.halted);
    append(out, "inhibit", a.inhibit_irq, b.inhibit_irq);
    return out;
}

LockstepEngine::RefResult LockstepEngine::reference(cpu::Cpu& cpu, u64 n) {
    RefResult r;
    const cpu::CpuState s0 = cpu.s;
    const u64 ic0 = cpu.icount;
    std::vector<cpu::WriteRecord> log;
    cpu.write_log = &log;
    cpu.mmio_guard = true;
    cpu.mmio_touched = false;
    bool stopped = false;
    while (cpu.icount < ic0 + n && !cpu.s.halted) {
        cpu.s.inhibit_irq = false;
        if (cpu::interp::step(cpu) == cpu::Status::Stop) {
            stopped = true;
            break;
        }
    }
    cpu::flush_flags(cpu.s);
    cpu.write_log = nullptr;
    cpu.mmio_guard = false;
    r.state = cpu.s;
    r.icount = cpu.icount;
    r.compared = !stopped && !cpu.mmio_touched;
    mmu::PhysMap& phys = cpu.phys();
    for (const cpu::WriteRecord& w : log) {
        std::vector<u8> now(w.old_bytes.size());
        phys.read_bytes(w.pa, now.data(), now.size());
        r.written.emplace_back(w.pa, std::move(now));
    }
    for (auto it = log.rbegin(); it != log.rend(); ++it) {
        phys.write_bytes(it->pa, it->old_bytes.data(), it->old_bytes.size());
        invalidate_code(it->pa, it->old_bytes.size());
    }
    cpu.s = s0;
    cpu.icount = ic0;
    return r;
}

namespace {

std::string memory_diff(cpu::Cpu& cpu, const std::vector<std::pair<u64, std::vector<u8>>>& written) {
    std::string out;
    for (const auto& [pa, bytes] : written) {
        std::vector<u8> now(bytes.size());
        cpu.phys().read_bytes(pa, now.data(), now.size());
        if (now != bytes) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "  memory at physical %#llx (%zu bytes) differs\n",
                          static_cast<unsigned long long>(pa), bytes.size());
            out += buf;
        }
    }
    return out;
}

} // namespace

void LockstepEngine::report(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, Block* b,
                            const std::vector<std::pair<u64, std::vector<u8>>>& pages) {
    const u32 total = b->ninsns;
    const BlockKey key = b->key; // b may be flushed below
    std::vector<cpu::DecodedInsn> insns(b->insns.get(), b->insns.get() + total);
    for (u32 n = 1; n <= total; ++n) {
        for (const auto& [page, bytes] : pages) {
            cpu.phys().write_bytes(page, bytes.data(), bytes.size());
            invalidate_code(page, bytes.size());
        }
        cpu.s = s0;
        cpu.icount = ic0;
        RefResult r = reference(cpu, n);
        m_jit.set_max_block_insns(n);
        m_jit.run(cpu, n);
        cpu::flush_flags(cpu.s);
        const std::string d = diff(r.state, r.icount, cpu.s, cpu.icount) + memory_diff(cpu, r.written);
        if (d.empty()) {
            continue;
        }
        const cpu::DecodedInsn& in = insns[n - 1];
        std::fprintf(stderr, "lockstep: divergence at instruction %u of the block at %#llx (phys %#llx):\n  %s  bytes",
                     n - 1, static_cast<unsigned long long>(key.lin_pc),
                     static_cast<unsigned long long>(key.phys_pc), in.info().id_name);
        for (unsigned i = 0; i < in.length; ++i) {
            std::fprintf(stderr, " %02x", in.bytes[i]);
        }
        std::fprintf(stderr, "\n%s", d.c_str());
        const cpu::CpuState jit_state = cpu.s;
        std::fprintf(stderr, "--- state before the block\n");
        cpu.s = s0;
        cpu::dump_state_qemu_style(cpu, stderr);
        std::fprintf(stderr, "--- reference (interpreter) after %u instructions\n", n);
        cpu.s = r.state;
        cpu::dump_state_qemu_style(cpu, stderr);
        std::fprintf(stderr, "--- translated after %u instructions\n", n);
        cpu.s = jit_state;
        cpu::dump_state_qemu_style(cpu, stderr);
        std::fflush(stderr);
        std::_Exit(kDivergenceStatus);
    }
    std::fprintf(stderr, "lockstep: the block at %#llx diverged but no prefix of it does\n",
                 static_cast<unsigned long long>(key.lin_pc));
    std::_Exit(kDivergenceStatus);
}

cpu::RunExit LockstepEngine::run(cpu::Cpu& cpu, u64 budget) {
    const u64 end = cpu.icount + budget;
    while (cpu.icount < end) {
        if (cpu.stop_requested.load(std::memory_order_relaxed)) {
            return m_jit.run(cpu, 0);
        }
        if (cpu.intr_line || cpu.nmi_line) {
            cpu::Status st;
            if (cpu::interp::service_interrupts(cpu, st)) {
                if (st == cpu::Status::Stop) {
                    return cpu::RunExit::Shutdown;
                }
                continue;
            }
        }
        if (cpu.s.halted) {
            return cpu::RunExit::Halted;
        }
        cpu::flush_flags(cpu.s);
        Block* b = m_jit.block_at(cpu);
        if (!b || b->ninsns > end - cpu.icount || has_port_io(*b)) {
            const cpu::RunExit ex = m_jit.run(cpu, b && b->ninsns <= end - cpu.icount ? b->ninsns : 1);
            if (b) {
                ++m_blocks_skipped;
            }
            if (ex != cpu::RunExit::Budget) {
                return ex;
            }
            continue;
        }
        const u32 n = b->ninsns;
        const cpu::CpuState s0 = cpu.s;
        const u64 ic0 = cpu.icount;
        RefResult r = reference(cpu, n);
        if (!r.compared) {
            ++m_blocks_skipped;
            const cpu::RunExit ex = m_jit.run(cpu, n);
            if (ex != cpu::RunExit::Budget) {
                return ex;
            }
            continue;
        }
        // Pre-block contents of the pages the reference wrote, to narrow down a divergence.
        std::map<u64, std::vector<u8>> pages;
        for (const auto& [pa, bytes] : r.written) {
            for (u64 p = pa & ~u64{0xFFF}; p < pa + bytes.size(); p += 0x1000) {
                if (!pages.count(p)) {
                    std::vector<u8> v(0x1000);
                    cpu.phys().read_bytes(p, v.data(), v.size());
                    pages.emplace(p, std::move(v));
                }
            }
        }
        const cpu::RunExit ex = m_jit.run(cpu, n);
        cpu::flush_flags(cpu.s);
        const std::string d = diff(r.state, r.icount, cpu.s, cpu.icount) + memory_diff(cpu, r.written);
        if (!d.empty()) {
            report(cpu, s0, ic0, b, {pages.begin(), pages.end()});
        }
        ++m_blocks_compared;
        m_insns_compared += n;
        if (ex != cpu::RunExit::Budget) {
            return ex;
        }
    }
    return cpu::RunExit::Budget;
}

} // namespace translator
