// SPDX-License-Identifier: MIT
// MC146818 RTC. Facts from the Motorola MC146818A datasheet: registers 0-9 hold seconds,
// alarm seconds, minutes, alarm minutes, hours, alarm hours, day of week (1 = Sunday), date,
// month, year; an alarm byte with its two top bits set matches any value; register A holds
// UIP (read-only), the divider select DV2-0 (010 = 32.768 kHz time base running, 11x =
// divider reset; the first update comes 500 ms after the reset is released) and the rate
// select RS3-0; register B holds SET, PIE, AIE, UIE, SQWE, DM (1 = binary), 24/12 and DSE;
// register C holds IRQF, PF, AF, UF and reads as zero afterwards; register D bit 7 (VRT)
// reports a good battery. UIP is high from 244 us before an update cycle until the cycle
// (1984 us at 32.768 kHz) ends. Setting SET inhibits updates and clears UIE.
//
// The time is kept in binary fields and encoded in the current BCD/binary and 12/24 h
// formats on every access; a real chip would instead keep stale encodings after the guest
// flips DM without rewriting the time.
#include "devices/timer/mc146818.h"

#include <ctime>

namespace devices {

namespace {

bool leap(unsigned year) { return year % 4 == 0; } // the chip's own rule

unsigned days_in_month(unsigned year, unsigned month) {
    static constexpr u8 kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) {
        return 31;
    }
    return kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
}

bool gregorian_leap(i64 y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

u8 bcd(unsigned v) { return static_cast<u8>(((v / 10 % 10) << 4) | (v % 10)); }

/// Days since 1970-01-01 of a date (years before 1970 count as 1970).
i64 days_since_epoch(unsigned year, unsigned month, unsigned day) {
    i64 days = 0;
    for (unsigned y = 1970; y < year; ++y) {
        days += gregorian_leap(y) ? 366 : 365;
    }
    for (unsigned m = 1; m < month && m <= 12; ++m) {
        static constexpr u8 kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        days += kDays[m - 1] + (m == 2 && gregorian_leap(year) ? 1 : 0);
    }
    return days + day - 1;
}

u8 weekday_of(i64 days) { return static_cast<u8>((days + 4) % 7 + 1); } // 1970-01-01: Thursday

} // namespace

Mc146818::Mc146818(Scheduler& sched, IrqLine irq8) : m_sched(sched), m_irq(irq8) {
    m_update_timer = m_sched.create_timer("rtc-update", [this](u64 d) { on_update(d); });
    m_periodic_timer = m_sched.create_timer("rtc-periodic", [this](u64 d) { on_periodic(d); });
    reset(ResetKind::PowerOn);
    set_time_unix(static_cast<i64>(std::time(nullptr)));
}

void Mc146818::reset(ResetKind kind) {
    if (kind == ResetKind::PowerOn) {
        for (u8& b : m_cmos) {
            b = 0;
        }
        m_cmos[kRegA] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
        m_cmos[kRegB] = 0x02; // 24-hour BCD
        m_phase_ns = m_sched.now();
        m_next_update_ns = m_sched.now() + kSecondNs;
        m_sched.arm(m_update_timer, m_next_update_ns);
    }
    // The RESET pin clears the interrupt enables and flags (datasheet, RESET).
    m_cmos[kRegB] &= static_cast<u8>(~0x78);
    m_cmos[kRegC] = 0;
    m_cmos[kRegD] = 0x80;
    m_index = 0;
    m_nmi_masked = false;
    m_pf_seen = periodic_count(m_sched.now());
    schedule_periodic();
    update_irq();
}

void Mc146818::set_time(const DateTime& t) {
    m_time = t;
    if (m_time.weekday == 0) {
        m_time.weekday = weekday_of(days_since_epoch(t.year, t.month, t.day));
    }
    m_cmos[kCentury] = bcd(t.year / 100u);
    if (divider_running()) {
        schedule_update(m_sched.now() + kSecondNs);
    }
}

void Mc146818::set_time_unix(i64 seconds) {
    if (seconds < 0) {
        seconds = 0;
    }
    i64 days = seconds / 86400;
    const i64 rem = seconds % 86400;
    DateTime t;
    t.weekday = weekday_of(days);
    unsigned year = 1970;
    while (days >= (gregorian_leap(year) ? 366 : 365)) {
        days -= gregorian_leap(year) ? 366 : 365;
        ++year;
    }
    unsigned month = 1;
    for (;;) {
        static constexpr u8 kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const unsigned dim = kDays[month - 1] + (month == 2 && gregorian_leap(year) ? 1 : 0);
        if (days < dim) {
            break;
        }
        days -= dim;
        ++month;
    }
    t.year = static_cast<u16>(year);
    t.month = static_cast<u8>(month);
    t.day = static_cast<u8>(days + 1);
    t.hour = static_cast<u8>(rem / 3600);
    t.minute = static_cast<u8>(rem / 60 % 60);
    t.second = static_cast<u8>(rem % 60);
    set_time(t);
}

u8 Mc146818::encode(u8 v) const { return (m_cmos[kRegB] & 0x04) ? v : bcd(v); }

u8 Mc146818::decode(u8 v) const {
    return (m_cmos[kRegB] & 0x04) ? v : static_cast<u8>((v >> 4) * 10 + (v & 0x0F));
}

u8 Mc146818::encode_hour(u8 h) const {
    if (m_cmos[kRegB] & 0x02) {
        return encode(h);
    }
    const u8 h12 = h % 12 == 0 ? 12 : h % 12;
    return static_cast<u8>(encode(h12) | (h >= 12 ? 0x80 : 0));
}

u8 Mc146818::decode_hour(u8 v) const {
    if (m_cmos[kRegB] & 0x02) {
        return decode(v);
    }
    const u8 h = decode(v & 0x7F) % 12;
    return static_cast<u8>(h + ((v & 0x80) ? 12 : 0));
}

u8 Mc146818::read_time_reg(u8 index) const {
    switch (index) {
    case 0: return encode(m_time.second);
    case 2: return encode(m_time.minute);
    case 4: return encode_hour(m_time.hour);
    case 6: return m_time.weekday;
    case 7: return encode(m_time.day);
    case 8: return encode(m_time.month);
    case 9: return encode(static_cast<u8>(m_time.year % 100));
    default: return m_cmos[index]; // alarms are stored as written
    }
}

void Mc146818::write_time_reg(u8 index, u8 value) {
    switch (index) {
    case 0: m_time.second = decode(value); break;
    case 2: m_time.minute = decode(value); break;
    case 4: m_time.hour = decode_hour(value); break;
    case 6: m_time.weekday = value; break;
    case 7: m_time.day = decode(value); break;
    case 8: m_time.month = decode(value); break;
    case 9: m_time.year = static_cast<u16>(m_time.year / 100 * 100 + decode(value) % 100); break;
    default: m_cmos[index] = value; break;
    }
}

bool Mc146818::uip() const {
    if (!divider_running() || (m_cmos[kRegB] & 0x80)) {
        return false;
    }
    const u64 now = m_sched.now();
    return now + kUipNs >= m_next_update_ns;
}

u32 Mc146818::periodic_hz() const {
    const unsigned rs = m_cmos[kRegA] & 0x0F;
    if (rs == 0 || !divider_running()) {
        return 0;
    }
    if (rs <= 2) {
        return 256u >> (rs - 1); // 1, 2 repeat the 256 and 128 Hz rates
    }
    return 32768u >> (rs - 1);
}

u64 Mc146818::periodic_count(u64 ns) const {
    const u32 hz = periodic_hz();
    if (hz == 0 || ns < m_phase_ns) {
        return 0;
    }
    return static_cast<u64>(static_cast<unsigned __int128>(ns - m_phase_ns) * hz / kSecondNs);
}

void Mc146818::schedule_update(u64 next_ns) {
    m_next_update_ns = next_ns;
    m_sched.arm(m_update_timer, next_ns);
}

void Mc146818::schedule_periodic() {
    const u32 hz = periodic_hz();
    if (hz == 0 || !(m_cmos[kRegB] & 0x40)) {
        m_sched.cancel(m_periodic_timer);
        return;
    }
    const u64 k = periodic_count(m_sched.now()) + 1;
    const unsigned __int128 off = (static_cast<unsigned __int128>(k) * kSecondNs + hz - 1) / hz;
    m_sched.arm(m_periodic_timer, m_phase_ns + static_cast<u64>(off));
}

void Mc146818::advance_second() {
    DateTime& t = m_time;
    if (++t.second < 60) {
        return;
    }
    t.second = 0;
    if (++t.minute < 60) {
        return;
    }
    t.minute = 0;
    if (++t.hour < 24) {
        return;
    }
    t.hour = 0;
    t.weekday = static_cast<u8>(t.weekday % 7 + 1);
    if (++t.day <= days_in_month(t.year % 100, t.month)) {
        return;
    }
    t.day = 1;
    if (++t.month <= 12) {
        return;
    }
    t.month = 1;
    t.year = static_cast<u16>(t.year / 100 * 100 + (t.year % 100 + 1) % 100);
}

void Mc146818::on_update(u64 deadline) {
    schedule_update(deadline + kSecondNs);
    if (m_cmos[kRegB] & 0x80) {
        return; // SET: updates inhibited
    }
    advance_second();
    u8 flags = 0x10; // UF
    bool alarm = true;
    for (u8 reg : {u8{0}, u8{2}, u8{4}}) {
        const u8 a = m_cmos[reg + 1];
        if ((a & 0xC0) != 0xC0 && a != read_time_reg(reg)) {
            alarm = false;
        }
    }
    if (alarm) {
        flags |= 0x20; // AF
    }
    raise_flags(flags);
}

void Mc146818::on_periodic(u64 deadline) {
    m_pf_seen = periodic_count(deadline);
    raise_flags(0x40); // PF
    schedule_periodic();
}

void Mc146818::raise_flags(u8 flags) {
    m_cmos[kRegC] |= flags;
    update_irq();
}

void Mc146818::update_irq() {
    const u8 b = m_cmos[kRegB];
    const u8 c = m_cmos[kRegC];
    // IRQF = PF.PIE + AF.AIE + UF.UIE; enables and flags share bit positions 6-4.
    if (c & b & 0x70) {
        m_cmos[kRegC] |= 0x80;
    }
    m_irq.set_level((m_cmos[kRegC] & 0x80) != 0);
}

u8 Mc146818::read_reg(u8 index) {
    switch (index) {
    case kRegA: return static_cast<u8>((m_cmos[kRegA] & 0x7F) | (uip() ? 0x80 : 0));
    case kRegC: {
        // PF is set at every periodic edge even when PIE is off: account for the edges that
        // passed without a timer.
        const u64 n = periodic_count(m_sched.now());
        if (n > m_pf_seen) {
            m_cmos[kRegC] |= 0x40;
        }
        m_pf_seen = n;
        const u8 v = m_cmos[kRegC];
        m_cmos[kRegC] = 0;
        update_irq();
        return v;
    }
    case kRegD: return 0x80;
    default:
        if (index < kRegA) {
            return read_time_reg(index);
        }
        return m_cmos[index];
    }
}

void Mc146818::write_reg(u8 index, u8 value) {
    switch (index) {
    case kRegA: {
        const bool was_running = divider_running();
        const u8 old_rs = m_cmos[kRegA] & 0x0F;
        m_cmos[kRegA] = value & 0x7F;
        if (!was_running && divider_running()) {
            // Divider released from reset: the first update is 500 ms later.
            m_phase_ns = m_sched.now();
            schedule_update(m_sched.now() + kSecondNs / 2);
        } else if (!divider_running()) {
            m_sched.cancel(m_update_timer);
        }
        if (old_rs != (value & 0x0F) || was_running != divider_running()) {
            m_pf_seen = periodic_count(m_sched.now());
        }
        schedule_periodic();
        break;
    }
    case kRegB:
        if (value & 0x80) {
            value &= static_cast<u8>(~0x10); // SET clears UIE
        }
        m_cmos[kRegB] = value;
        schedule_periodic();
        update_irq();
        break;
    case kRegC:
    case kRegD: break; // read-only
    default:
        if (index < kRegA) {
            write_time_reg(index, value);
        } else {
            m_cmos[index] = value;
        }
        break;
    }
}

u32 Mc146818::io_read(u16 port, unsigned) {
    if (port == 0x70) {
        return 0xFF; // the index register is write-only on the PC
    }
    return read_reg(m_index);
}

void Mc146818::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    if (port == 0x70) {
        m_index = v & 0x7F;
        m_nmi_masked = (v & 0x80) != 0;
        return;
    }
    write_reg(m_index, v);
}

} // namespace devices
