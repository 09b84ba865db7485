// SPDX-License-Identifier: MIT
// CpuEnv: the machine as the CPU sees it (besides physical memory, which is mmu::PhysMap).
// The board implements it; cpu/ never includes devices/. (Shape after dynarmic's UserCallbacks.)
#pragma once

#include "base/types.h"

namespace cpu {

struct CpuState;

enum class ShutdownKind : u8 { TripleFault, ResetRequest };

class CpuEnv {
public:
    virtual ~CpuEnv() = default;

    /// Port input of 1, 2 or 4 bytes. Unmapped ports read all-ones.
    virtual u32 port_in(u16 port, unsigned size) = 0;
    virtual void port_out(u16 port, unsigned size, u32 value) = 0;

    /// Called when the CPU accepts a maskable interrupt (INTR high, IF set): returns the vector.
    virtual u8 acknowledge_interrupt() = 0;

    /// A paravirtual hypercall (VMCALL, or the PV layer's software interrupt). Returns false
    /// if no hypercall layer is present (the instruction then raises #UD).
    virtual bool hypercall(CpuState& state) {
        (void)state;
        return false;
    }

    /// Virtual time in TSC ticks (the CPU adds its offset for RDTSC).
    virtual u64 tsc() = 0;

    /// Triple fault or a reset request. The CPU stops its run loop after this.
    virtual void shutdown(ShutdownKind kind) = 0;

    /// FERR#: with CR0.NE=0 a pending unmasked x87 exception is reported by asserting this
    /// line (a PC board routes it to IRQ 13) instead of raising #MF. Deasserted when the x87
    /// exception flags are cleared (FNCLEX, FNINIT, FNSAVE, FLDENV/FRSTOR/FLDCW without one).
    virtual void fpu_error(bool asserted) { (void)asserted; }

    /// The CPU wrote IA32_APIC_BASE (MSR 0x1B); `value` is the MSR's new contents. A board
    /// with a local APIC moves its register page, or hardware-enables/disables it (bit 11).
    virtual void apic_base_changed(u64 value) { (void)value; }
};

} // namespace cpu
