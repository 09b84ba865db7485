// SPDX-License-Identifier: MIT
// Local APIC. Facts from the Intel SDM Vol. 3A chapter 10: the register map (Table 10-1), the
// PPR and APR formulas (10.8.3.1, 10.6.2.4), acceptance (IRR, TMR set for level-triggered,
// vectors 0-15 illegal), EOI (clears the highest ISR bit; a set TMR bit sends an EOI message
// to the I/O APICs), the software-disabled state (10.4.7.2: LVT masks forced on), the ESR's
// write-to-update semantics (10.5.3), the LVT layouts (Figure 10-8: ExtINT is always
// level-sensitive, NMI/SMI/INIT always edge) and the timer (10.5.4: divide configuration, the
// count reloads in periodic mode, an initial count of 0 stops it).
//
// Choices where the hardware leaves room or where we deviate on purpose:
//  - Virtual wire at reset. The SDM resets every LVT entry masked; a BIOS then programs the
//    BSP's LINT0 as ExtINT and LINT1 as NMI (the MP specification's virtual wire mode through
//    the local APIC, MPS 1.4 section 3.6.2.2). tx86 also boots kernels without a BIOS, so the
//    BSP leaves reset already in that mode (LINT0 = 0x700, LINT1 = 0x400) and the 8259A's
//    INTR reaches the CPU through LINT0 whether or not the guest ever touches the APIC (this
//    is what `nolapic` guests rely on). The SVR still resets to 0xFF (software-disabled);
//    the forced masks of the software-disabled state apply when the guest clears SVR bit 8
//    and to LVT writes made while it is clear, not to these reset values.
//  - Fixed interrupts held in IRR keep being dispatched while software-disabled; new fixed
//    messages are refused then (SDM: only NMI, SMI, INIT and SIPI are accepted).
//  - ExtINT requests win over IRR vectors at INTA: they bypass the APIC's priority logic.
//  - The timer clock is kBusHz (1 GHz): a count of N at divisor D expires after N*D ns.
//  - PPR sub-class when TPR[7:4] == ISRV[7:4] (model-specific): TPR[3:0].
//  - Hardware disable (APIC_BASE bit 11 = 0) returns all registers to their reset values,
//    which the SDM permits ("prior initialization may be lost").
#include "devices/intc/lapic.h"

#include "base/log.h"

#include <algorithm>
#include <bit>

namespace devices {

namespace {

constexpr u32 kLvtMasked = 1u << 16;
constexpr u32 kLvtRemoteIrr = 1u << 14;
constexpr u32 kLvtLevel = 1u << 15;
constexpr u32 kLvtActiveLow = 1u << 13;

// ESR bits (SDM Figure 10-9).
constexpr u32 kEsrSendIllegalVector = 1u << 5;
constexpr u32 kEsrReceiveIllegalVector = 1u << 6;
constexpr u32 kEsrIllegalRegister = 1u << 7;

// Writable bits per LVT entry (SDM Figure 10-8). Bit 18 of the timer (TSC-deadline mode) is
// not offered: CPUID does not advertise TSC-deadline.
constexpr u32 kLvtWritable[] = {
    0x000300FF, // timer: vector, mask, periodic
    0x000107FF, // thermal: vector, delivery mode, mask
    0x000107FF, // performance counter
    0x0001A7FF, // LINT0: vector, delivery mode, polarity, trigger, mask
    0x0001A7FF, // LINT1
    0x000100FF, // error: vector, mask
};

ApicDelivery lvt_mode(u32 lvt) { return static_cast<ApicDelivery>((lvt >> 8) & 7); }

void guest_error(const char* what, u32 a = 0, u32 b = 0) {
    if (base::log_enabled(base::kLogGuestErr)) {
        base::log_printf("lapic: %s (0x%x, 0x%x)\n", what, a, b);
    }
}

void unimplemented(const char* what, u32 a = 0) {
    if (base::log_enabled(base::kLogUnimp)) {
        base::log_printf("lapic: %s (0x%x) ignored\n", what, a);
    }
}

} // namespace

Lapic::Lapic(Scheduler& sched, u8 apic_id, bool bsp)
    : m_sched(sched), m_reset_id(apic_id), m_bsp(bsp) {
    m_timer = m_sched.create_timer("lapic-timer", [this](u64 deadline) { on_timer(deadline); });
    reset(ResetKind::PowerOn);
}

void Lapic::set_intr_output(IntrListener* out) {
    m_intr_out = out;
    if (m_intr_out) {
        m_intr_out->intr_changed(m_intr);
    }
}

void Lapic::reset(ResetKind kind) {
    (void)kind;
    m_apic_base = kDefaultBase | 0x800 | (m_bsp ? 0x100 : 0);
    reset_registers();
}

void Lapic::reset_registers() {
    m_id = u32{m_reset_id} << 24;
    m_tpr = 0;
    m_ldr = 0;
    m_dfr = 0xFFFFFFFF;
    m_svr = 0xFF;
    m_irr = {};
    m_isr = {};
    m_tmr = {};
    m_esr = 0;
    m_esr_pending = 0;
    m_icr_lo = 0;
    m_icr_hi = 0;
    m_lvt.fill(kLvtMasked);
    if (m_bsp) {
        // Virtual wire mode through the local APIC (see the file comment).
        m_lvt[kLvtLint0] = static_cast<u32>(ApicDelivery::ExtInt) << 8;
        m_lvt[kLvtLint1] = static_cast<u32>(ApicDelivery::Nmi) << 8;
    }
    m_divide = 0;
    m_timer_div = 2;
    m_timer_initial = 0;
    m_timer_running = false;
    m_timer_anchor_ns = 0;
    m_timer_anchor_count = 0;
    m_timer_next = 0;
    m_sched.cancel(m_timer);
    // m_lint_level and m_ioapic_extint are input wires: they keep their level.
    update_intr();
}

void Lapic::set_apic_base(u64 value) {
    const bool was_enabled = hw_enabled();
    m_apic_base = value;
    if (was_enabled && !hw_enabled()) {
        reset_registers();
    }
    update_intr();
}

// ---------------------------------------------------------------------------------------------
// Priority and dispatch

int Lapic::highest(const Bits256& b) {
    for (int i = 7; i >= 0; --i) {
        if (b[static_cast<unsigned>(i)]) {
            return i * 32 + (31 - std::countl_zero(b[static_cast<unsigned>(i)]));
        }
    }
    return -1;
}

u32 Lapic::ppr() const {
    const int isrv = highest(m_isr);
    const u32 isr_class = isrv < 0 ? 0 : static_cast<u32>(isrv) & 0xF0;
    if ((m_tpr & 0xF0) >= isr_class) {
        return m_tpr;
    }
    return isr_class;
}

u32 Lapic::apr() const {
    const int isrv = highest(m_isr);
    const int irrv = highest(m_irr);
    const u32 tpr_c = m_tpr >> 4;
    const u32 isr_c = isrv < 0 ? 0 : static_cast<u32>(isrv) >> 4;
    const u32 irr_c = irrv < 0 ? 0 : static_cast<u32>(irrv) >> 4;
    if (tpr_c >= irr_c && tpr_c > isr_c) {
        return m_tpr;
    }
    return std::max(tpr_c & isr_c, irr_c) << 4;
}

int Lapic::deliverable() const {
    const int v = highest(m_irr);
    if (v < 0 || (static_cast<u32>(v) & 0xF0) <= (ppr() & 0xF0)) {
        return -1;
    }
    return v;
}

bool Lapic::extint_pending() const {
    if (!hw_enabled()) {
        return false;
    }
    const u32 lint0 = m_lvt[kLvtLint0];
    const bool via_lint0 = lvt_mode(lint0) == ApicDelivery::ExtInt && !(lint0 & kLvtMasked) &&
                           m_lint_level[0];
    return via_lint0 || m_ioapic_extint;
}

void Lapic::update_intr() {
    // Hardware-disabled: the processor behaves as one without an APIC, LINT0 being INTR.
    const bool level = hw_enabled() ? (extint_pending() || deliverable() >= 0) : m_lint_level[0];
    if (level != m_intr) {
        m_intr = level;
        if (m_intr_out) {
            m_intr_out->intr_changed(level);
        }
    }
}

u8 Lapic::acknowledge() {
    if (!hw_enabled() || extint_pending()) {
        // The vector comes from the 8259A's INTA cycle (ExtINT bypasses IRR/ISR).
        const u8 v = m_extint_ack ? m_extint_ack() : static_cast<u8>(m_svr & 0xFF);
        update_intr();
        return v;
    }
    const int v = deliverable();
    if (v < 0) {
        // The request went away (TPR raised) between INTR and INTA: spurious vector, no ISR.
        return static_cast<u8>(m_svr & 0xFF);
    }
    const u8 vec = static_cast<u8>(v);
    clear(m_irr, vec);
    set(m_isr, vec);
    update_intr();
    return vec;
}

bool Lapic::accept_fixed(u8 vector, bool level) {
    if (vector < 16) {
        raise_error(kEsrReceiveIllegalVector);
        return false;
    }
    set(m_irr, vector);
    if (level) {
        set(m_tmr, vector);
    } else {
        clear(m_tmr, vector);
    }
    update_intr();
    return true;
}

void Lapic::nmi() {
    if (m_nmi_out) {
        m_nmi_out();
    }
}

void Lapic::fire_lvt(unsigned which, bool level_trigger) {
    const u32 lvt = m_lvt[which];
    if (lvt & kLvtMasked) {
        return;
    }
    // The timer and error entries have no delivery-mode field: they are always Fixed.
    const ApicDelivery mode =
        (which == kLvtTimer || which == kLvtError) ? ApicDelivery::Fixed : lvt_mode(lvt);
    switch (mode) {
    case ApicDelivery::Fixed: accept_fixed(static_cast<u8>(lvt & 0xFF), level_trigger); break;
    case ApicDelivery::Nmi: nmi(); break;
    case ApicDelivery::ExtInt: update_intr(); break;
    default: unimplemented("LVT delivery mode (SMI/INIT/reserved)", lvt); break;
    }
}

void Lapic::raise_error(u32 bit) {
    // An error already pending since the last ESR write does not interrupt again; this also
    // bounds the recursion of an error LVT that itself holds an illegal vector.
    const bool fresh = !(m_esr_pending & bit);
    m_esr_pending |= bit;
    if (fresh) {
        fire_lvt(kLvtError, false);
    }
}

void Lapic::eoi() {
    const int v = highest(m_isr);
    if (v < 0) {
        return; // EOI with nothing in service has no effect
    }
    const u8 vec = static_cast<u8>(v);
    clear(m_isr, vec);
    update_intr();
    if (!test(m_tmr, vec)) {
        return;
    }
    // Level-triggered: release LINT pins delivering this vector (their remote IRR) and tell
    // the I/O APIC, which clears its remote IRR and re-sends if the line is still asserted.
    for (unsigned which : {unsigned{kLvtLint0}, unsigned{kLvtLint1}}) {
        u32& lvt = m_lvt[which];
        if ((lvt & kLvtRemoteIrr) && (lvt & 0xFF) == vec) {
            lvt &= ~kLvtRemoteIrr;
            set_irq(which - kLvtLint0, m_lint_level[which - kLvtLint0]);
        }
    }
    if (m_eoi_listener) {
        m_eoi_listener->eoi_broadcast(vec);
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

bool Lapic::matches(u8 dest, bool logical) const {
    if (!logical) {
        return dest == 0xFF || dest == id();
    }
    const u32 ldr = m_ldr >> 24;
    if ((m_dfr >> 28) == 0x0) {
        // Cluster model: high nibble selects the cluster (15 = all), low nibble the members.
        const u32 cluster = dest >> 4;
        return (cluster == 0xF || cluster == (ldr >> 4)) && (dest & ldr & 0x0F) != 0;
    }
    // Flat model (DFR model 0xF; other values are reserved and treated the same).
    return (dest & ldr) != 0;
}

bool Lapic::receive(const ApicMessage& msg) {
    if (!hw_enabled()) {
        return false;
    }
    switch (msg.mode) {
    case ApicDelivery::Fixed:
    case ApicDelivery::LowestPriority:
        if (!sw_enabled()) {
            return false;
        }
        return accept_fixed(msg.vector, msg.level_triggered);
    case ApicDelivery::Nmi: nmi(); return true;
    case ApicDelivery::Init:
    case ApicDelivery::Startup:
        // One CPU: INIT and SIPI could only target this (running) processor; ignored.
        unimplemented("INIT/STARTUP message to the only CPU", msg.vector);
        return true;
    default: unimplemented("APIC message delivery mode", static_cast<u32>(msg.mode)); return false;
    }
}

void Lapic::set_ioapic_extint(bool asserted) {
    m_ioapic_extint = asserted;
    update_intr();
}

void Lapic::set_irq(unsigned line, bool level) {
    if (line > 1) {
        return;
    }
    const bool was = m_lint_level[line];
    m_lint_level[line] = level;
    if (!hw_enabled()) {
        // No APIC: LINT0 is INTR and LINT1 is NMI (edge).
        if (line == 0) {
            update_intr();
        } else if (level && !was) {
            nmi();
        }
        return;
    }
    const unsigned which = kLvtLint0 + line;
    const u32 lvt = m_lvt[which];
    const ApicDelivery mode = lvt_mode(lvt);
    if (mode == ApicDelivery::ExtInt) {
        // The 8259A's INTR is an active-high level; the vector comes at INTA.
        update_intr();
        return;
    }
    if (lvt & kLvtMasked) {
        return; // edges on a masked pin are lost; a level is sampled again at unmask
    }
    const bool active_low = (lvt & kLvtActiveLow) != 0;
    const bool asserted = level != active_low;
    const bool was_asserted = was != active_low;
    if (mode == ApicDelivery::Fixed && (lvt & kLvtLevel)) {
        if (asserted && !(lvt & kLvtRemoteIrr)) {
            if (accept_fixed(static_cast<u8>(lvt & 0xFF), true)) {
                m_lvt[which] |= kLvtRemoteIrr;
            }
        }
        return;
    }
    if (asserted && !was_asserted) {
        fire_lvt(which, false);
    }
}

// ---------------------------------------------------------------------------------------------
// Registers

u64 Lapic::mmio_read(u64 offset, unsigned size) {
    const unsigned byte = offset & 0xF;
    if (byte >= 4) {
        return 0; // the upper 12 bytes of each 16-byte slot are reserved
    }
    u64 v = read_reg(static_cast<u32>(offset & 0xFF0)) >> (8 * byte);
    if (size < 8) {
        v &= (u64{1} << (8 * size)) - 1;
    }
    return v;
}

void Lapic::mmio_write(u64 offset, unsigned size, u64 value) {
    if ((offset & 0xF) != 0 || size < 4) {
        guest_error("unaligned or narrow register write ignored", static_cast<u32>(offset), size);
        return;
    }
    write_reg(static_cast<u32>(offset & 0xFF0), static_cast<u32>(value));
}

u32 Lapic::read_reg(u32 offset) {
    if (offset >= kRegIsr && offset < kRegIsr + 0x80) {
        return m_isr[(offset - kRegIsr) >> 4];
    }
    if (offset >= kRegTmr && offset < kRegTmr + 0x80) {
        return m_tmr[(offset - kRegTmr) >> 4];
    }
    if (offset >= kRegIrr && offset < kRegIrr + 0x80) {
        return m_irr[(offset - kRegIrr) >> 4];
    }
    if (offset >= kRegLvtTimer && offset <= kRegLvtError) {
        return m_lvt[(offset - kRegLvtTimer) >> 4]; // delivery status (bit 12) always idle
    }
    switch (offset) {
    case kRegId: return m_id;
    case kRegVersion: return kVersion;
    case kRegTpr: return m_tpr;
    case kRegApr: return apr();
    case kRegPpr: return ppr();
    case kRegEoi: return 0; // write-only
    case kRegRrd: return 0; // remote read never completes here
    case kRegLdr: return m_ldr;
    case kRegDfr: return m_dfr;
    case kRegSvr: return m_svr;
    case kRegEsr: return m_esr;
    case kRegIcrLo: return m_icr_lo; // delivery status (bit 12) always idle: IPIs are instant
    case kRegIcrHi: return m_icr_hi;
    case kRegTimerInit: return m_timer_initial;
    case kRegTimerCurrent: return timer_current();
    case kRegTimerDivide: return m_divide;
    default:
        guest_error("read of a reserved register", offset);
        raise_error(kEsrIllegalRegister);
        return 0;
    }
}

void Lapic::write_reg(u32 offset, u32 value) {
    if ((offset >= kRegIsr && offset < kRegIrr + 0x80) || offset == kRegVersion ||
        offset == kRegApr || offset == kRegPpr || offset == kRegRrd ||
        offset == kRegTimerCurrent) {
        return; // read-only registers ignore writes
    }
    if (offset >= kRegLvtTimer && offset <= kRegLvtError) {
        write_lvt((offset - kRegLvtTimer) >> 4, value);
        return;
    }
    switch (offset) {
    case kRegId: m_id = value & 0xFF000000; break;
    case kRegTpr:
        m_tpr = value & 0xFF;
        update_intr();
        break;
    case kRegEoi: eoi(); break;
    case kRegLdr: m_ldr = value & 0xFF000000; break;
    case kRegDfr: m_dfr = (value & 0xF0000000) | 0x0FFFFFFF; break;
    case kRegSvr: {
        const bool was = sw_enabled();
        // Vector, APIC enable and focus checking; EOI-broadcast suppression is not offered.
        m_svr = value & 0x3FF;
        if (was && !sw_enabled()) {
            timer_sync();
            for (u32& lvt : m_lvt) {
                lvt |= kLvtMasked;
            }
        }
        update_intr();
        break;
    }
    case kRegEsr:
        // Write-to-update: the readable ESR takes the errors seen since the last write.
        m_esr = m_esr_pending;
        m_esr_pending = 0;
        break;
    case kRegIcrLo:
        m_icr_lo = value & 0x000CCFFF;
        send_ipi();
        break;
    case kRegIcrHi: m_icr_hi = value & 0xFF000000; break;
    case kRegTimerInit: timer_start(value); break;
    case kRegTimerDivide: {
        timer_sync();
        const u32 cur = timer_current();
        m_divide = value & 0xB;
        const u32 code = (m_divide & 3) | ((m_divide >> 1) & 4);
        m_timer_div = 1u << ((code + 1) & 7);
        if (m_timer_running && cur != 0) {
            // The count carries on from where it is, at the new rate.
            m_timer_anchor_ns = m_sched.now();
            m_timer_anchor_count = cur;
            m_timer_next = timer_first_fire();
            m_sched.arm(m_timer, m_timer_next);
        }
        break;
    }
    default:
        guest_error("write to a reserved register", offset, value);
        raise_error(kEsrIllegalRegister);
        break;
    }
}

void Lapic::write_lvt(unsigned which, u32 value) {
    if (which == kLvtTimer) {
        timer_sync();
    }
    u32 v = value & kLvtWritable[which];
    if (!sw_enabled()) {
        v |= kLvtMasked;
    }
    if (which == kLvtLint0 || which == kLvtLint1) {
        v |= m_lvt[which] & kLvtRemoteIrr;
        if (!(v & kLvtLevel)) {
            v &= ~kLvtRemoteIrr; // remote IRR only has meaning for level-triggered pins
        }
    }
    m_lvt[which] = v;
    if (which == kLvtTimer && m_timer_running && !timer_periodic() &&
        m_timer_next > timer_first_fire()) {
        // Switched to one-shot after a periodic reload: the one-shot count already ran out.
        m_timer_running = false;
        m_sched.cancel(m_timer);
    }
    if (which == kLvtLint0 || which == kLvtLint1) {
        const u8 pin = static_cast<u8>(which - kLvtLint0);
        // A level-triggered Fixed pin that is asserted now interrupts once unmasked.
        if (lvt_mode(v) == ApicDelivery::Fixed && (v & kLvtLevel) && !(v & kLvtMasked)) {
            set_irq(pin, m_lint_level[pin]);
        }
    }
    update_intr();
}

void Lapic::send_ipi() {
    const u8 vector = static_cast<u8>(m_icr_lo & 0xFF);
    const auto mode = static_cast<ApicDelivery>((m_icr_lo >> 8) & 7);
    const bool logical = (m_icr_lo & (1u << 11)) != 0;
    const bool level_trig = (m_icr_lo & (1u << 15)) != 0;
    const u32 shorthand = (m_icr_lo >> 18) & 3;
    const u8 dest = static_cast<u8>(m_icr_hi >> 24);
    // 1 = self, 2 = all including self, 3 = all excluding self (nobody: one CPU).
    const bool to_self =
        shorthand == 1 || shorthand == 2 || (shorthand == 0 && matches(dest, logical));
    if ((mode == ApicDelivery::Fixed || mode == ApicDelivery::LowestPriority) && vector < 16) {
        raise_error(kEsrSendIllegalVector);
        return;
    }
    if (!to_self) {
        return;
    }
    receive(ApicMessage{vector, mode, level_trig, logical, dest});
}

// ---------------------------------------------------------------------------------------------
// Timer

u32 Lapic::timer_current() const {
    if (!m_timer_running) {
        return 0;
    }
    const u64 elapsed = (m_sched.now() - m_timer_anchor_ns) / m_timer_div;
    if (elapsed < m_timer_anchor_count) {
        return static_cast<u32>(m_timer_anchor_count - elapsed);
    }
    if (!timer_periodic() || m_timer_initial == 0) {
        return 0;
    }
    // Reloaded from the initial count each time it reached zero.
    return static_cast<u32>(m_timer_initial - (elapsed - m_timer_anchor_count) % m_timer_initial);
}

void Lapic::timer_start(u32 count) {
    m_timer_initial = count;
    if (count == 0) {
        m_timer_running = false;
        m_sched.cancel(m_timer);
        return;
    }
    m_timer_running = true;
    m_timer_anchor_ns = m_sched.now();
    m_timer_anchor_count = count;
    m_timer_next = timer_first_fire();
    m_sched.arm(m_timer, m_timer_next);
}

void Lapic::timer_sync() {
    if (!m_timer_running || m_timer_next > m_sched.now()) {
        return;
    }
    // One expiry is signalled however many periods passed: IRR holds one request per vector.
    fire_lvt(kLvtTimer, false);
    const u64 now = m_sched.now();
    if (timer_periodic()) {
        const u64 first = timer_first_fire();
        const u64 period = timer_period();
        m_timer_next = first + ((now - first) / period + 1) * period;
        m_sched.arm(m_timer, m_timer_next);
    } else {
        m_timer_running = false;
        m_sched.cancel(m_timer);
    }
}

void Lapic::on_timer(u64 deadline) {
    (void)deadline;
    timer_sync();
    if (m_timer_running && !m_sched.armed(m_timer)) {
        m_sched.arm(m_timer, m_timer_next);
    }
}

} // namespace devices
