// SPDX-License-Identifier: MIT
// The interpreter's run loop: fetch (through the decode cache when the TLB maps the code),
// decode, dispatch to the row's handler, commit rIP or deliver the fault. Not here: the
// handlers (one file per instruction family) and exception delivery (cpu/exceptions.cpp).
#include "cpu/interp/interpreter.h"

#include "base/log.h"
#include "cpu/decoder/decoder.h"
#include "cpu/interp/decode_cache.h"
#include "cpu/interp/handlers.h"
#include "cpu/state_dump.h"
#include "cpu/system.h"
#include "cpu/trace.h"

namespace cpu::interp {

namespace {

Status unimplemented(Cpu& cpu, const DecodedInsn& insn) {
    if (base::log_enabled(base::kLogUnimp)) {
        base::log_printf("unimp: %s at rip=0x%llx\n", insn.info().id_name,
                         static_cast<unsigned long long>(cpu.s.rip));
    }
    return cpu.raise_ud();
}

HandlerTable build_table() {
    HandlerTable t;
    for (auto& h : t.h) {
        h = unimplemented;
    }
    install_alu(t);
    install_muldiv(t);
    install_shift(t);
    install_bit(t);
    install_bcd(t);
    install_data(t);
    install_control(t);
    install_string(t);
    install_system(t);
    install_far(t);
    install_io(t);
    install_fpu(t);
    install_simd(t);
    return t;
}

} // namespace

const HandlerTable& handler_table() {
    static const HandlerTable s_table = build_table();
    return s_table;
}

Status branch_near(Cpu& cpu, u64 target, unsigned opsize) {
    if (opsize == 2) {
        target &= 0xFFFF;
    } else if (opsize == 4) {
        target &= 0xFFFFFFFF;
    }
    if (cpu.code_size() != 8 && target > cpu.s.seg[kCs].limit) {
        return cpu.raise_gp(0);
    }
    cpu.next_rip = target;
    return Status::Ok;
}

bool service_interrupts(Cpu& cpu, Status& st) {
    st = Status::Ok;
    if (cpu.nmi_line) {
        cpu.nmi_line = false;
        cpu.s.halted = false;
        st = deliver_interrupt(cpu, kVecNMI, IntSource::Nmi, cpu.s.rip, false, 0);
        if (st == Status::Fault) {
            st = deliver_exception(cpu);
        }
        return true;
    }
    if (cpu.intr_line && (cpu.s.eflags & kIF) && !cpu.s.inhibit_irq) {
        cpu.s.halted = false;
        const u8 vec = cpu.env().acknowledge_interrupt();
        st = deliver_interrupt(cpu, vec, IntSource::External, cpu.s.rip, false, 0);
        if (st == Status::Fault) {
            st = deliver_exception(cpu);
        }
        return true;
    }
    return false;
}

namespace {

CodeMode code_mode(unsigned cs) {
    return cs == 2 ? CodeMode::Bits16 : (cs == 4 ? CodeMode::Bits32 : CodeMode::Bits64);
}

u64 fetch_linear(const Cpu& cpu) {
    return (cpu.s.seg[kCs].base + cpu.s.rip) & (cpu.long_mode() ? ~u64{0} : 0xFFFFFFFFu);
}

/// Fetches and decodes the instruction at CS:rIP without the cache. Returns true with `insn`
/// filled; or false after delivering the fetch/decode fault, with the delivery's status in `st`.
bool fetch_decode(Cpu& cpu, u64 lin, unsigned cs, DecodedInsn& insn, Status& st) {
    CpuState& s = cpu.s;
    // Fetch: straight from the host page when the 15 bytes cannot cross it.
    u8 buf[15];
    const u8* bytes = nullptr;
    unsigned avail = 15;
    if ((lin & 0xFFF) <= 0x1000 - 15) {
        bytes = cpu.fetch_ptr(lin);
    }
    if (!bytes) {
        const Status fs = cpu.fetch_bytes(lin, buf, 15, avail);
        if (fs != Status::Ok) {
            st = fs == Status::Fault ? deliver_exception(cpu) : fs;
            return false;
        }
        bytes = buf;
    }
    // The CS limit bounds the fetch (SDM: #GP(0) if any byte lies outside it).
    if (cs != 8) {
        const u64 lim = s.seg[kCs].limit;
        const u64 room = s.rip > lim ? 0 : lim - s.rip + 1;
        if (room < avail) {
            avail = static_cast<unsigned>(room);
        }
    }

    const DecodeError err = decode(bytes, avail, code_mode(cs), insn);
    if (err != DecodeError::None) [[unlikely]] {
        if (err == DecodeError::Truncated) {
            if (avail < 15 && bytes == buf) {
                // Ran into an unmapped page: fetch the missing byte to get the right #PF.
                unsigned got = 0;
                u8 extra[1];
                if (cpu.fetch_bytes((lin + avail) & 0xFFFFFFFFu, extra, 1, got) == Status::Fault) {
                    st = deliver_exception(cpu);
                    return false;
                }
            }
            (void)cpu.raise_gp(0); // past the CS limit
        } else if (err == DecodeError::TooLong) {
            (void)cpu.raise_gp(0);
        } else {
            (void)cpu.raise_ud();
        }
        st = deliver_exception(cpu);
        return false;
    }
    return true;
}

/// Writes the execution record of one interpreted instruction (a one-instruction BlockDef;
/// the recorder reuses the id of an identical one).
[[gnu::noinline]] void record_insn(Cpu& cpu, u64 lin, const DecodedInsn& insn) {
    BlockDef d;
    d.lin_pc = lin;
    u64 pa = 0;
    const u64 cr2 = cpu.s.cr2;
    if (cpu.translate(lin, mmu::Access::Execute, Priv::Current, pa) != Status::Ok) {
        pa = ~u64{0}; // cannot happen after a successful fetch; keep the record anyway
    }
    cpu.s.cr2 = cr2;
    d.phys_pc = pa;
    d.cs_base = cpu.s.seg[kCs].base;
    d.cs_selector = cpu.s.seg[kCs].selector;
    d.code_bits = insn.mode == CodeMode::Bits16 ? 16 : insn.mode == CodeMode::Bits32 ? 32 : 64;
    d.cpl = cpu.s.cpl;
    d.ninsns = 1;
    d.nbytes = insn.length;
    cpu.recorder->put_block(cpu.recorder->define_block(d, insn.bytes), cpu.icount);
}

/// -trace-regs: the registers an instruction may change, as TraceReg orders them.
struct RegSnapshot {
    u32 v[kTraceRegCount];
};

void snapshot_regs(CpuState& s, RegSnapshot& out) {
    for (unsigned i = 0; i < 8; ++i) {
        out.v[kTrEax + i] = static_cast<u32>(s.gpr[i]);
    }
    out.v[kTrEflags] = read_eflags(s);
    for (unsigned i = 0; i < 6; ++i) {
        out.v[kTrEs + i] = s.seg[i].selector;
    }
    out.v[kTrCr0] = static_cast<u32>(s.cr0);
    out.v[kTrCr2] = static_cast<u32>(s.cr2);
    out.v[kTrCr3] = static_cast<u32>(s.cr3);
    out.v[kTrCr4] = static_cast<u32>(s.cr4);
}

/// Records what the instruction that ran at `icount` changed, relative to `before`.
[[gnu::noinline]] void record_reg_changes(Cpu& cpu, const RegSnapshot& before, u64 icount) {
    RegSnapshot after;
    snapshot_regs(cpu.s, after);
    for (unsigned r = 0; r < kTraceRegCount; ++r) {
        if (after.v[r] != before.v[r]) {
            cpu.recorder->put_reg(static_cast<TraceReg>(r), after.v[r], icount, cpu.s.cpl);
        }
    }
}

/// Runs one decoded instruction at linear address `lin`: trace hooks, handler, commit of rIP,
/// single-step trap, fault delivery.
inline Status execute(Cpu& cpu, const DecodedInsn& insn, u64 lin, unsigned cs,
                      const Handler* handlers) {
    CpuState& s = cpu.s;
    if (cpu.trace) [[unlikely]] {
        cpu.trace->on_insn(cpu, lin, insn);
    }
    if (cpu.recorder) [[unlikely]] {
        record_insn(cpu, lin, insn);
    }
    if (base::log_enabled(base::kLogCpu)) [[unlikely]] {
        dump_state_qemu_style(cpu, base::log_file());
    }

    // rIP wraps at the code size (cs is the current code_size(), computed once by the caller).
    const u64 ip_mask = cs == 2 ? 0xFFFF : (cs == 4 ? 0xFFFFFFFFu : ~u64{0});
    cpu.next_rip = (s.rip + insn.length) & ip_mask;
    const bool tf = (s.eflags & kTF) != 0;
    const bool regs = cpu.trace_regs && cpu.recorder;
    RegSnapshot before;
    if (regs) [[unlikely]] {
        snapshot_regs(s, before);
    }
    const Status st = handlers[static_cast<usize>(insn.id)](cpu, insn);
    if (st == Status::Ok) [[likely]] {
        s.rip = cpu.next_rip;
        if (regs) [[unlikely]] {
            record_reg_changes(cpu, before, cpu.icount);
        }
        ++cpu.icount;
        if (tf) [[unlikely]] {
            // Single-step trap after the instruction (SDM Vol. 3A, 17.3.1.4).
            s.dr[6] |= 1u << 14;
            (void)cpu.raise(kVecDB);
            return deliver_exception(cpu);
        }
        return Status::Ok;
    }
    if (st == Status::Fault) {
        return deliver_exception(cpu);
    }
    return st;
}

} // namespace

[[gnu::noinline]] Status step(Cpu& cpu) {
    const u64 lin = fetch_linear(cpu);
    const unsigned cs = cpu.code_size();
    DecodedInsn insn;
    Status st = Status::Ok;
    if (!fetch_decode(cpu, lin, cs, insn, st)) [[unlikely]] {
        return st;
    }
    return execute(cpu, insn, lin, cs, handler_table().h);
}

const DecodedInsn* Interpreter::decode_miss(Cpu& cpu, const u8* host, u64 pa, CodeMode mode) {
    // Decode from the page only: an instruction that crosses into the next page is Truncated
    // here and always takes the uncached path (its second page is not tracked).
    DecodedInsn d;
    const usize avail = std::min<u64>(15, 0x1000 - (pa & 0xFFF));
    if (decode(host, avail, mode, d) != DecodeError::None) {
        return nullptr;
    }
    bool new_code_page = false;
    const DecodedInsn* insn = m_cache->insert(pa, mode, d, new_code_page);
    if (new_code_page) {
        cpu.tlb_revoke_write(pa); // first instruction cached from this page
    }
    return insn;
}

// Inlined into run(): the per-instruction path stays free of calls but the handler's. Rare
// cases go to step() (uncached: TLB misses, MMIO code, faults, page-crossing instructions).
[[gnu::always_inline]] inline Status Interpreter::step_cached(Cpu& cpu) {
    const u64 lin = fetch_linear(cpu);
    const TlbEntry* e = cpu.fetch_entry(lin);
    if (!e) [[unlikely]] {
        return step(cpu); // TLB miss, MMIO or no execute permission: the slow path sorts it out
    }
    mmu::PhysMap& phys = cpu.phys();
    if (phys.generation() != m_cache->generation()) [[unlikely]] {
        m_cache->clear();
        m_cache->set_generation(phys.generation());
        m_a20_mask = phys.a20_mask();
    }
    const unsigned cs = cpu.code_size();
    const CodeMode mode = code_mode(cs);
    const u64 off = lin & 0xFFF;
    const u64 pa = (e->ppage | off) & m_a20_mask;
    const DecodedInsn* insn = m_cache->lookup(pa, mode);
    if (!insn) [[unlikely]] {
        insn = decode_miss(cpu, reinterpret_cast<const u8*>(e->addend + lin), pa, mode);
        if (!insn) {
            return step(cpu);
        }
    }
    if (cs != 8 && cpu.s.rip + insn->length - 1 > cpu.s.seg[kCs].limit) [[unlikely]] {
        return step(cpu); // crosses the CS limit: the uncached path raises #GP(0)
    }
    return execute(cpu, *insn, lin, cs, m_handlers);
}

Interpreter::Interpreter() : m_handlers(handler_table().h) {}
Interpreter::~Interpreter() = default;

Status Interpreter::run_retired(Cpu& cpu, u64 n) {
    if (!m_cache) {
        m_cache.emplace(cpu.phys());
        m_cache->set_generation(cpu.phys().generation());
        m_a20_mask = cpu.phys().a20_mask();
    }
    const u64 target = cpu.icount + n;
    while (cpu.icount < target && !cpu.s.halted) {
        cpu.s.inhibit_irq = false;
        if (step_cached(cpu) == Status::Stop) {
            return Status::Stop;
        }
    }
    return Status::Ok;
}

RunExit Interpreter::run(Cpu& cpu, u64 budget) {
    if (!m_cache) {
        m_cache.emplace(cpu.phys());
        m_cache->set_generation(cpu.phys().generation());
        m_a20_mask = cpu.phys().a20_mask();
    }
    for (u64 n = 0; n < budget; ++n) {
        if (cpu.stop_requested.load(std::memory_order_relaxed)) [[unlikely]] {
            cpu.stop_requested.store(false, std::memory_order_relaxed);
            return RunExit::Stopped;
        }
        if ((cpu.intr_line || cpu.nmi_line)) [[unlikely]] {
            Status st;
            if (service_interrupts(cpu, st)) {
                if (st == Status::Stop) {
                    return RunExit::Shutdown;
                }
                continue;
            }
        }
        if (cpu.s.halted) [[unlikely]] {
            return RunExit::Halted;
        }
        if (cpu.debug_armed()) [[unlikely]] {
            const u64 lin = fetch_linear(cpu);
            if (cpu.skip_breakpoint_at != ~u64{0}) {
                // The skip lets the instruction at the breakpoint run once, or lapses when
                // rIP moved elsewhere (an interrupt was delivered first).
                const bool here = cpu.skip_breakpoint_at == lin;
                cpu.skip_breakpoint_at = ~u64{0};
                if (here) {
                    cpu.s.inhibit_irq = false;
                    if (step_cached(cpu) == Status::Stop) {
                        return RunExit::Shutdown;
                    }
                    if (cpu.debug_hit.kind != DebugHit::None) {
                        return RunExit::Debug;
                    }
                    continue;
                }
            }
            if (cpu.breakpoint_stops(lin)) {
                return RunExit::Debug;
            }
        }
        cpu.s.inhibit_irq = false;
        if (step_cached(cpu) == Status::Stop) [[unlikely]] {
            return RunExit::Shutdown;
        }
        if (cpu.debug_hit.kind != DebugHit::None) [[unlikely]] {
            return RunExit::Debug;
        }
    }
    return RunExit::Budget;
}

void Interpreter::invalidate_code(u64 pa, u64 len) {
    if (m_cache) {
        m_cache->invalidate(pa, len);
    }
}

} // namespace cpu::interp
