// SPDX-License-Identifier: MIT
// Interrupt and exception delivery (SDM Vol. 3A, chapter 6): real-mode IVT now; protected-mode
// IDT gates, privilege changes, v86 and task gates come with the system family.
#include "base/log.h"
#include "cpu/flags.h"
#include "cpu/system.h"

namespace cpu {
namespace {

bool contributory(u8 v) { return v == kVecDE || (v >= kVecTS && v <= kVecGP); }

Status deliver_real(Cpu& cpu, u8 vector, u64 return_rip) {
    CpuState& s = cpu.s;
    const u64 entry = u64{vector} * 4;
    if (entry + 3 > s.idtr.limit) {
        return cpu.raise_gp(u32{vector} * 8 + 2);
    }
    u16 ip, cs;
    TRY(cpu.read_lin<u16>(s.idtr.base + entry, ip, Priv::Supervisor));
    TRY(cpu.read_lin<u16>(s.idtr.base + entry + 2, cs, Priv::Supervisor));
    const u32 fl = read_eflags(s);
    TRY(cpu.push(fl & 0xFFFF, 2));
    TRY(cpu.push(s.seg[kCs].selector, 2));
    TRY(cpu.push(return_rip & 0xFFFF, 2));
    s.eflags &= ~(kIF | kTF | kAC | kRF);
    load_segment_real(cpu, kCs, cs);
    s.rip = ip;
    cpu.next_rip = ip;
    return Status::Ok;
}

} // namespace

Status deliver_interrupt(Cpu& cpu, u8 vector, IntSource src, u64 return_rip, bool has_error,
                         u32 error) {
    const u8 old_cpl = cpu.s.cpl;
    Status st;
    if (!cpu.protected_mode()) {
        st = deliver_real(cpu, vector, return_rip);
    } else {
        (void)has_error;
        (void)error;
        st = cpu.raise_gp(0); // protected-mode delivery lands with the system family
    }
    if (st == Status::Ok && cpu.trace) {
        cpu.trace->on_interrupt(cpu, vector, src, has_error, error, old_cpl);
    }
    return st;
}

Status deliver_exception(Cpu& cpu) {
    Fault f = cpu.fault;
    for (;;) {
        const Status st = deliver_interrupt(cpu, f.vector, IntSource::Exception, cpu.s.rip,
                                            f.has_error, f.error);
        if (st != Status::Fault) {
            return st;
        }
        const Fault second = cpu.fault;
        if (f.vector == kVecDF) {
            if (base::log_enabled(base::kLogInt)) {
                base::log_printf("int: triple fault\n");
            }
            cpu.env().shutdown(ShutdownKind::TripleFault);
            return Status::Stop;
        }
        // SDM Vol. 3A, Table 6-5: which pairs become a double fault.
        const bool df = (contributory(f.vector) && contributory(second.vector)) ||
                        (f.vector == kVecPF && (contributory(second.vector) || second.vector == kVecPF));
        f = df ? Fault{kVecDF, true, 0} : second;
    }
}

} // namespace cpu
