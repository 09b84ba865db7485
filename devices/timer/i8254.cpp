// SPDX-License-Identifier: MIT
// 8254 PIT. Facts from the Intel 8254 datasheet (order 231164): the control word at 0x43
// (SC1-0, RW1-0, M2-M0, BCD), counter latch (RW = 00) and read-back (SC = 11) commands, the
// status byte (OUT, NULL COUNT, RW, mode, BCD), and per mode: 0 interrupt on terminal count
// (OUT low after the control word, high N+1 clocks after the count is written, gate low
// pauses), 1 retriggerable one-shot (gate rising edge starts it, OUT low for N clocks),
// 2 rate generator (OUT low for one clock every N), 3 square wave (high for ceil(N/2), low
// for floor(N/2)), 4 software strobe and 5 hardware strobe (one low clock at terminal count).
// A count of 0 means 65536 (10000 in BCD). The count is loaded on the clock after it is
// written, which is why start_tick is one tick after the write.
#include "devices/timer/i8254.h"

namespace devices {

namespace {

u16 to_bcd(u32 v) {
    v %= 10000;
    return static_cast<u16>((v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) |
                            ((v / 1000) << 12));
}

u32 from_bcd(u16 v) {
    return (v & 0xF) % 10 + ((v >> 4) & 0xF) % 10 * 10 + ((v >> 8) & 0xF) % 10 * 100 +
           ((v >> 12) & 0xF) % 10 * 1000;
}

} // namespace

u64 I8254::ticks_at(u64 ns) {
    return static_cast<u64>(static_cast<unsigned __int128>(ns) * kClockHz / 1000000000u);
}

u64 I8254::ns_of_tick(u64 tick) {
    const unsigned __int128 num = static_cast<unsigned __int128>(tick) * 1000000000u;
    return static_cast<u64>((num + kClockHz - 1) / kClockHz);
}

I8254::I8254(Scheduler& sched, IrqLine irq0) : m_sched(sched), m_irq0(irq0) {
    m_timer = m_sched.create_timer("pit-irq0", [this](u64 deadline) { on_irq_timer(deadline); });
    reset(ResetKind::PowerOn);
}

void I8254::reset(ResetKind) {
    for (Channel& c : m_ch) {
        c = Channel{};
        c.out_held = false; // as after a mode 0 control word: no IRQ0 edge before programming
    }
    m_port61 = 0;
    m_ch[2].gate = false; // port 0x61 bit 0 is clear after reset
    m_sched.cancel(m_timer);
    m_irq0.set_level(out(0));
}

u32 I8254::effective(const Channel& c, u16 raw) const {
    const u32 n = c.bcd ? from_bcd(raw) : raw;
    return n == 0 ? modulus(c) : n;
}

u32 I8254::value_at(const Channel& c, u64 t) const {
    const u32 m = modulus(c);
    if (!c.counting || t < c.start_tick) {
        return c.start_value % m;
    }
    const u64 d = t - c.start_tick;
    switch (c.mode) {
    case 2: return c.period - static_cast<u32>(d % c.period);
    case 3: {
        // Decrements by two; each half period restarts from N (rounded down to even).
        const u32 n = c.period;
        const u32 high = (n + 1) / 2;
        const u32 p = static_cast<u32>(d % n);
        const u32 q = p < high ? p : p - high;
        return (n - 2 * q) & ~1u;
    }
    default: {
        const u32 dm = static_cast<u32>(d % m);
        return (c.start_value + m - dm) % m;
    }
    }
}

bool I8254::out_at(const Channel& c, u64 t) const {
    if (!c.counting) {
        return c.out_held;
    }
    switch (c.mode) {
    case 0:
    case 1: return t >= c.terminal_tick;
    case 2:
        if (t < c.start_tick || c.period < 2) {
            return true;
        }
        return (t - c.start_tick) % c.period != c.period - 1;
    case 3:
        if (t < c.start_tick || c.period < 2) {
            return true;
        }
        return (t - c.start_tick) % c.period < (c.period + 1) / 2;
    default: return t != c.terminal_tick; // 4, 5
    }
}

bool I8254::out(unsigned ch) const { return out_at(m_ch[ch], now_tick()); }

u32 I8254::value(unsigned ch) const { return value_at(m_ch[ch], now_tick()); }

u64 I8254::next_rise(const Channel& c, u64 t) const {
    if (!c.counting) {
        return kPassed;
    }
    switch (c.mode) {
    case 0:
    case 1: return c.terminal_tick > t ? c.terminal_tick : kPassed;
    case 2:
    case 3: {
        if (c.period < 2) {
            return kPassed;
        }
        if (t < c.start_tick) {
            return c.start_tick + c.period;
        }
        return c.start_tick + ((t - c.start_tick) / c.period + 1) * c.period;
    }
    default: return c.terminal_tick + 1 > t ? c.terminal_tick + 1 : kPassed; // 4, 5
    }
}

void I8254::channel_changed(unsigned ch) {
    if (ch != 0) {
        return;
    }
    const u64 t = now_tick();
    m_irq0.set_level(out_at(m_ch[0], t));
    const u64 rise = next_rise(m_ch[0], t);
    if (rise == kPassed) {
        m_sched.cancel(m_timer);
    } else {
        m_irq_edge_tick = rise;
        m_sched.arm(m_timer, ns_of_tick(rise));
    }
}

void I8254::on_irq_timer(u64) {
    // A rising edge of OUT0: the line was low just before it (mode 2 pulses, mode 3 halves),
    // so present the PIC a fresh edge even if the line was left high since the last one.
    m_irq0.set_level(false);
    m_irq0.set_level(true);
    // Next edge after the one just delivered (not after now): late firing catches up edge by
    // edge, so the sequence of interrupts does not depend on how the board slices time.
    const u64 rise = next_rise(m_ch[0], m_irq_edge_tick);
    if (rise != kPassed) {
        m_irq_edge_tick = rise;
        m_sched.arm(m_timer, ns_of_tick(rise));
    }
}

void I8254::write_control(u8 v) {
    const unsigned sc = v >> 6;
    if (sc == 3) {
        read_back(v);
        return;
    }
    Channel& c = m_ch[sc];
    const u8 rw = (v >> 4) & 3;
    if (rw == 0) {
        latch_count(c);
        return;
    }
    // A control word resets the counter's logic: it stops until a new count is written.
    u8 mode = (v >> 1) & 7;
    if (mode > 5) {
        mode &= 3;
    }
    c.mode = mode;
    c.rw = rw;
    c.bcd = (v & 1) != 0;
    c.write_msb = false;
    c.read_msb = false;
    c.count_latched = false;
    c.status_latched = false;
    c.has_count = false;
    if (c.counting) {
        c.start_value = value_at(c, now_tick());
        c.counting = false;
    }
    c.out_held = mode != 0;
    c.load_tick = kPassed; // null count until a count is written and loaded
    channel_changed(sc);
}

void I8254::latch_count(Channel& c) {
    if (c.count_latched) {
        return; // a second latch before the first is read is ignored
    }
    const u32 v = value_at(c, now_tick());
    c.latched = c.bcd ? to_bcd(v) : static_cast<u16>(v);
    c.count_latched = true;
    c.latch_msb = c.rw == 2;
}

void I8254::read_back(u8 v) {
    const u64 t = now_tick();
    for (unsigned ch = 0; ch < 3; ++ch) {
        if (!(v & (2u << ch))) {
            continue;
        }
        Channel& c = m_ch[ch];
        if (!(v & 0x10) && !c.status_latched) {
            const bool null_count = c.load_tick == kPassed || t < c.load_tick;
            c.status = static_cast<u8>((out_at(c, t) ? 0x80 : 0) | (null_count ? 0x40 : 0) |
                                       (c.rw << 4) | (c.mode << 1) | (c.bcd ? 1 : 0));
            c.status_latched = true;
        }
        if (!(v & 0x20)) {
            latch_count(c);
        }
    }
}

void I8254::write_counter(unsigned ch, u8 v) {
    Channel& c = m_ch[ch];
    switch (c.rw) {
    case 1: c.cr = v; break;
    case 2: c.cr = static_cast<u16>(v << 8); break;
    default:
        if (!c.write_msb) {
            c.cr_lsb = v;
            c.write_msb = true;
            // Mode 0: writing the first byte stops the count (datasheet, mode 0).
            if (c.mode == 0 && c.counting) {
                c.start_value = value_at(c, now_tick());
                c.counting = false;
                c.out_held = false;
                channel_changed(ch);
            }
            return;
        }
        c.write_msb = false;
        c.cr = static_cast<u16>(c.cr_lsb | (v << 8));
        break;
    }
    load_count(ch);
}

void I8254::load_count(unsigned ch) {
    Channel& c = m_ch[ch];
    const u64 t = now_tick();
    const u32 n = effective(c, c.cr);
    c.has_count = true;
    c.load_tick = t + 1;
    switch (c.mode) {
    case 0:
    case 4:
        c.out_held = c.mode == 4;
        c.start_value = n;
        if (c.gate) {
            c.counting = true;
            c.start_tick = t + 1;
            c.terminal_tick = c.start_tick + n;
        } else {
            c.counting = false;
            c.paused_left = n;
        }
        break;
    case 1:
    case 5:
        // Waits for a gate trigger; a running one-shot keeps going with its old count.
        break;
    default: // 2, 3
        c.period = n;
        c.start_value = n;
        if (c.gate) {
            c.counting = true;
            c.start_tick = t + 1;
        }
        break;
    }
    channel_changed(ch);
}

void I8254::set_gate(unsigned ch, bool level) {
    Channel& c = m_ch[ch];
    if (c.gate == level) {
        return;
    }
    c.gate = level;
    const u64 t = now_tick();
    switch (c.mode) {
    case 0:
    case 4:
        if (!c.has_count) {
            break;
        }
        if (!level && c.counting) {
            c.out_held = out_at(c, t);
            c.paused_left = t >= c.terminal_tick ? kPassed : c.terminal_tick - t;
            c.start_value = value_at(c, t);
            c.counting = false;
        } else if (level && !c.counting) {
            c.counting = true;
            c.start_tick = t;
            c.terminal_tick = c.paused_left == kPassed ? 0 : t + c.paused_left;
        }
        break;
    case 1:
    case 5:
        if (level && c.has_count) {
            // Trigger: (re)load N on the next clock.
            c.counting = true;
            c.start_value = effective(c, c.cr);
            c.start_tick = t + 1;
            c.terminal_tick = c.start_tick + c.start_value;
        }
        break;
    default: // 2, 3
        if (!level) {
            if (c.counting) {
                c.start_value = value_at(c, t);
            }
            c.counting = false;
            c.out_held = true;
        } else if (c.has_count) {
            c.counting = true;
            c.start_tick = t + 1;
            c.start_value = c.period;
        }
        break;
    }
    channel_changed(ch);
}

u8 I8254::read_counter(unsigned ch) {
    Channel& c = m_ch[ch];
    if (c.status_latched) {
        c.status_latched = false;
        return c.status;
    }
    if (c.count_latched) {
        if (c.latch_msb) {
            c.count_latched = false;
            return static_cast<u8>(c.latched >> 8);
        }
        if (c.rw == 3) {
            c.latch_msb = true;
        } else {
            c.count_latched = false;
        }
        return static_cast<u8>(c.latched);
    }
    const u32 v = value_at(c, now_tick());
    const u16 cur = c.bcd ? to_bcd(v) : static_cast<u16>(v);
    switch (c.rw) {
    case 1: return static_cast<u8>(cur);
    case 2: return static_cast<u8>(cur >> 8);
    default:
        c.read_msb = !c.read_msb;
        return c.read_msb ? static_cast<u8>(cur) : static_cast<u8>(cur >> 8);
    }
}

u32 I8254::io_read(u16 port, unsigned) {
    switch (port) {
    case 0x40:
    case 0x41:
    case 0x42: return read_counter(port - 0x40u);
    case 0x61: {
        const u64 now = m_sched.now();
        u8 v = m_port61 & 0x0F;
        if ((now / kRefreshNs) & 1) {
            v |= 0x10;
        }
        if (out(2)) {
            v |= 0x20;
        }
        return v;
    }
    default: return 0xFF; // 0x43 is write-only
    }
}

void I8254::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    switch (port) {
    case 0x40:
    case 0x41:
    case 0x42: write_counter(port - 0x40u, v); break;
    case 0x43: write_control(v); break;
    case 0x61:
        m_port61 = v & 0x0F;
        set_gate(2, (v & 1) != 0);
        break;
    default: break;
    }
}

} // namespace devices
