// SPDX-License-Identifier: MIT
// The MC146818 real-time clock and its 128 bytes of CMOS RAM at 0x70 (index; bit 7 masks
// NMI) and 0x71 (data). Time starts from a configurable calendar time (host time by default)
// and advances with the scheduler's virtual clock: one update cycle per second, with the
// update-in-progress flag raised for the 244 us + 1984 us before each update, update-ended
// and alarm interrupts, the periodic interrupt selected by register A, register C cleared
// on read, and IRQ8 through an IrqLine. The board fills the rest of the CMOS (memory sizes,
// equipment, century at 0x32) with cmos_write(). Not modelled: daylight-saving switching
// (DSE), the square-wave pin, and time bases other than 32.768 kHz.
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"
#include "devices/scheduler.h"

namespace devices {

inline constexpr DeviceInfo kMc146818Info{"mc146818", "real-time clock and CMOS RAM"};

class Mc146818 final : public Device, public IoOps {
public:
    /// Calendar time in the RTC's own terms (no time zone: the guest decides what it means).
    struct DateTime {
        u16 year = 2000; ///< full year, 1900-2099 (the century goes to CMOS 0x32)
        u8 month = 1;    ///< 1-12
        u8 day = 1;      ///< 1-31
        u8 hour = 0;     ///< 0-23
        u8 minute = 0;
        u8 second = 0;
        u8 weekday = 0; ///< 1 = Sunday ... 7; 0 = compute from the date
    };

    /// Register and CMOS indices the board and tests use.
    enum : u8 {
        kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32,
    };

    /// Starts at the host's current UTC time; call set_time() for a fixed (deterministic)
    /// start.
    Mc146818(Scheduler& sched, IrqLine irq8);

    // Device
    std::string_view name() const override { return kMc146818Info.name; }
    /// PowerOn clears the CMOS; Warm keeps CMOS and time (the chip is battery-backed).
    void reset(ResetKind kind) override;

    // IoOps: 0x70-0x71, byte access.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// Sets the clock (and the century byte) to `t`; the next update is one second later.
    void set_time(const DateTime& t);
    /// Sets the clock from seconds since 1970-01-01 00:00:00 UTC.
    void set_time_unix(i64 seconds);
    DateTime time() const { return m_time; }

    /// Raw CMOS access for the board (indices 0x00-0x7F; time registers included).
    u8 cmos_read(u8 index) const { return m_cmos[index & 0x7F]; }
    void cmos_write(u8 index, u8 value) { m_cmos[index & 0x7F] = value; }
    /// NMI mask from the last index write (bit 7 of port 0x70 set = NMI disabled).
    bool nmi_masked() const { return m_nmi_masked; }

private:
    static constexpr u64 kSecondNs = 1000000000;
    static constexpr u64 kUipNs = 244000 + 1984000; ///< UIP lead before an update completes

    bool divider_running() const { return ((m_cmos[kRegA] >> 4) & 7) == 2; }
    u8 encode(u8 v) const;
    u8 decode(u8 v) const;
    u8 encode_hour(u8 h) const;
    u8 decode_hour(u8 v) const;
    u8 read_time_reg(u8 index) const;
    void write_time_reg(u8 index, u8 value);
    u8 read_reg(u8 index);
    void write_reg(u8 index, u8 value);
    bool uip() const;
    /// Periodic rate in Hz from register A (0 = off).
    u32 periodic_hz() const;
    /// Periodic-interrupt edges since the phase origin, at `ns`.
    u64 periodic_count(u64 ns) const;
    void advance_second();
    void on_update(u64 deadline);
    void on_periodic(u64 deadline);
    void schedule_update(u64 next_ns);
    void schedule_periodic();
    void raise_flags(u8 flags);
    void update_irq();

    Scheduler& m_sched;
    IrqLine m_irq;
    TimerId m_update_timer;
    TimerId m_periodic_timer;
    u8 m_cmos[128] = {};
    u8 m_index = 0;
    bool m_nmi_masked = false;
    DateTime m_time;
    u64 m_next_update_ns = 0; ///< virtual time of the next update (second boundary)
    u64 m_phase_ns = 0;       ///< divider origin: periodic edges are counted from here
    u64 m_pf_seen = 0;        ///< periodic edges already reflected in register C
};

} // namespace devices
