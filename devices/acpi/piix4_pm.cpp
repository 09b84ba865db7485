// SPDX-License-Identifier: MIT
// Piix4Pm: PM configuration registers, ACPI fixed-hardware registers, PM timer, SCI, APM.
#include "devices/acpi/piix4_pm.h"

#include "base/log.h"

namespace devices {

namespace {
constexpr u64 kNsPerSec = 1'000'000'000;
constexpr u64 kMsbPeriod = u64{1} << 23; // TMR_STS interval: bit 23 of the 24-bit counter
constexpr u16 kPm1StsBits = Piix4Pm::kTmrSts | Piix4Pm::kBmSts | Piix4Pm::kGblSts |
                            Piix4Pm::kPwrBtnSts | Piix4Pm::kRtcSts | Piix4Pm::kWakSts;
constexpr u16 kPm1EnBits = Piix4Pm::kTmrSts | Piix4Pm::kGblSts | Piix4Pm::kPwrBtnSts |
                           Piix4Pm::kRtcSts;
// SCI_EN, BM_RLD, GBL_RLS, SLP_TYP; SLP_EN is write-only.
constexpr u16 kPm1CntBits = 0x0007 | 0x1C00;
} // namespace

Piix4Pm::Piix4Pm(Scheduler& sched, IrqLine sci)
    : PciDevice(0x8086, 0x7113, 0x068000, 0x03), m_sched(sched), m_sci(sci) {
    set_storage(0x40, 0xFF);
    // PMBASE: a 64-byte I/O block; bit 0 reads 1 (I/O space indicator).
    init_reg(0x40, 4, 0x00000001);
    set_wmask(0x40, 4, 0x0000FFC0);
    // DEVACTB APMC_EN (bit 25): SeaBIOS skips its SMM relocation when it is already set,
    // which is what we need without SMM support.
    init_reg(0x58, 4, 1u << 25);
    set_wmask(0x80, 1, 0x01); // PMREGMISC: PMIOSE
    // SMBus base: 16-byte I/O block, bit 0 reads 1.
    init_reg(0x90, 4, 0x00000001);
    set_wmask(0x90, 4, 0x0000FFF0);
    m_timer = m_sched.create_timer("piix4-pm-tmr", [this](u64) {
        m_pm1_sts |= kTmrSts;
        update_sci();
        arm_timer();
    });
    arm_timer();
}

u64 Piix4Pm::ticks_at(u64 ns) {
    return (ns / kNsPerSec) * kTimerHz + (ns % kNsPerSec) * kTimerHz / kNsPerSec;
}

u64 Piix4Pm::ns_of_tick(u64 tick) {
    const u64 rem = tick % kTimerHz;
    return (tick / kTimerHz) * kNsPerSec + (rem * kNsPerSec + kTimerHz - 1) / kTimerHz;
}

void Piix4Pm::arm_timer() {
    const u64 next = (ticks_at(m_sched.now()) / kMsbPeriod + 1) * kMsbPeriod;
    m_sched.arm(m_timer, ns_of_tick(next));
}

void Piix4Pm::reset(ResetKind) {
    reset_config();
    m_pm1_sts = 0;
    m_pm1_en = 0;
    m_pm1_cnt = 0;
    m_gp_sts = 0;
    m_gp_en = 0;
    m_other.fill(0);
    m_apmc = 0;
    m_apms = 0;
    update_sci();
    check_pm_io();
    arm_timer();
}

void Piix4Pm::set_pm_io(u16 base, bool enabled) {
    config_write(0x40, 4, base);
    config_write(0x80, 1, enabled ? 1 : 0);
}

void Piix4Pm::config_written(u8 offset, unsigned size) {
    if ((offset < 0x44 && offset + size > 0x40) || (offset <= 0x80 && offset + size > 0x80)) {
        check_pm_io();
    }
}

void Piix4Pm::check_pm_io() {
    const u16 base = pm_base();
    const bool en = pm_io_enabled();
    if (base == m_io_base_seen && en == m_io_enabled_seen) {
        return;
    }
    m_io_base_seen = base;
    m_io_enabled_seen = en;
    if (m_pm_io_cb) {
        m_pm_io_cb(base, en);
    }
}

void Piix4Pm::press_power_button() {
    m_pm1_sts |= kPwrBtnSts;
    update_sci();
}

void Piix4Pm::update_sci() {
    // With SCI_EN clear, events would go to SMI on real hardware; we have none, so the
    // status bits just stay set until the OS takes over.
    const bool pm1 = (m_pm1_sts & m_pm1_en & kPm1EnBits) != 0;
    const bool gpe = (m_gp_sts & m_gp_en) != 0;
    m_sci.set_level((m_pm1_cnt & kSciEn) && (pm1 || gpe));
}

u8 Piix4Pm::read_byte(unsigned off) {
    auto lo = [](u16 v) { return static_cast<u8>(v); };
    auto hi = [](u16 v) { return static_cast<u8>(v >> 8); };
    switch (off) {
    case kPm1Sts: return lo(m_pm1_sts);
    case kPm1Sts + 1: return hi(m_pm1_sts);
    case kPm1En: return lo(m_pm1_en);
    case kPm1En + 1: return hi(m_pm1_en);
    case kPm1Cnt: return lo(m_pm1_cnt);
    case kPm1Cnt + 1: return hi(m_pm1_cnt);
    case kPmTmr:
    case kPmTmr + 1:
    case kPmTmr + 2:
    case kPmTmr + 3: return static_cast<u8>(timer_value() >> (8 * (off - kPmTmr)));
    case kGpSts: return lo(m_gp_sts);
    case kGpSts + 1: return hi(m_gp_sts);
    case kGpEn: return lo(m_gp_en);
    case kGpEn + 1: return hi(m_gp_en);
    default: return m_other[off];
    }
}

void Piix4Pm::write_byte(unsigned off, u8 v) {
    const unsigned shift = (off & 1) * 8;
    const u16 in = static_cast<u16>(u16{v} << shift);
    const u16 lane = static_cast<u16>(0xFF << shift);
    switch (off) {
    case kPm1Sts:
    case kPm1Sts + 1: m_pm1_sts = static_cast<u16>(m_pm1_sts & ~(in & kPm1StsBits)); break;
    case kPm1En:
    case kPm1En + 1:
        m_pm1_en = static_cast<u16>((m_pm1_en & ~lane) | (in & kPm1EnBits));
        break;
    case kPm1Cnt:
    case kPm1Cnt + 1:
        m_pm1_cnt = static_cast<u16>((m_pm1_cnt & ~lane) | (in & kPm1CntBits));
        if (in & kSlpEn) {
            sleep((m_pm1_cnt >> 10) & 7);
        }
        break;
    case kPmTmr:
    case kPmTmr + 1:
    case kPmTmr + 2:
    case kPmTmr + 3: break; // read-only
    case kGpSts:
    case kGpSts + 1: m_gp_sts = static_cast<u16>(m_gp_sts & ~in); break;
    case kGpEn:
    case kGpEn + 1: m_gp_en = static_cast<u16>((m_gp_en & ~lane) | in); break;
    default: m_other[off] = v; break;
    }
}

void Piix4Pm::sleep(unsigned slp_typ) {
    if (slp_typ == kSlpTypS5) {
        if (m_power_off) {
            m_power_off();
        }
        return;
    }
    if (base::log_enabled(base::kLogUnimp)) {
        base::log_printf("piix4-pm: sleep type %u ignored (only S5 is supported)\n", slp_typ);
    }
}

u32 Piix4Pm::io_read(u16 port, unsigned size) {
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = static_cast<unsigned>(port + i) - pm_base();
        const u8 b = pm_io_enabled() && off < kPmIoSize ? read_byte(off) : u8{0xFF};
        v |= u32{b} << (8 * i);
    }
    return v;
}

void Piix4Pm::io_write(u16 port, unsigned size, u32 value) {
    if (!pm_io_enabled()) {
        return;
    }
    for (unsigned i = 0; i < size; ++i) {
        const unsigned off = static_cast<unsigned>(port + i) - pm_base();
        if (off < kPmIoSize) {
            write_byte(off, static_cast<u8>(value >> (8 * i)));
        }
    }
    update_sci();
}

u32 Piix4Pm::Apm::io_read(u16 port, unsigned) {
    return port == kApmControlPort ? m_pm.m_apmc : m_pm.m_apms;
}

void Piix4Pm::Apm::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    if (port != kApmControlPort) {
        m_pm.m_apms = v;
        return;
    }
    m_pm.m_apmc = v;
    // The ACPI enable handshake (ACPI spec 4.8.2.1.1): OSPM writes ACPI_ENABLE to SMI_CMD
    // and waits for SCI_EN; the SMI handler that would set it is modelled right here.
    if (v == kAcpiEnable) {
        m_pm.m_pm1_cnt |= kSciEn;
    } else if (v == kAcpiDisable) {
        m_pm.m_pm1_cnt &= static_cast<u16>(~kSciEn);
    }
    m_pm.update_sci();
}

} // namespace devices
