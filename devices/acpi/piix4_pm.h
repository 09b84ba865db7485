// SPDX-License-Identifier: MIT
// The PIIX4 power-management function 00:01.3 (8086:7113), shaped like the one QEMU's `pc`
// machine exposes next to a PIIX3, which is what SeaBIOS and Linux drive. PCI side: PMBASE
// (0x40, a 64-byte I/O block, decoded when PMREGMISC 0x80 bit 0 is set), SMBus base (0x90)
// and host config (0xD2) kept as storage, and DEVACTB (0x58) with APMC_EN preset to tell
// firmware that SMM is already set up (we have no SMM). I/O side, the ACPI fixed hardware
// (ACPI spec 4.8): PM1a_EVT at PMBASE+0 (PM1_STS write-1-to-clear, PM1_EN), PM1a_CNT at
// PMBASE+4 (SCI_EN, SLP_TYP, SLP_EN), the 24-bit PM timer at PMBASE+8 (3.579545 MHz from
// the scheduler's clock; TMR_STS is set each time bit 23 toggles), GPE0 at PMBASE+0xC
// (GPSTS write-1-to-clear, GPEN). SCI is a level on ISA IRQ 9. The APM control port 0xB2
// takes the FADT's ACPI_ENABLE/ACPI_DISABLE values to set/clear SCI_EN; 0xB3 is APM
// status storage. Sleep: SLP_EN with SLP_TYP 0 is S5 (soft off) — the value QEMU's PIIX4
// PM and our DSDT's \_S5 package use — and calls the power-off callback; other sleep types
// are ignored (we advertise no \_S1-\_S4). Not here: SMI generation, SMBus controller,
// device monitors, throttling, the remaining PIIX4 PM registers (kept as plain storage).
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"
#include "devices/pci/pci_device.h"
#include "devices/scheduler.h"

#include <array>
#include <functional>

namespace devices {

inline constexpr DeviceInfo kPiix4PmInfo{"piix4-pm", "PIIX4 ACPI power management (PM timer, SCI, S5)"};

class Piix4Pm final : public Device, public PciDevice, public IoOps {
public:
    static constexpr u64 kTimerHz = 3579545;
    static constexpr u16 kPmIoSize = 64;
    /// Where SeaBIOS puts PMBASE (and where the board maps the block; see pm_io_moved).
    static constexpr u16 kDefaultPmBase = 0x600;
    static constexpr u16 kApmControlPort = 0xB2;
    static constexpr u16 kApmStatusPort = 0xB3;
    /// Values the FADT advertises for SMI_CMD.
    static constexpr u8 kAcpiEnable = 0xF1;
    static constexpr u8 kAcpiDisable = 0xF0;
    /// SLP_TYP value meaning S5 (soft off) on this device; the DSDT's \_S5 matches it.
    static constexpr u8 kSlpTypS5 = 0;

    // Offsets within the PM I/O block.
    static constexpr u16 kPm1Sts = 0x00;
    static constexpr u16 kPm1En = 0x02;
    static constexpr u16 kPm1Cnt = 0x04;
    static constexpr u16 kPmTmr = 0x08;
    static constexpr u16 kGpSts = 0x0C;
    static constexpr u16 kGpEn = 0x0E;

    // PM1 status/enable bits (ACPI spec 4.8.3.1).
    static constexpr u16 kTmrSts = 1u << 0;
    static constexpr u16 kBmSts = 1u << 4;
    static constexpr u16 kGblSts = 1u << 5;
    static constexpr u16 kPwrBtnSts = 1u << 8;
    static constexpr u16 kRtcSts = 1u << 10;
    static constexpr u16 kWakSts = 1u << 15;
    // PM1 control bits (4.8.3.2).
    static constexpr u16 kSciEn = 1u << 0;
    static constexpr u16 kSlpEn = 1u << 13;

    /// `sci` is ISA IRQ 9 (level-triggered: the board sets ELCR bit 9).
    Piix4Pm(Scheduler& sched, IrqLine sci);

    /// Called when the guest enters S5.
    void set_power_off_callback(std::function<void()> cb) { m_power_off = std::move(cb); }
    /// Called when the PM I/O block's decode changes (PMBASE written or PMREGMISC toggled):
    /// the block now answers at [base, base + kPmIoSize) when `enabled`.
    void set_pm_io_callback(std::function<void(u16 base, bool enabled)> cb) {
        m_pm_io_cb = std::move(cb);
    }
    /// Programs PMBASE and the I/O enable as firmware would (direct kernel boot has no
    /// firmware to do it).
    void set_pm_io(u16 base, bool enabled);
    u16 pm_base() const { return static_cast<u16>(reg32(0x40) & 0xFFC0); }
    bool pm_io_enabled() const { return (m_config[0x80] & 1) != 0; }

    /// A press of the power button: sets PWRBTN_STS (an SCI when PWRBTN_EN and SCI_EN).
    void press_power_button();

    /// The ACPI PM timer's value (24 bits) now, and the tick count at virtual time `ns`.
    u32 timer_value() const { return static_cast<u32>(ticks_at(m_sched.now()) & 0xFFFFFF); }
    static u64 ticks_at(u64 ns);
    /// The first ns at which tick `t` has elapsed (exact inverse of ticks_at).
    static u64 ns_of_tick(u64 tick);

    u16 pm1_sts() const { return m_pm1_sts; }
    u16 pm1_en() const { return m_pm1_en; }
    u16 pm1_cnt() const { return m_pm1_cnt; }
    bool sci_level() const { return m_sci.level(); }

    // Device
    std::string_view name() const override { return kPiix4PmInfo.name; }
    void reset(ResetKind kind) override;

    /// IoOps for the PM block: the board maps kPmIoSize ports at the current PMBASE with
    /// kIo8 | kIo16 | kIo32. Ports are decoded against the live PMBASE; accesses outside it
    /// or while I/O decode is off read all-ones.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// IoOps for the APM ports 0xB2-0xB3 (byte access).
    IoOps& apm_ops() { return m_apm; }

private:
    class Apm final : public IoOps {
    public:
        explicit Apm(Piix4Pm& pm) : m_pm(pm) {}
        u32 io_read(u16 port, unsigned size) override;
        void io_write(u16 port, unsigned size, u32 value) override;

    private:
        Piix4Pm& m_pm;
    };

    void config_written(u8 offset, unsigned size) override;
    u8 read_byte(unsigned off);
    void write_byte(unsigned off, u8 v);
    void update_sci();
    void arm_timer();
    void check_pm_io();
    void sleep(unsigned slp_typ);

    Scheduler& m_sched;
    IrqLine m_sci;
    TimerId m_timer;
    Apm m_apm{*this};
    std::function<void()> m_power_off;
    std::function<void(u16, bool)> m_pm_io_cb;

    u16 m_pm1_sts = 0;
    u16 m_pm1_en = 0;
    u16 m_pm1_cnt = 0;
    u16 m_gp_sts = 0;
    u16 m_gp_en = 0;
    std::array<u8, kPmIoSize> m_other{}; ///< remaining PM registers as storage
    u8 m_apmc = 0;
    u8 m_apms = 0;
    u16 m_io_base_seen = 0;
    bool m_io_enabled_seen = false;
};

} // namespace devices
