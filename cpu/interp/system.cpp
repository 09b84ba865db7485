// SPDX-License-Identifier: MIT
// Interpreter handlers: system instructions (SDM Vol. 2 and Vol. 3A chapter 2): descriptor-table
// registers (LGDT LIDT SGDT SIDT LLDT SLDT LTR STR), descriptor queries (LAR LSL VERR VERW ARPL),
// control and debug registers (MOV CRn/DRn, CLTS, LMSW, SMSW, INVLPG, INVD, WBINVD), HLT,
// CLI/STI and PUSHF/POPF with their IOPL/VME/PVI rules, SYSENTER/SYSEXIT, CPUID, RDTSC,
// RDMSR/WRMSR, RDPMC, VMCALL, UD1/UD2, and the 64-bit-only SWAPGS/SYSCALL/SYSRET (#UD until
// long mode lands). Not here: I/O (io.cpp), far transfers and INT (far.cpp).
#include "cpu/interp/handlers.h"
#include "cpu/ring_hooks.h"
#include "cpu/stack_frame.h"
#include "cpu/system.h"

namespace cpu::interp {
namespace {

u8 iopl_of(const CpuState& s) { return static_cast<u8>((s.eflags >> 12) & 3); }

Status require_cpl0(Cpu& cpu) { return cpu.s.cpl == 0 ? Status::Ok : cpu.raise_gp(0); }

/// LLDT, LTR, LAR... exist only in protected mode (#UD in real and v86 mode).
Status require_protected(Cpu& cpu) {
    return cpu.protected_mode() && !cpu.v86_mode() ? Status::Ok : cpu.raise_ud();
}

void set_zf(Cpu& cpu, bool z) { set_flags(cpu.s, kZF, z ? u32{kZF} : 0u); }

/// Stores a 16-bit selector-like value: memory gets 16 bits, a register the operand size
/// zero-extended.
Status store_word(Cpu& cpu, const DecodedInsn& insn, u64 v) {
    if (insn.op[0].kind == OperandKind::Mem) {
        return write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), 2, v & 0xFFFF);
    }
    cpu.set_reg(insn.op[0].reg, insn.opsize == 2 ? 2 : insn.opsize, v);
    return Status::Ok;
}

Status read_word_op(Cpu& cpu, const DecodedInsn& insn, unsigned n, u16& v) {
    u64 x;
    if (insn.op[n].kind == OperandKind::Mem) {
        TRY(read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), 2, x));
    } else {
        x = cpu.reg(insn.op[n].reg, 2);
    }
    v = static_cast<u16>(x);
    return Status::Ok;
}

// ---- descriptor-table registers ----

template <bool Idt> Status lxdt(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_cpl0(cpu));
    const u64 off = ea_offset(cpu, insn);
    u64 limit, base;
    TRY(read_mem(cpu, insn.mem.seg, off, 2, limit));
    TRY(read_mem(cpu, insn.mem.seg, (off + 2) & base::size_mask(insn.addrsize), 4, base));
    if (insn.opsize == 2) {
        base &= 0xFFFFFF; // 16-bit operand size: 24-bit base
    }
    TableReg& r = Idt ? cpu.s.idtr : cpu.s.gdtr;
    r.base = base;
    r.limit = static_cast<u32>(limit);
    return Status::Ok;
}

template <bool Idt> Status sxdt(Cpu& cpu, const DecodedInsn& insn) {
    const TableReg& r = Idt ? cpu.s.idtr : cpu.s.gdtr;
    const u64 off = ea_offset(cpu, insn);
    // SDM: with a 16-bit operand size the top byte of the base is stored as zero (P6 on).
    const u64 base = insn.opsize == 2 ? (r.base & 0xFFFFFF) : (r.base & 0xFFFFFFFFu);
    TRY(cpu.probe_write(insn.mem.seg, (off + 2) & base::size_mask(insn.addrsize), 4));
    TRY(write_mem(cpu, insn.mem.seg, off, 2, r.limit & 0xFFFF));
    return write_mem(cpu, insn.mem.seg, (off + 2) & base::size_mask(insn.addrsize), 4, base);
}

Status sldt(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    return store_word(cpu, insn, cpu.s.ldtr.selector);
}

Status str(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    return store_word(cpu, insn, cpu.s.tr.selector);
}

Status lldt(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    TRY(require_cpl0(cpu));
    u16 sel;
    TRY(read_word_op(cpu, insn, 0, sel));
    const u32 code = sel & 0xFFFCu;
    if (code == 0) {
        cpu.s.ldtr = Segment{sel, 0, 0, 0}; // null: LDT references fault until reloaded
        return Status::Ok;
    }
    if (sel & 4) {
        return cpu.raise_gp(code);
    }
    Descriptor d;
    TRY(read_descriptor(cpu, sel, kVecGP, 0, d));
    if (d.s() || d.type() != kSysLdt) {
        return cpu.raise_gp(code);
    }
    if (!d.present()) {
        return cpu.raise(kVecNP, code);
    }
    cpu.s.ldtr = d.to_segment(sel);
    return Status::Ok;
}

Status ltr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    TRY(require_cpl0(cpu));
    u16 sel;
    TRY(read_word_op(cpu, insn, 0, sel));
    const u32 code = sel & 0xFFFCu;
    if (code == 0) {
        return cpu.raise_gp(0);
    }
    if (sel & 4) {
        return cpu.raise_gp(code);
    }
    Descriptor d;
    TRY(read_descriptor(cpu, sel, kVecGP, 0, d));
    if (!d.is_tss() || d.tss_busy()) {
        return cpu.raise_gp(code);
    }
    if (!d.present()) {
        return cpu.raise(kVecNP, code);
    }
    TRY(set_tss_busy(cpu, sel, true));
    d.raw |= u64{2} << 40;
    cpu.s.tr = d.to_segment(sel);
    return Status::Ok;
}

// ---- descriptor queries ----

/// Reads the descriptor for LAR/LSL/VERR/VERW; false (ZF = 0) when the selector is null or
/// beyond the table limit, which these instructions report instead of faulting.
Status query_descriptor(Cpu& cpu, u16 sel, bool& ok, Descriptor& d) {
    ok = false;
    if ((sel & 0xFFFC) == 0) {
        return Status::Ok;
    }
    u64 lin;
    if (descriptor_address(cpu, sel, kVecGP, 0, lin) != Status::Ok) {
        return Status::Ok;
    }
    TRY(cpu.read_lin<u64>(lin, d.raw, Priv::Supervisor));
    ok = true;
    return Status::Ok;
}

/// The DPL rule LAR/LSL/VERR/VERW share: conforming code is always visible, everything else
/// needs DPL >= max(CPL, RPL).
bool visible(const Cpu& cpu, u16 sel, const Descriptor& d) {
    if (d.conforming()) {
        return true;
    }
    return d.dpl() >= cpu.s.cpl && d.dpl() >= (sel & 3);
}

template <bool Lsl> Status lar_lsl(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    u16 sel;
    TRY(read_word_op(cpu, insn, 1, sel));
    bool ok;
    Descriptor d;
    TRY(query_descriptor(cpu, sel, ok, d));
    if (ok && !d.s()) {
        const u8 t = d.type();
        // SDM Vol. 2, LAR/LSL: which system types are valid (LSL: those with a limit).
        const bool lar_ok = t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 ||
                            t == 0xB || t == 0xC;
        const bool lsl_ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB;
        ok = Lsl ? lsl_ok : lar_ok;
    }
    ok = ok && visible(cpu, sel, d);
    set_zf(cpu, ok);
    if (ok) {
        const u64 v = Lsl ? d.limit() : ((d.raw >> 32) & 0x00F0FF00u);
        cpu.set_reg(insn.op[0].reg, insn.opsize, insn.opsize == 2 ? (v & 0xFFFF) : v);
    }
    return Status::Ok;
}

template <bool Write> Status verx(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    u16 sel;
    TRY(read_word_op(cpu, insn, 0, sel));
    bool ok;
    Descriptor d;
    TRY(query_descriptor(cpu, sel, ok, d));
    ok = ok && d.s() && visible(cpu, sel, d) &&
         (Write ? d.writable_data() : (d.is_data() || d.readable_code()));
    set_zf(cpu, ok);
    return Status::Ok;
}

Status arpl(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_protected(cpu));
    u16 dst, src;
    TRY(read_word_op(cpu, insn, 0, dst));
    src = static_cast<u16>(cpu.reg(insn.op[1].reg, 2));
    if ((dst & 3) < (src & 3)) {
        TRY(store_word(cpu, insn, (dst & ~3u) | (src & 3u)));
        set_zf(cpu, true);
    } else {
        set_zf(cpu, false);
    }
    return Status::Ok;
}

// ---- control registers ----

Status clts(Cpu& cpu, const DecodedInsn&) {
    TRY(require_cpl0(cpu));
    cpu.s.cr0 &= ~kCr0TS;
    return Status::Ok;
}

constexpr u64 kCr0Valid = kCr0PE | kCr0MP | kCr0EM | kCr0TS | kCr0ET | kCr0NE | kCr0WP |
                          kCr0AM | kCr0NW | kCr0CD | kCr0PG;
constexpr u64 kCr4Valid = kCr4VME | kCr4PVI | kCr4TSD | kCr4DE | kCr4PSE | kCr4PAE | kCr4MCE |
                          kCr4PGE | kCr4PCE | kCr4OSFXSR | kCr4OSXMMEXCPT;

/// PAE loads the four PDPTEs when CR3/CR0/CR4 change with PAE paging on; a present PDPTE with
/// reserved bits set makes that MOV fault #GP(0) (SDM Vol. 3A, 4.4.1).
bool pdptes_valid(Cpu& cpu, u64 cr0, u64 cr3, u64 cr4) {
    if (!(cr0 & kCr0PG) || !(cr4 & kCr4PAE)) {
        return true;
    }
    for (unsigned i = 0; i < 4; ++i) {
        const u64 e = cpu.phys().read(((cr3 & 0xFFFFFFE0u) + 8 * i), 8);
        if ((e & 1) && (e & (0x1E6 | 0xFFFFFFF000000000ull))) {
            return false;
        }
    }
    return true;
}

Status write_cr0(Cpu& cpu, u64 v) {
    v &= 0xFFFFFFFFu;
    if ((v & kCr0PG) && !(v & kCr0PE)) {
        return cpu.raise_gp(0);
    }
    if ((v & kCr0NW) && !(v & kCr0CD)) {
        return cpu.raise_gp(0);
    }
    const u64 old = cpu.s.cr0;
    // Reserved bits are ignored on write; ET is hardwired to 1 on the P6 family.
    const u64 nv = (v & kCr0Valid) | kCr0ET;
    if (((old ^ nv) & kCr0PG) && !pdptes_valid(cpu, nv, cpu.s.cr3, cpu.s.cr4)) {
        return cpu.raise_gp(0);
    }
    cpu.s.cr0 = nv;
    if ((old ^ nv) & kCr0PE) {
        // Switching PE does not reload CS: CPL stays 0 until the far jump that follows,
        // whatever the real-mode selector's low bits are.
        cpu.s.cpl = 0;
    }
    cpu.on_paging_change(old, cpu.s.cr4, cpu.s.efer);
    if (cpu.ring_events && ((old ^ nv) & (kCr0PE | kCr0PG))) [[unlikely]] {
        report_cr0_change(cpu, old);
    }
    return Status::Ok;
}

Status lmsw(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_cpl0(cpu));
    u16 v;
    TRY(read_word_op(cpu, insn, 0, v));
    // Only PE MP EM TS; PE can be set but not cleared (SDM Vol. 2, LMSW).
    const u64 nv = (cpu.s.cr0 & ~u64{0xE}) | (v & 0xE) | (cpu.s.cr0 & kCr0PE) | (v & 1);
    return write_cr0(cpu, nv);
}

Status smsw(Cpu& cpu, const DecodedInsn& insn) {
    if (insn.op[0].kind == OperandKind::Mem) {
        return write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), 2, cpu.s.cr0 & 0xFFFF);
    }
    cpu.set_reg(insn.op[0].reg, insn.opsize, cpu.s.cr0 & base::size_mask(insn.opsize));
    return Status::Ok;
}

Status mov_from_cr(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_cpl0(cpu));
    u64 v;
    switch (insn.op[1].reg) {
    case 0: v = cpu.s.cr0; break;
    case 2: v = cpu.s.cr2; break;
    case 3: v = cpu.s.cr3; break;
    case 4: v = cpu.s.cr4; break;
    default: return cpu.raise_ud(); // CR1, CR5-7; CR8 only in 64-bit mode
    }
    cpu.set_reg(insn.op[0].reg, insn.op[0].size, v);
    return Status::Ok;
}

Status mov_to_cr(Cpu& cpu, const DecodedInsn& insn) {
    const u8 n = insn.op[0].reg;
    if (n == 1 || n > 4) {
        return cpu.raise_ud();
    }
    TRY(require_cpl0(cpu));
    const u64 v = cpu.reg(insn.op[1].reg, insn.op[1].size) & 0xFFFFFFFFu;
    CpuState& s = cpu.s;
    switch (n) {
    case 0: return write_cr0(cpu, v);
    case 2: s.cr2 = v; return Status::Ok;
    case 3:
        if (!pdptes_valid(cpu, s.cr0, v, s.cr4)) {
            return cpu.raise_gp(0);
        }
        s.cr3 = v;
        cpu.tlb_flush_nonglobal();
        return Status::Ok;
    default: {
        if ((v & ~kCr4Valid) ||
            (((s.cr4 ^ v) & (kCr4PAE | kCr4PGE | kCr4PSE)) && !pdptes_valid(cpu, s.cr0, s.cr3, v))) {
            return cpu.raise_gp(0);
        }
        const u64 old = s.cr4;
        s.cr4 = v;
        cpu.on_paging_change(s.cr0, old, s.efer);
        return Status::Ok;
    }
    }
}

// ---- debug registers ----

/// DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD); DR7.GD makes any access a #DB.
Status dr_index(Cpu& cpu, u8 n, u8& idx) {
    if (n > 7) {
        return cpu.raise_ud();
    }
    if (n == 4 || n == 5) {
        if (cpu.s.cr4 & kCr4DE) {
            return cpu.raise_ud();
        }
        n += 2;
    }
    TRY(require_cpl0(cpu));
    if (cpu.s.dr[7] & 0x2000) {
        cpu.s.dr[6] |= 0x2000; // BD: debug-register access detected
        cpu.s.dr[7] &= ~u64{0x2000};
        return cpu.raise(kVecDB);
    }
    idx = n;
    return Status::Ok;
}

Status mov_from_dr(Cpu& cpu, const DecodedInsn& insn) {
    u8 idx;
    TRY(dr_index(cpu, insn.op[1].reg, idx));
    cpu.set_reg(insn.op[0].reg, insn.op[0].size, cpu.s.dr[idx]);
    return Status::Ok;
}

Status mov_to_dr(Cpu& cpu, const DecodedInsn& insn) {
    u8 idx;
    TRY(dr_index(cpu, insn.op[0].reg, idx));
    u64 v = cpu.reg(insn.op[1].reg, insn.op[1].size) & 0xFFFFFFFFu;
    if (idx == 6) {
        v = (v & 0xE00F) | 0xFFFF0FF0u; // reserved bits read as fixed values (P6)
    } else if (idx == 7) {
        v = (v & 0xFFFF23FFu) | 0x400;
    }
    cpu.s.dr[idx] = v;
    return Status::Ok;
}

// ---- caches and TLB ----

Status invlpg(Cpu& cpu, const DecodedInsn& insn) {
    TRY(require_cpl0(cpu));
    // No segment-limit check: INVLPG never faults on its operand (SDM Vol. 2, INVLPG).
    const u64 lin = (cpu.s.seg[insn.mem.seg].base + ea_offset(cpu, insn)) & 0xFFFFFFFFu;
    cpu.tlb_flush_page(lin);
    return Status::Ok;
}

Status cache_op(Cpu& cpu, const DecodedInsn&) {
    return require_cpl0(cpu); // INVD/WBINVD: no caches are modelled
}

Status hlt(Cpu& cpu, const DecodedInsn&) {
    TRY(require_cpl0(cpu));
    cpu.s.halted = true;
    return Status::Ok;
}

// ---- interrupt flag and EFLAGS ----

Status cli(Cpu& cpu, const DecodedInsn&) {
    CpuState& s = cpu.s;
    const u8 iopl = iopl_of(s);
    if (!cpu.protected_mode() || (cpu.v86_mode() ? iopl == 3 : s.cpl <= iopl)) {
        s.eflags &= ~kIF;
        return Status::Ok;
    }
    // SDM Vol. 2, CLI: VME in v86 mode, PVI at CPL 3, clear VIF instead.
    if ((cpu.v86_mode() && (s.cr4 & kCr4VME)) ||
        (!cpu.v86_mode() && s.cpl == 3 && (s.cr4 & kCr4PVI))) {
        s.eflags &= ~kVIF;
        return Status::Ok;
    }
    return cpu.raise_gp(0);
}

Status sti(Cpu& cpu, const DecodedInsn&) {
    CpuState& s = cpu.s;
    const u8 iopl = iopl_of(s);
    if (!cpu.protected_mode() || (cpu.v86_mode() ? iopl == 3 : s.cpl <= iopl)) {
        // Interrupts wait one more instruction only when STI actually sets IF.
        if (!(s.eflags & kIF)) {
            s.inhibit_irq = true;
        }
        s.eflags |= kIF;
        return Status::Ok;
    }
    if ((cpu.v86_mode() && (s.cr4 & kCr4VME)) ||
        (!cpu.v86_mode() && s.cpl == 3 && (s.cr4 & kCr4PVI))) {
        if (s.eflags & kVIP) {
            return cpu.raise_gp(0);
        }
        s.eflags |= kVIF;
        return Status::Ok;
    }
    return cpu.raise_gp(0);
}

Status pushf(Cpu& cpu, const DecodedInsn& insn) {
    CpuState& s = cpu.s;
    u32 fl = read_eflags(s);
    if (cpu.v86_mode() && iopl_of(s) < 3) {
        if (!(s.cr4 & kCr4VME) || insn.opsize != 2) {
            return cpu.raise_gp(0);
        }
        // VME: the image shows VIF as IF and IOPL as 3.
        fl = (fl & ~kIF) | ((fl & kVIF) ? u32{kIF} : 0u) | kIOPL;
    }
    // VM and RF are never copied to the stack image.
    return cpu.push(fl & ~(kVM | kRF), insn.opsize);
}

Status popf(Cpu& cpu, const DecodedInsn& insn) {
    CpuState& s = cpu.s;
    u64 v;
    TRY(cpu.stack_read(0, v, insn.opsize));
    const u8 iopl = iopl_of(s);
    u32 mask = kArithFlags | kTF | kDF | kNT | kAC | kID | kIF | kIOPL;
    if (cpu.v86_mode()) {
        if (iopl < 3) {
            if (!(s.cr4 & kCr4VME) || insn.opsize != 2) {
                return cpu.raise_gp(0);
            }
            if (((v & kIF) && (s.eflags & kVIP)) || (v & kTF)) {
                return cpu.raise_gp(0);
            }
            TRY(cpu.pop(v, 2));
            write_eflags(cpu, static_cast<u32>(v), 0xFFFFu & ~(kIOPL | kIF));
            write_eflags(cpu, (v & kIF) ? u32{kVIF} : 0u, kVIF);
            return Status::Ok;
        }
        mask &= ~kIOPL;
    } else if (cpu.protected_mode() && s.cpl > 0) {
        mask &= ~kIOPL;
        if (s.cpl > iopl) {
            mask &= ~kIF; // silently unchanged, no fault
        }
    }
    if (insn.opsize == 2) {
        mask &= 0xFFFF;
    }
    TRY(cpu.pop(v, insn.opsize));
    write_eflags(cpu, static_cast<u32>(v), mask | kRF);
    s.eflags &= ~kRF; // RF ends up clear (SDM Vol. 2, POPF)
    return Status::Ok;
}

// ---- fast system calls ----

Status sysenter_transfer(Cpu& cpu) {
    CpuState& s = cpu.s;
    const u16 cs = static_cast<u16>(s.msr.sysenter_cs);
    if (!cpu.protected_mode() || (cs & 0xFFFC) == 0) {
        return cpu.raise_gp(0);
    }
    s.eflags &= ~(kVM | kIF | kRF);
    // Flat ring-0 code and stack, whatever the GDT says (SDM Vol. 2, SYSENTER).
    s.seg[kCs] = Segment{static_cast<u16>(cs & 0xFFFC), 0xC09B, 0xFFFFFFFFu, 0};
    s.seg[kSs] = Segment{static_cast<u16>((cs & 0xFFFC) + 8), 0xC093, 0xFFFFFFFFu, 0};
    s.cpl = 0;
    s.gpr[kRsp] = s.msr.sysenter_esp & 0xFFFFFFFFu;
    cpu.next_rip = s.msr.sysenter_eip & 0xFFFFFFFFu;
    return Status::Ok;
}

Status sysexit_transfer(Cpu& cpu) {
    CpuState& s = cpu.s;
    const u16 cs = static_cast<u16>(s.msr.sysenter_cs);
    if (!cpu.protected_mode() || cpu.v86_mode() || s.cpl != 0 || (cs & 0xFFFC) == 0) {
        return cpu.raise_gp(0);
    }
    s.seg[kCs] = Segment{static_cast<u16>((cs + 16) | 3), 0xC0FB, 0xFFFFFFFFu, 0};
    s.seg[kSs] = Segment{static_cast<u16>((cs + 24) | 3), 0xC0F3, 0xFFFFFFFFu, 0};
    s.cpl = 3;
    s.gpr[kRsp] = s.gpr[kRcx] & 0xFFFFFFFFu;
    cpu.next_rip = s.gpr[kRdx] & 0xFFFFFFFFu;
    return Status::Ok;
}

Status sysenter(Cpu& cpu, const DecodedInsn&) {
    return observe_transition(
        cpu, [&] { return sysenter_transfer(cpu); },
        [&](const RingPoint& before) { report_plain(cpu, before, RingEventKind::Sysenter); });
}

Status sysexit(Cpu& cpu, const DecodedInsn&) {
    return observe_transition(
        cpu, [&] { return sysexit_transfer(cpu); },
        [&](const RingPoint& before) { report_plain(cpu, before, RingEventKind::Sysexit); });
}

// ---- identification, time, MSRs ----

Status cpuid_insn(Cpu& cpu, const DecodedInsn&) {
    CpuState& s = cpu.s;
    const CpuidResult r =
        cpuid(cpu, static_cast<u32>(s.gpr[kRax]), static_cast<u32>(s.gpr[kRcx]));
    s.gpr[kRax] = r.eax;
    s.gpr[kRbx] = r.ebx;
    s.gpr[kRcx] = r.ecx;
    s.gpr[kRdx] = r.edx;
    return Status::Ok;
}

Status rdtsc(Cpu& cpu, const DecodedInsn&) {
    CpuState& s = cpu.s;
    if ((s.cr4 & kCr4TSD) && s.cpl != 0 && cpu.protected_mode()) {
        return cpu.raise_gp(0);
    }
    if (cpu.device_guarded()) {
        return Status::Stop;
    }
    const u64 t = cpu.env().tsc() + s.msr.tsc_offset;
    s.gpr[kRax] = t & 0xFFFFFFFFu;
    s.gpr[kRdx] = t >> 32;
    return Status::Ok;
}

Status rdmsr(Cpu& cpu, const DecodedInsn&) {
    TRY(require_cpl0(cpu));
    if (cpu.device_guarded()) {
        return Status::Stop; // the TSC MSR reads the clock
    }
    u64 v;
    if (!read_msr(cpu, static_cast<u32>(cpu.s.gpr[kRcx]), v)) {
        return cpu.raise_gp(0);
    }
    cpu.s.gpr[kRax] = v & 0xFFFFFFFFu;
    cpu.s.gpr[kRdx] = v >> 32;
    return Status::Ok;
}

Status wrmsr(Cpu& cpu, const DecodedInsn&) {
    TRY(require_cpl0(cpu));
    if (cpu.device_guarded()) {
        return Status::Stop; // the TSC and APIC-base MSRs reach the board
    }
    const u64 v = (cpu.s.gpr[kRdx] << 32) | (cpu.s.gpr[kRax] & 0xFFFFFFFFu);
    if (!write_msr(cpu, static_cast<u32>(cpu.s.gpr[kRcx]), v)) {
        return cpu.raise_gp(0);
    }
    return Status::Ok;
}

Status rdpmc(Cpu& cpu, const DecodedInsn&) {
    CpuState& s = cpu.s;
    const bool allowed = !cpu.protected_mode() || s.cpl == 0 || (s.cr4 & kCr4PCE);
    // The P6 family has two counters; they are not modelled and read as zero.
    if (!allowed || (s.gpr[kRcx] & 0xFFFFFFFFu) > 1) {
        return cpu.raise_gp(0);
    }
    s.gpr[kRax] = 0;
    s.gpr[kRdx] = 0;
    return Status::Ok;
}

Status vmcall(Cpu& cpu, const DecodedInsn&) {
    if (cpu.device_guarded()) {
        return Status::Stop;
    }
    return observe_transition(
        cpu, [&] { return cpu.env().hypercall(cpu.s) ? Status::Ok : cpu.raise_ud(); },
        [&](const RingPoint& before) { report_plain(cpu, before, RingEventKind::Hypercall); });
}

Status ud(Cpu& cpu, const DecodedInsn&) { return cpu.raise_ud(); }

} // namespace

void install_system(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::LGDT_Ms, lxdt<false>);
    set(InsnId::LIDT_Ms, lxdt<true>);
    set(InsnId::SGDT_Ms, sxdt<false>);
    set(InsnId::SIDT_Ms, sxdt<true>);
    set(InsnId::SLDT_Ev, sldt);
    set(InsnId::STR_Ev, str);
    set(InsnId::LLDT_Ew, lldt);
    set(InsnId::LTR_Ew, ltr);
    set(InsnId::LAR_GvEw, lar_lsl<false>);
    set(InsnId::LSL_GvEw, lar_lsl<true>);
    set(InsnId::VERR_Ew, verx<false>);
    set(InsnId::VERW_Ew, verx<true>);
    set(InsnId::ARPL_EwGw, arpl);
    set(InsnId::CLTS, clts);
    set(InsnId::LMSW_Ew, lmsw);
    set(InsnId::SMSW_Ev, smsw);
    set(InsnId::MOV_RdCd, mov_from_cr);
    set(InsnId::MOV_CdRd, mov_to_cr);
    set(InsnId::MOV_RdDd, mov_from_dr);
    set(InsnId::MOV_DdRd, mov_to_dr);
    set(InsnId::INVLPG_M, invlpg);
    set(InsnId::INVD, cache_op);
    set(InsnId::WBINVD, cache_op);
    set(InsnId::HLT, hlt);
    set(InsnId::CLI, cli);
    set(InsnId::STI, sti);
    set(InsnId::PUSHF, pushf);
    set(InsnId::POPF, popf);
    set(InsnId::SYSENTER, sysenter);
    set(InsnId::SYSEXIT, sysexit);
    set(InsnId::CPUID, cpuid_insn);
    set(InsnId::RDTSC, rdtsc);
    set(InsnId::RDMSR, rdmsr);
    set(InsnId::WRMSR, wrmsr);
    set(InsnId::RDPMC, rdpmc);
    set(InsnId::VMCALL, vmcall);
    set(InsnId::UD2, ud);
    set(InsnId::UD1_GvEv, ud);
    set(InsnId::SWAPGS, ud);
    set(InsnId::SYSCALL, ud);
    set(InsnId::SYSRET, ud);
}

} // namespace cpu::interp
