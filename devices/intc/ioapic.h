// SPDX-License-Identifier: MIT
// The 82093AA I/O APIC at 0xFEC00000: IOREGSEL/IOWIN indirect access to the ID, version
// (0x11, 24 entries) and arbitration registers and the 24 redirection entries (vector,
// delivery mode, destination mode, polarity, remote IRR, trigger mode, mask, destination).
// Its pins are IrqSink inputs that the board fans out from the ISA IRQ lines (alongside the
// 8259A); asserted pins become messages to the local APICs, and the local APICs' EOI
// broadcasts clear remote IRR for level-triggered entries. Not modelled: the APIC serial bus
// timing and arbitration (messages are delivered instantly, so delivery status is always
// idle), SMI and INIT delivery, and the PIIX's relocation of the register window.
#pragma once

#include "devices/device.h"
#include "devices/intc/lapic.h"
#include "devices/irq.h"
#include "mmu/phys_map.h"

#include <array>
#include <vector>

namespace devices {

inline constexpr DeviceInfo kIoApicInfo{"ioapic", "82093AA I/O APIC, 24 pins"};

class IoApic final : public Device, public mmu::MmioOps, public IrqSink, public EoiListener {
public:
    static constexpr u64 kDefaultBase = 0xFEC00000;
    static constexpr u64 kMmioSize = 0x1000;
    static constexpr unsigned kPins = 24;
    static constexpr u32 kVersion = 0x00170011; ///< version 0x11, maximum redirection entry 23

    /// `id` is the I/O APIC ID after reset. The 82093AA resets it to 0 and the BIOS programs
    /// the value it then reports in the MP table / MADT; without a BIOS we start with it.
    explicit IoApic(u8 id = 0);

    /// Adds a local APIC that receives this I/O APIC's messages (and whose EOIs it hears:
    /// the board also calls lapic.set_eoi_listener(&ioapic)).
    void connect(Lapic* lapic) { m_lapics.push_back(lapic); }

    // Device
    std::string_view name() const override { return kIoApicInfo.name; }
    void reset(ResetKind kind) override;

    // MmioOps: IOREGSEL at offset 0x00, IOWIN at 0x10 (the datasheet asks for dword accesses;
    // narrower ones read or merge the addressed bytes).
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, unsigned size, u64 value) override;

    /// Indirect register access (what IOWIN reaches when IOREGSEL = `index`).
    u32 read_register(u8 index) const;
    void write_register(u8 index, u32 value);

    /// IrqSink: input pin `line` (0-23) now has electrical level `level`. The entry's polarity
    /// bit decides whether that level is the asserted state; tx86's interrupt lines are all
    /// active high, so firmware tables describe every pin as active high.
    void set_irq(unsigned line, bool level) override;

    /// EoiListener: a local APIC issued EOI for level-triggered `vector`.
    void eoi_broadcast(u8 vector) override;

    /// Test views.
    u64 redirection(unsigned pin) const { return m_redir[pin]; }
    u8 id() const { return m_id; }

private:
    static constexpr u64 kMasked = u64{1} << 16;
    static constexpr u64 kLevel = u64{1} << 15;
    static constexpr u64 kRemoteIrr = u64{1} << 14;
    static constexpr u64 kActiveLow = u64{1} << 13;

    bool asserted(unsigned pin) const {
        return m_pin_level[pin] != ((m_redir[pin] & kActiveLow) != 0);
    }
    /// Sends pin's message; returns true if a local APIC accepted it.
    bool deliver(unsigned pin);
    /// Re-evaluates a pin after its level or its entry changed (`was_asserted` = before).
    void service(unsigned pin, bool was_asserted);
    /// Recomputes the ExtINT request level passed to the local APICs.
    void update_extint();

    std::vector<Lapic*> m_lapics;
    u8 m_reset_id;
    // State (plain members for save/load).
    u8 m_id = 0;
    u8 m_arb_id = 0;
    u8 m_regsel = 0;
    std::array<u64, kPins> m_redir{};
    std::array<bool, kPins> m_pin_level{};
    bool m_extint = false;
};

} // namespace devices
