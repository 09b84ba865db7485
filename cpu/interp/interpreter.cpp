// SPDX-License-Identifier: MIT
#include "cpu/interp/interpreter.h"

#include "base/log.h"
#include "cpu/decoder/decoder.h"
#include "cpu/interp/handlers.h"
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

void log_cpu_state(Cpu& cpu) {
    const CpuState& s = cpu.s;
    const u32 fl = read_eflags(cpu.s);
    base::log_printf("EAX=%08x EBX=%08x ECX=%08x EDX=%08x\nESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                     "EIP=%08x EFL=%08x CPL=%u CR0=%08x CR3=%08x\n",
                     static_cast<u32>(s.gpr[kRax]), static_cast<u32>(s.gpr[kRbx]),
                     static_cast<u32>(s.gpr[kRcx]), static_cast<u32>(s.gpr[kRdx]),
                     static_cast<u32>(s.gpr[kRsi]), static_cast<u32>(s.gpr[kRdi]),
                     static_cast<u32>(s.gpr[kRbp]), static_cast<u32>(s.gpr[kRsp]),
                     static_cast<u32>(s.rip), fl, s.cpl, static_cast<u32>(s.cr0),
                     static_cast<u32>(s.cr3));
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

Status step(Cpu& cpu) {
    CpuState& s = cpu.s;
    const u64 lin = (s.seg[kCs].base + s.rip) & (cpu.long_mode() ? ~u64{0} : 0xFFFFFFFFu);
    const unsigned cs = cpu.code_size();
    const CodeMode mode = cs == 2 ? CodeMode::Bits16 : (cs == 4 ? CodeMode::Bits32 : CodeMode::Bits64);

    // Fetch: straight from the host page when the 15 bytes cannot cross it.
    u8 buf[15];
    const u8* bytes = nullptr;
    unsigned avail = 15;
    if ((lin & 0xFFF) <= 0x1000 - 15) {
        bytes = cpu.fetch_ptr(lin);
    }
    if (!bytes) {
        Status st = cpu.fetch_bytes(lin, buf, 15, avail);
        if (st != Status::Ok) {
            return st == Status::Fault ? deliver_exception(cpu) : st;
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

    DecodedInsn insn;
    const DecodeError err = decode(bytes, avail, mode, insn);
    if (err != DecodeError::None) [[unlikely]] {
        if (err == DecodeError::Truncated) {
            if (avail < 15 && bytes == buf) {
                // Ran into an unmapped page: fetch the missing byte to get the right #PF.
                unsigned got = 0;
                u8 extra[1];
                Status st = cpu.fetch_bytes((lin + avail) & 0xFFFFFFFFu, extra, 1, got);
                if (st == Status::Fault) {
                    return deliver_exception(cpu);
                }
            }
            (void)cpu.raise_gp(0); // past the CS limit
        } else if (err == DecodeError::TooLong) {
            (void)cpu.raise_gp(0);
        } else {
            (void)cpu.raise_ud();
        }
        return deliver_exception(cpu);
    }

    if (cpu.trace) [[unlikely]] {
        cpu.trace->on_insn(cpu, lin, insn);
    }
    if (base::log_enabled(base::kLogCpu)) [[unlikely]] {
        log_cpu_state(cpu);
    }

    cpu.next_rip = (s.rip + insn.length) & cpu.ip_mask();
    const bool tf = (s.eflags & kTF) != 0;
    const Status st = handler_table().h[static_cast<usize>(insn.id)](cpu, insn);
    if (st == Status::Ok) [[likely]] {
        s.rip = cpu.next_rip;
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

RunExit Interpreter::run(Cpu& cpu, u64 budget) {
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
        cpu.s.inhibit_irq = false;
        if (step(cpu) == Status::Stop) [[unlikely]] {
            return RunExit::Shutdown;
        }
    }
    return RunExit::Budget;
}

void Interpreter::invalidate_code(u64, u64) {
    // Nothing cached yet: instructions are decoded at every execution.
}

} // namespace cpu::interp
