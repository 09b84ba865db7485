// SPDX-License-Identifier: MIT
// The local APIC of the (single) CPU: the xAPIC register page (default 0xFEE00000, moved or
// hardware-disabled through the IA32_APIC_BASE MSR, which the board forwards here), interrupt
// acceptance and priority (IRR/ISR/TMR, TPR/PPR/APR, EOI with the EOI broadcast to the I/O
// APIC for level-triggered vectors), the local vector table (timer, thermal, performance
// counter, LINT0, LINT1, error), the error status register, the ICR for self-IPIs, and the
// APIC timer (one-shot and periodic) against the scheduler's virtual clock. It sits between
// the 8259A and the CPU: the PIC's INTR goes into LINT0 and the APIC's own INTR output drives
// the CPU. Not modelled: x2APIC, TSC-deadline timer mode, SMI, INIT/STARTUP (there is only
// one CPU, so those IPIs have no target), remote read, and thermal/performance sources (their
// LVT entries are plain storage).
#pragma once

#include "devices/device.h"
#include "devices/irq.h"
#include "devices/scheduler.h"
#include "mmu/phys_map.h"

#include <array>
#include <functional>

namespace devices {

inline constexpr DeviceInfo kLapicInfo{"lapic", "local APIC (xAPIC) with timer"};

/// APIC delivery modes (the 3-bit field of LVT entries, the ICR and I/O APIC redirections).
enum class ApicDelivery : u8 {
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    Startup = 6,
    ExtInt = 7,
};

/// One interrupt message on the APIC bus (I/O APIC -> local APIC, or an IPI).
struct ApicMessage {
    u8 vector = 0;
    ApicDelivery mode = ApicDelivery::Fixed;
    bool level_triggered = false; ///< trigger mode: sets the TMR bit on acceptance
    bool logical = false;         ///< destination mode: logical (LDR/DFR) or physical (APIC ID)
    u8 dest = 0;                  ///< destination field (0xFF = broadcast in physical mode)
};

/// Told of a local APIC's EOI for a level-triggered vector (the I/O APIC implements it).
class EoiListener {
public:
    virtual ~EoiListener() = default;
    /// An EOI was issued for `vector`, which was accepted as level-triggered.
    virtual void eoi_broadcast(u8 vector) = 0;
};

class Lapic final : public Device, public mmu::MmioOps, public IrqSink, public IntrListener {
public:
    static constexpr u64 kDefaultBase = 0xFEE00000;
    static constexpr u64 kMmioSize = 0x1000;
    /// The APIC timer's input clock. The SDM leaves it model-specific; 1 GHz makes one bus
    /// clock exactly one virtual nanosecond, so every count maps to a whole ns deadline.
    static constexpr u64 kBusHz = 1000000000;
    /// Version register: xAPIC version 0x14, six LVT entries (max LVT index 5).
    static constexpr u32 kVersion = 0x00050014;

    // Register offsets in the APIC page (SDM Vol. 3A, Table 10-1).
    static constexpr u32 kRegId = 0x020, kRegVersion = 0x030, kRegTpr = 0x080, kRegApr = 0x090,
                         kRegPpr = 0x0A0, kRegEoi = 0x0B0, kRegRrd = 0x0C0, kRegLdr = 0x0D0,
                         kRegDfr = 0x0E0, kRegSvr = 0x0F0, kRegIsr = 0x100, kRegTmr = 0x180,
                         kRegIrr = 0x200, kRegEsr = 0x280, kRegIcrLo = 0x300, kRegIcrHi = 0x310,
                         kRegLvtTimer = 0x320, kRegLvtThermal = 0x330, kRegLvtPerf = 0x340,
                         kRegLvtLint0 = 0x350, kRegLvtLint1 = 0x360, kRegLvtError = 0x370,
                         kRegTimerInit = 0x380, kRegTimerCurrent = 0x390, kRegTimerDivide = 0x3E0;

    /// `apic_id` is the initial APIC ID (CPUID.1:EBX[31:24] must agree). `bsp` sets bit 8 of
    /// the reset APIC_BASE value.
    explicit Lapic(Scheduler& sched, u8 apic_id = 0, bool bsp = true);

    // ---- wiring ----
    /// The APIC's INTR output to the CPU (the board sets Cpu::intr_line from it).
    void set_intr_output(IntrListener* out);
    /// Called once per NMI the APIC sends the CPU (the board sets Cpu::nmi_line).
    void set_nmi_output(std::function<void()> nmi) { m_nmi_out = std::move(nmi); }
    /// The 8259A's interrupt-acknowledge cycle (I8259::acknowledge), used for ExtINT.
    void set_extint_ack(std::function<u8()> ack) { m_extint_ack = std::move(ack); }
    /// Receiver of EOI broadcasts for level-triggered vectors (the I/O APIC).
    void set_eoi_listener(EoiListener* l) { m_eoi_listener = l; }

    // Device
    std::string_view name() const override { return kLapicInfo.name; }
    /// Power-on/INIT state; APIC_BASE returns to its reset value (enabled, 0xFEE00000).
    void reset(ResetKind kind) override;

    // ---- IA32_APIC_BASE (MSR 0x1B) ----
    /// The CPU wrote APIC_BASE. Clearing bit 11 hardware-disables the APIC (LINT0/LINT1 then
    /// pass straight through to INTR/NMI) and returns its registers to the reset state. The
    /// board remaps the register page to mmio_base() when it changes, and unmaps it while the
    /// APIC is hardware-disabled (the page is not decoded then).
    void set_apic_base(u64 value);
    u64 apic_base() const { return m_apic_base; }
    u64 mmio_base() const { return m_apic_base & ~u64{0xFFF}; }
    bool hw_enabled() const { return (m_apic_base & 0x800) != 0; }
    /// SVR bit 8: the APIC is software-enabled.
    bool sw_enabled() const { return (m_svr & 0x100) != 0; }

    // MmioOps: the 4 KiB register page. Registers are 32 bits at 16-byte boundaries;
    // narrower reads return the addressed bytes, other writes than an aligned dword are ignored.
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, unsigned size, u64 value) override;

    /// Register access by offset (aligned dword), for the MMIO path and tests.
    u32 read_reg(u32 offset);
    void write_reg(u32 offset, u32 value);

    // ---- inputs ----
    /// IrqSink: line 0 = LINT0, line 1 = LINT1 (electrical level; the LVT polarity bit applies
    /// except in ExtINT mode, where the pin carries the 8259A's active-high INTR).
    void set_irq(unsigned line, bool level) override;
    /// IntrListener: the 8259A's INTR output, wired to LINT0.
    void intr_changed(bool asserted) override { set_irq(0, asserted); }
    /// True if a message with this destination addresses this APIC.
    bool matches(u8 dest, bool logical) const;
    /// A message from the APIC bus (I/O APIC redirection or IPI). Returns true if this APIC
    /// accepted it (for Fixed/LowestPriority: the vector is now in IRR). Destination matching
    /// is the caller's business (see matches()).
    bool receive(const ApicMessage& msg);
    /// Level of an ExtINT request routed through the I/O APIC (virtual wire via the I/O APIC):
    /// while asserted the APIC asks the 8259A for a vector, like LINT0 in ExtINT mode.
    void set_ioapic_extint(bool asserted);

    // ---- towards the CPU ----
    /// INTR output: something may be dispatched to the CPU now.
    bool has_interrupt() const { return m_intr; }
    /// The CPU's interrupt acknowledge: an ExtINT request asks the 8259A; otherwise the
    /// highest IRR vector above the processor priority moves to ISR. Nothing deliverable (the
    /// TPR rose since INTR) returns the spurious vector without touching ISR.
    u8 acknowledge();

    // ---- views for tests and the board ----
    u8 id() const { return static_cast<u8>(m_id >> 24); }
    u32 ppr() const;
    bool irr_bit(u8 v) const { return test(m_irr, v); }
    bool isr_bit(u8 v) const { return test(m_isr, v); }
    bool tmr_bit(u8 v) const { return test(m_tmr, v); }
    /// The APIC timer's current count now.
    u32 timer_current() const;

private:
    using Bits256 = std::array<u32, 8>;
    /// LVT entries in register order (0x320 + 0x10 * index).
    enum Lvt : unsigned {
        kLvtTimer,
        kLvtThermal,
        kLvtPerf,
        kLvtLint0,
        kLvtLint1,
        kLvtError,
        kLvtCount
    };

    static bool test(const Bits256& b, u8 v) { return (b[v >> 5] >> (v & 31)) & 1; }
    static void set(Bits256& b, u8 v) { b[v >> 5] |= 1u << (v & 31); }
    static void clear(Bits256& b, u8 v) { b[v >> 5] &= ~(1u << (v & 31)); }
    /// Highest set vector, or -1.
    static int highest(const Bits256& b);

    void reset_registers();
    /// Highest IRR vector whose priority class is above PPR's, or -1.
    int deliverable() const;
    u32 apr() const;
    bool extint_pending() const;
    /// Recomputes and reports the INTR output.
    void update_intr();
    /// Puts `vector` in IRR (Fixed/LowestPriority acceptance). Vectors 0-15 are illegal.
    bool accept_fixed(u8 vector, bool level);
    void nmi();
    /// Signals local source `which` through its LVT entry (nothing if masked).
    void fire_lvt(unsigned which, bool level_trigger);
    void raise_error(u32 bit);
    void eoi();
    void send_ipi();
    void write_lvt(unsigned which, u32 value);

    // Timer. The count was m_timer_anchor_count at m_timer_anchor_ns and drops by one every
    // m_timer_div ns; expiries happen at timer_first_fire() and, if periodic, every
    // timer_period() after it. m_timer_next is the next expiry not yet signalled.
    void timer_start(u32 count);
    /// Signals an expiry that is due (at most one, whatever the number of periods missed)
    /// and computes the next one.
    void timer_sync();
    void on_timer(u64 deadline);
    u64 timer_first_fire() const {
        return m_timer_anchor_ns + u64{m_timer_anchor_count} * m_timer_div;
    }
    u64 timer_period() const { return u64{m_timer_initial} * m_timer_div; }
    bool timer_periodic() const { return (m_lvt[kLvtTimer] & (1u << 17)) != 0; }

    Scheduler& m_sched;
    TimerId m_timer;
    IntrListener* m_intr_out = nullptr;
    std::function<void()> m_nmi_out;
    std::function<u8()> m_extint_ack;
    EoiListener* m_eoi_listener = nullptr;

    // Architectural state (plain members for save/load).
    u8 m_reset_id;
    bool m_bsp;
    u64 m_apic_base = 0;
    u32 m_id = 0;  ///< ID register (bits 31-24)
    u32 m_tpr = 0;
    u32 m_ldr = 0;
    u32 m_dfr = 0xFFFFFFFF;
    u32 m_svr = 0xFF;
    Bits256 m_irr{};
    Bits256 m_isr{};
    Bits256 m_tmr{};
    u32 m_esr = 0;         ///< the readable ESR (latched by the last ESR write)
    u32 m_esr_pending = 0; ///< errors since the last ESR write
    u32 m_icr_lo = 0;
    u32 m_icr_hi = 0;
    std::array<u32, kLvtCount> m_lvt{};
    u32 m_divide = 0;               ///< divide configuration register as written
    u32 m_timer_initial = 0;
    u32 m_timer_div = 2;            ///< divisor (1..128) from m_divide
    bool m_timer_running = false;
    u64 m_timer_anchor_ns = 0;      ///< time at which the count was m_timer_anchor_count
    u32 m_timer_anchor_count = 0;
    u64 m_timer_next = 0;
    bool m_lint_level[2] = {false, false}; ///< electrical level of LINT0/LINT1
    bool m_ioapic_extint = false;
    bool m_intr = false;
};

} // namespace devices
