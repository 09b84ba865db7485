// SPDX-License-Identifier: MIT
// LockstepEngine: interpreter-vs-translator comparison, block by block (lockstep.h).
#include "translator/lockstep.h"

#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "cpu/state_dump.h"

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>

namespace translator {

namespace {

/// Instructions whose reference run would talk to a device through a port, or read the clock
/// (with the host clock, two runs see two different times).
bool has_port_io(const Block& b) {
    for (u32 i = 0; i < b.ninsns; ++i) {
        if (b.insns[i].info().attrs & cpu::kIoPriv) {
            return true;
        }
        switch (b.insns[i].id) {
        case cpu::InsnId::INSB: case cpu::InsnId::INS: case cpu::InsnId::OUTSB: case cpu::InsnId::OUTS:
        case cpu::InsnId::RDTSC: case cpu::InsnId::RDPMC: case cpu::InsnId::RDMSR:
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
                 "lockstep: %llu stretches and %llu single blocks (%llu instructions) compared, "
                 "%llu instructions run unchecked (device access), no divergence\n",
                 static_cast<unsigned long long>(m_units_compared),
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
    // The reference run is undone and run again translated: only the translated run is
    // recorded (traces and flight dumps show each instruction once).
    cpu::TraceRecorder* const recorder = cpu.recorder;
    cpu.recorder = nullptr;
    if (m_interp.run_retired(cpu, n) == cpu::Status::Stop) {
        stopped = true;
    }
    cpu.recorder = recorder;
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
    undo_writes(cpu, log);
    r.undo = std::move(log);
    cpu.s = s0;
    cpu.icount = ic0;
    return r;
}

namespace {

/// Whether `ref` (after the reference run) and `now` (after the translated run) differ only in
/// accessed/dirty bits the reference set in paging-structure entries. Page walks set those bits
/// (and the walker's writes are not undone), and the engines walk at different times: after a
/// write drops the TLB entry of the page being run (Linux rewrites the PDE of its own code's
/// region at boot), the interpreter walks again at its next fetch, translated code only when it
/// leaves the block or touches that region's memory. Both are what a CPU may do.
bool only_walk_bits(const mmu::PhysMap& phys, u64 pa, const std::vector<u8>& ref, const std::vector<u8>& now) {
    if (phys.watch_count(pa) == 0) {
        return false; // not a page the TLB translated from
    }
    for (usize i = 0; i < ref.size(); ++i) {
        const u8 d = ref[i] ^ now[i];
        // A (bit 5) and D (bit 6) sit in an entry's low byte, for 4- and 8-byte entries alike.
        if (d != 0 && (((pa + i) & 3) != 0 || (d & ~u8{0x60}) != 0 || (now[i] & d) != 0)) {
            return false;
        }
    }
    return true;
}

std::string memory_diff(cpu::Cpu& cpu, const std::vector<std::pair<u64, std::vector<u8>>>& written) {
    std::string out;
    for (const auto& [pa, bytes] : written) {
        std::vector<u8> now(bytes.size());
        cpu.phys().read_bytes(pa, now.data(), now.size());
        if (now != bytes && !only_walk_bits(cpu.phys(), pa, bytes, now)) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "  memory at physical %#llx (%zu bytes) differs:",
                          static_cast<unsigned long long>(pa), bytes.size());
            out += buf;
            // The bytes themselves (the first 16): an accessed or dirty bit that one engine's
            // page walk set in a paging-structure entry and the other's did not shows as such.
            const std::vector<u8>* sides[] = {&bytes, &now};
            for (const std::vector<u8>* side : sides) {
                out += side == &bytes ? " reference" : "; translated";
                for (usize i = 0; i < side->size() && i < 16; ++i) {
                    std::snprintf(buf, sizeof buf, " %02x", (*side)[i]);
                    out += buf;
                }
            }
            out += "\n";
        }
    }
    return out;
}

} // namespace

void LockstepEngine::undo_writes(cpu::Cpu& cpu, const std::vector<cpu::WriteRecord>& log) {
    for (auto it = log.rbegin(); it != log.rend(); ++it) {
        cpu.phys().write_bytes(it->pa, it->old_bytes.data(), it->old_bytes.size());
        invalidate_code(it->pa, it->old_bytes.size());
    }
}

void LockstepEngine::report(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, Block* b,
                            const std::vector<cpu::WriteRecord>& undo, const std::string& first_diff) {
    const u32 total = b->ninsns;
    const BlockKey key = b->key; // b may be flushed below
    std::vector<cpu::DecodedInsn> insns(b->insns.get(), b->insns.get() + total);
    for (u32 n = 1; n <= total; ++n) {
        // Memory as before the block, where the reference wrote (a translated write elsewhere
        // would not be undone: such a bug shows as a memory difference at the first prefix).
        undo_writes(cpu, undo);
        cpu.s = s0;
        cpu.icount = ic0;
        RefResult r = reference(cpu, n);
        m_jit.set_max_block_insns(n);
        // This prefix's own undo log: the full block's covers at least what it wrote.
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
    std::fprintf(stderr, "lockstep: the block at %#llx diverged but no prefix of it does:\n%s  instructions:",
                 static_cast<unsigned long long>(key.lin_pc), first_diff.c_str());
    for (const cpu::DecodedInsn& in : insns) {
        std::fprintf(stderr, " %s", in.info().id_name);
    }
    std::fprintf(stderr, "\n--- state before the block\n");
    cpu.s = s0;
    cpu::dump_state_qemu_style(cpu, stderr);
    std::_Exit(kDivergenceStatus);
}

cpu::RunExit LockstepEngine::compare_block(cpu::Cpu& cpu, u64 room) {
    if (cpu.s.inhibit_irq) {
        // The instruction after STI / MOV SS: the translator's dispatcher steps it in the
        // interpreter and may then take a waiting interrupt, where a reference run of several
        // instructions would not. Run it alone, unchecked.
        ++m_blocks_skipped;
        return m_jit.run(cpu, 1);
    }
    Block* b = m_jit.block_at(cpu);
    if (!b || b->ninsns > room || has_port_io(*b)) {
        if (b) {
            ++m_blocks_skipped;
        }
        return m_jit.run(cpu, b && b->ninsns <= room ? b->ninsns : 1);
    }
    const u32 n = b->ninsns;
    const cpu::CpuState s0 = cpu.s;
    const u64 ic0 = cpu.icount;
    RefResult r = reference(cpu, n);
    if (!r.compared) {
        ++m_blocks_skipped;
        return m_jit.run(cpu, n);
    }
    const cpu::RunExit ex = m_jit.run(cpu, n);
    cpu::flush_flags(cpu.s);
    if (ex == cpu::RunExit::Stopped) {
        return ex;
    }
    const std::string d = diff(r.state, r.icount, cpu.s, cpu.icount) + memory_diff(cpu, r.written);
    if (!d.empty()) {
        report(cpu, s0, ic0, b, r.undo, d);
    }
    ++m_blocks_compared;
    m_insns_compared += n;
    return ex;
}

cpu::RunExit LockstepEngine::compare_unit(cpu::Cpu& cpu, u64 n) {
    const cpu::CpuState s0 = cpu.s;
    const u64 ic0 = cpu.icount;
    RefResult r = reference(cpu, n);
    // A device access (or the clock) ends the comparable stretch: compare what came before
    // it, then let the translator run that instruction alone, once.
    u64 clean = n;
    if (!r.compared) {
        clean = r.icount - ic0;
        if (clean > 0) {
            r = reference(cpu, clean);
        }
    }
    if (clean > 0 && r.compared) {
        const cpu::RunExit ex = m_jit.run(cpu, clean);
        cpu::flush_flags(cpu.s);
        if (ex == cpu::RunExit::Stopped) {
            return ex; // a stop request (signal, monitor) cut the run short: nothing to compare
        }
        const std::string d = diff(r.state, r.icount, cpu.s, cpu.icount) + memory_diff(cpu, r.written);
        if (!d.empty()) {
            locate(cpu, s0, ic0, clean, r, d);
        }
        ++m_units_compared;
        m_insns_compared += cpu.icount - ic0;
        if (ex != cpu::RunExit::Budget || cpu.icount - ic0 < clean) {
            return ex;
        }
    }
    if (cpu.icount - ic0 < n) {
        ++m_blocks_skipped;
        return m_jit.run(cpu, 1);
    }
    return cpu::RunExit::Budget;
}

void LockstepEngine::locate(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, u64 n, const RefResult& r,
                            const std::string& d) {
    // Go back to the start of the stretch and compare block by block: report() narrows the
    // first differing block down to one instruction.
    const RefResult whole = r;
    std::fprintf(stderr, "lockstep: a stretch of %llu instructions from EIP %#llx differs (intr %d nmi %d):\n%s",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(s0.rip), cpu.intr_line,
                 cpu.nmi_line, d.c_str());
    undo_writes(cpu, r.undo);
    cpu.s = s0;
    cpu.icount = ic0;
    while (cpu.icount < ic0 + n && !cpu.s.halted) {
        cpu::flush_flags(cpu.s);
        if (compare_block(cpu, ic0 + n - cpu.icount) == cpu::RunExit::Shutdown) {
            break;
        }
    }
    std::fprintf(stderr,
                 "lockstep: %llu instructions from EIP %#llx differ, but no single block does "
                 "(an effect across blocks: chaining, the jump cache):\n%s",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(s0.rip), d.c_str());
    cpu.s = whole.state;
    std::fprintf(stderr, "--- reference (interpreter)\n");
    cpu::dump_state_qemu_style(cpu, stderr);
    std::fflush(stderr);
    std::_Exit(kDivergenceStatus);
}

cpu::RunExit LockstepEngine::run(cpu::Cpu& cpu, u64 budget) {
    // Every run below compares exactly as many instructions as the reference ran.
    cpu.budget_may_overrun = false;
    const u64 end = cpu.icount + budget;
    while (cpu.icount < end) {
        if (cpu.stop_requested.load(std::memory_order_relaxed)) {
            return m_jit.run(cpu, 0);
        }
        if (cpu.debug_armed()) {
            // Breakpoints and watchpoints stop runs where the reference run cannot follow
            // (its undo would replay a hit): while a debugger has any set, the translator
            // runs alone.
            return m_jit.run(cpu, end - cpu.icount);
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
        // Stretches of many blocks when no interrupt is waiting. With one waiting (masked), a
        // block at a time: an STI or POPF in a longer stretch would let the translated run take
        // it where the reference does not.
        const cpu::RunExit ex = (cpu.intr_line || cpu.nmi_line || cpu.s.inhibit_irq)
                                    ? compare_block(cpu, end - cpu.icount)
                                    : compare_unit(cpu, std::min<u64>(kUnit, end - cpu.icount));
        if (ex != cpu::RunExit::Budget) {
            return ex;
        }
    }
    return cpu::RunExit::Budget;
}

} // namespace translator
