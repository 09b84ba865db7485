// SPDX-License-Identifier: MIT
// The 8042 keyboard controller at 0x60 (data) and 0x64 (status/command) with a PS/2 keyboard
// and a PS/2 mouse that answers commands but never moves unless mouse_event() is called.
// Controller: command byte (IRQ enables, system flag, port disables, set 2 -> set 1
// translation), self-test and interface tests, output port (A20 and the reset line, both
// reported through callbacks), pulse commands (0xFE resets the machine), writes to either
// device's output buffer, aux forwarding (0xD4). Keyboard: reset, identify, LEDs, scancode
// set 1/2 get/set, typematic (stored), enable/disable, echo, resend. IRQ1 and IRQ12 through
// IrqLines. Bytes reach the guest one at a time through the single output buffer, in order.
// Not modelled: scancode set 3, typematic repeat generation (the frontend repeats keys),
// mouse wrap mode, the controller password and timing delays.
#pragma once

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/irq.h"

#include <deque>
#include <functional>

namespace devices {

inline constexpr DeviceInfo kI8042Info{"i8042", "8042 keyboard controller, PS/2 keyboard and mouse"};

class I8042 final : public Device, public IoOps {
public:
    /// `irq1` = keyboard (IRQ1), `irq12` = mouse (IRQ12).
    I8042(IrqLine irq1, IrqLine irq12);

    /// Called with the new A20 state whenever the output port's A20 bit changes. On the PC
    /// the effective A20 is this OR port 0x92's bit (the board combines them).
    void set_a20_callback(std::function<void(bool)> cb) { m_a20_cb = std::move(cb); }
    /// Called when the controller pulses the CPU reset line (command 0xFE, or an output-port
    /// write with bit 0 clear).
    void set_reset_callback(std::function<void()> cb) { m_reset_cb = std::move(cb); }

    // Device
    std::string_view name() const override { return kI8042Info.name; }
    void reset(ResetKind kind) override;

    // IoOps: 0x60 and 0x64, byte access.
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, unsigned size, u32 value) override;

    /// A key went down or up. `set1_code` is the key's scancode-set-1 make code, with 0xE0 in
    /// the high byte for extended keys (0xE048 = cursor up). The keyboard sends it in its
    /// current scancode set; the controller translates back to set 1 if asked to.
    void key_event(u16 set1_code, bool pressed);
    /// Mouse movement (dx right, dy up, as PS/2 reports) and buttons (bit 0 left, 1 right,
    /// 2 middle). Sent only while the guest has enabled mouse reporting.
    void mouse_event(int dx, int dy, u8 buttons);

    /// A20 bit of the output port.
    bool a20() const { return (m_output_port & 0x02) != 0; }
    u8 command_byte() const { return m_ram[0]; }

private:
    struct Keyboard {
        bool scanning = true;
        u8 set = 2;
        u8 leds = 0;
        u8 typematic = 0x2B; ///< 10.9 cps, 500 ms: the power-on default
        u8 pending = 0;      ///< command waiting for its argument byte
        u8 last = 0xFA;      ///< for resend
        std::deque<u8> queue;
    };
    struct Mouse {
        bool reporting = false;
        bool remote = false;
        bool scaling21 = false;
        u8 resolution = 2;
        u8 rate = 100;
        u8 pending = 0;
        u8 buttons = 0;
        std::deque<u8> queue;
    };

    void command(u8 v);
    void data(u8 v);
    void kbd_write(u8 v);
    void kbd_send(u8 b);
    void kbd_defaults();
    void mouse_write(u8 v);
    void mouse_send(u8 b);
    void mouse_defaults();
    void respond(u8 b, bool aux = false);
    void write_output_port(u8 v);
    /// Moves the next byte into the output buffer if it is free, and updates the IRQs.
    void refill();
    void update_irqs();

    IrqLine m_irq1;
    IrqLine m_irq12;
    std::function<void(bool)> m_a20_cb;
    std::function<void()> m_reset_cb;

    u8 m_ram[32] = {};        ///< controller RAM; byte 0 is the command byte
    u8 m_output_port = 0x03;  ///< bit 0 reset (1 = run), bit 1 A20
    u8 m_pending = 0;         ///< controller command waiting for a data byte
    bool m_a2 = false;        ///< last write was to the command port (status bit 3)
    bool m_obf = false;       ///< output buffer full
    bool m_obf_aux = false;   ///< the byte in the output buffer came from the mouse
    u8 m_out = 0;             ///< the output buffer
    bool m_xlat_break = false; ///< translation saw 0xF0: the next byte is a break code
    std::deque<u16> m_ctrl_queue; ///< controller replies; bit 8 set = aux
    Keyboard m_kbd;
    Mouse m_mouse;
};

} // namespace devices
