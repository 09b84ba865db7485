// SPDX-License-Identifier: MIT
// Interpreter handlers: port I/O (SDM Vol. 2 IN, OUT, INS, OUTS; Vol. 3A 19.5 protection):
// every form, with REP, address-size counters and DF, and the IOPL / I/O-permission-bitmap
// check in protected and v86 mode (cpu/tasks.cpp: check_io). Ports are reached through
// CpuEnv::port_in/port_out. Not here: the devices behind the ports.
#include "cpu/interp/handlers.h"
#include "cpu/system.h"

namespace cpu::interp {
namespace {

/// Port number of operand n: an immediate byte or DX.
u16 port_of(const Cpu& cpu, const DecodedInsn& insn, unsigned n) {
    const Operand& o = insn.op[n];
    if (o.kind == OperandKind::Imm) {
        return static_cast<u16>(insn.imm & 0xFF);
    }
    return static_cast<u16>(cpu.s.gpr[kRdx]);
}

Status in(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[0].size;
    const u16 port = port_of(cpu, insn, 1);
    TRY(check_io(cpu, port, size));
    if (cpu.device_guarded()) {
        return Status::Stop;
    }
    const u32 v = cpu.env().port_in(port, size);
    cpu.set_reg(kRax, size, v);
    return Status::Ok;
}

Status out(Cpu& cpu, const DecodedInsn& insn) {
    const unsigned size = insn.op[1].size;
    const u16 port = port_of(cpu, insn, 0);
    TRY(check_io(cpu, port, size));
    if (cpu.device_guarded()) {
        return Status::Stop;
    }
    if (cpu.recorder) [[unlikely]] {
        cpu.recorder->put_event(kTracePortWrite,
                                port | static_cast<u32>(cpu.reg(kRax, size) & 0xFFFF) << 16,
                                cpu.icount, cpu.s.cpl);
    }
    cpu.env().port_out(port, size, static_cast<u32>(cpu.reg(kRax, size)));
    return Status::Ok;
}

/// Element size of INS/OUTS: byte forms, or the operand size (16/32; z never 8).
unsigned string_size(const DecodedInsn& insn) {
    if (insn.id == InsnId::INSB || insn.id == InsnId::OUTSB) {
        return 1;
    }
    return insn.opsize == 2 ? 2 : 4;
}

template <bool In> Status ins_outs(Cpu& cpu, const DecodedInsn& insn) {
    CpuState& s = cpu.s;
    const unsigned size = string_size(insn);
    const u64 amask = base::size_mask(insn.addrsize);
    const bool rep = (insn.prefixes & (kPfxRep | kPfxRepne)) != 0;
    const u16 port = static_cast<u16>(s.gpr[kRdx]);
    const u8 idx = In ? kRdi : kRsi;
    const u8 seg = In ? static_cast<u8>(kEs) : insn.mem.seg; // INS always writes ES:rDI
    TRY(check_io(cpu, port, size));
    if (cpu.device_guarded()) {
        return Status::Stop;
    }
    const i64 step = (s.eflags & kDF) ? -static_cast<i64>(size) : static_cast<i64>(size);
    for (;;) {
        if (rep && (s.gpr[kRcx] & amask) == 0) {
            break;
        }
        const u64 off = s.gpr[idx] & amask;
        if constexpr (In) {
            // Probe first so that a faulting write does not consume device input.
            TRY(cpu.probe_write(seg, off, size));
            const u32 v = cpu.env().port_in(port, size);
            TRY(write_mem(cpu, seg, off, size, v));
        } else {
            u64 v;
            TRY(read_mem(cpu, seg, off, size, v));
            if (cpu.recorder) [[unlikely]] {
                cpu.recorder->put_event(kTracePortWrite, port | static_cast<u32>(v & 0xFFFF) << 16,
                                        cpu.icount, cpu.s.cpl);
            }
            cpu.env().port_out(port, size, static_cast<u32>(v));
        }
        s.gpr[idx] = (s.gpr[idx] & ~amask) | ((s.gpr[idx] + static_cast<u64>(step)) & amask);
        if (!rep) {
            break;
        }
        s.gpr[kRcx] = (s.gpr[kRcx] & ~amask) | ((s.gpr[kRcx] - 1) & amask);
    }
    return Status::Ok;
}

} // namespace

void install_io(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    for (InsnId id : {InsnId::IN_ALIb, InsnId::IN_eAXIb, InsnId::IN_ALDX, InsnId::IN_eAXDX}) {
        set(id, in);
    }
    for (InsnId id : {InsnId::OUT_IbAL, InsnId::OUT_IbeAX, InsnId::OUT_DXAL, InsnId::OUT_DXeAX}) {
        set(id, out);
    }
    set(InsnId::INSB, ins_outs<true>);
    set(InsnId::INS, ins_outs<true>);
    set(InsnId::OUTSB, ins_outs<false>);
    set(InsnId::OUTS, ins_outs<false>);
}

} // namespace cpu::interp
