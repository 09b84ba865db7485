// SPDX-License-Identifier: MIT
// 8042 controller and PS/2 devices. Facts used: the IBM PC AT / PS/2 keyboard-controller
// command set (0x20/0x60 read/write command byte, 0xA7/0xA8 aux disable/enable, 0xA9 aux
// test, 0xAA self-test answering 0x55, 0xAB keyboard test, 0xAD/0xAE keyboard disable/
// enable, 0xD0/0xD1 output port, 0xD2/0xD3 write keyboard/aux output buffer, 0xD4 write to
// aux, 0xF0-0xFF pulse output lines low); status bits (OBF, IBF, SYS, A2, keylock, AUXB);
// command byte bits (0 IRQ1, 1 IRQ12, 2 SYS, 4 keyboard disable, 5 aux disable, 6
// translate); the PS/2 keyboard command set (0xED LEDs, 0xEE echo, 0xF0 scancode set, 0xF2
// identify = 0xAB 0x83, 0xF3 typematic, 0xF4 enable, 0xF5 disable, 0xF6 defaults, 0xFE
// resend, 0xFF reset = 0xFA 0xAA) and the PS/2 mouse command set (reset = 0xFA 0xAA 0x00,
// identify = 0x00, status request = 3 bytes). Scancode tables are the IBM set 1 / set 2 key
// codes; the controller's set 2 -> set 1 translation is their inverse.
#include "devices/input/i8042.h"

#include "base/log.h"

#include <array>

namespace devices {

namespace {

// Set-1 make code -> set-2 make code, for the keys of a 104-key keyboard. The extended keys
// (E0 prefix) use the same mapping after their prefix, except the Windows/menu keys, whose
// set-1 codes (0x5B-0x5D) exist only as extended codes.
constexpr std::array<u8, 128> kSet1To2 = [] {
    std::array<u8, 128> t{};
    constexpr u8 codes[][2] = {
        {0x01, 0x76}, {0x02, 0x16}, {0x03, 0x1E}, {0x04, 0x26}, {0x05, 0x25}, {0x06, 0x2E},
        {0x07, 0x36}, {0x08, 0x3D}, {0x09, 0x3E}, {0x0A, 0x46}, {0x0B, 0x45}, {0x0C, 0x4E},
        {0x0D, 0x55}, {0x0E, 0x66}, {0x0F, 0x0D}, {0x10, 0x15}, {0x11, 0x1D}, {0x12, 0x24},
        {0x13, 0x2D}, {0x14, 0x2C}, {0x15, 0x35}, {0x16, 0x3C}, {0x17, 0x43}, {0x18, 0x44},
        {0x19, 0x4D}, {0x1A, 0x54}, {0x1B, 0x5B}, {0x1C, 0x5A}, {0x1D, 0x14}, {0x1E, 0x1C},
        {0x1F, 0x1B}, {0x20, 0x23}, {0x21, 0x2B}, {0x22, 0x34}, {0x23, 0x33}, {0x24, 0x3B},
        {0x25, 0x42}, {0x26, 0x4B}, {0x27, 0x4C}, {0x28, 0x52}, {0x29, 0x0E}, {0x2A, 0x12},
        {0x2B, 0x5D}, {0x2C, 0x1A}, {0x2D, 0x22}, {0x2E, 0x21}, {0x2F, 0x2A}, {0x30, 0x32},
        {0x31, 0x31}, {0x32, 0x3A}, {0x33, 0x41}, {0x34, 0x49}, {0x35, 0x4A}, {0x36, 0x59},
        {0x37, 0x7C}, {0x38, 0x11}, {0x39, 0x29}, {0x3A, 0x58}, {0x3B, 0x05}, {0x3C, 0x06},
        {0x3D, 0x04}, {0x3E, 0x0C}, {0x3F, 0x03}, {0x40, 0x0B}, {0x41, 0x83}, {0x42, 0x0A},
        {0x43, 0x01}, {0x44, 0x09}, {0x45, 0x77}, {0x46, 0x7E}, {0x47, 0x6C}, {0x48, 0x75},
        {0x49, 0x7D}, {0x4A, 0x7B}, {0x4B, 0x6B}, {0x4C, 0x73}, {0x4D, 0x74}, {0x4E, 0x79},
        {0x4F, 0x69}, {0x50, 0x72}, {0x51, 0x7A}, {0x52, 0x70}, {0x53, 0x71}, {0x54, 0x84},
        {0x56, 0x61}, {0x57, 0x78}, {0x58, 0x07}, {0x5B, 0x1F}, {0x5C, 0x27}, {0x5D, 0x2F},
    };
    for (const auto& c : codes) {
        t[c[0]] = c[1];
    }
    return t;
}();

// The controller's set 2 -> set 1 translation: the inverse of kSet1To2; other bytes
// (including replies such as 0xFA, 0xAA, 0xEE and the prefixes 0xE0/0xE1) pass unchanged.
constexpr std::array<u8, 256> kTranslate = [] {
    std::array<u8, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        t[i] = static_cast<u8>(i);
    }
    for (unsigned i = 0; i < 128; ++i) {
        if (kSet1To2[i]) {
            t[kSet1To2[i]] = static_cast<u8>(i);
        }
    }
    return t;
}();

constexpr size_t kQueueMax = 32; // bytes a PS/2 device buffers before dropping input

enum : u8 {
    kStatObf = 0x01, kStatSys = 0x04, kStatA2 = 0x08, kStatUnlocked = 0x10, kStatAuxObf = 0x20,
};
enum : u8 { kCmdIrq1 = 0x01, kCmdIrq12 = 0x02, kCmdSys = 0x04, kCmdKbdOff = 0x10, kCmdAuxOff = 0x20,
            kCmdTranslate = 0x40 };

} // namespace

I8042::I8042(IrqLine irq1, IrqLine irq12) : m_irq1(irq1), m_irq12(irq12) {
    reset(ResetKind::PowerOn);
}

void I8042::reset(ResetKind) {
    for (u8& b : m_ram) {
        b = 0;
    }
    m_output_port = 0x03;
    m_pending = 0;
    m_a2 = false;
    m_obf = false;
    m_obf_aux = false;
    m_out = 0;
    m_xlat_break = false;
    m_ctrl_queue.clear();
    m_kbd = Keyboard{};
    m_mouse = Mouse{};
    update_irqs();
}

void I8042::update_irqs() {
    m_irq1.set_level(m_obf && !m_obf_aux && (m_ram[0] & kCmdIrq1));
    m_irq12.set_level(m_obf && m_obf_aux && (m_ram[0] & kCmdIrq12));
}

void I8042::refill() {
    while (!m_obf) {
        if (!m_ctrl_queue.empty()) {
            const u16 e = m_ctrl_queue.front();
            m_ctrl_queue.pop_front();
            m_out = static_cast<u8>(e);
            m_obf_aux = (e & 0x100) != 0;
            m_obf = true;
        } else if (!m_kbd.queue.empty() && !(m_ram[0] & kCmdKbdOff)) {
            const u8 b = m_kbd.queue.front();
            m_kbd.queue.pop_front();
            if (m_ram[0] & kCmdTranslate) {
                if (b == 0xF0) {
                    m_xlat_break = true; // folded into the next byte's bit 7
                    continue;
                }
                m_out = static_cast<u8>(kTranslate[b] | (m_xlat_break ? 0x80 : 0));
                m_xlat_break = false;
            } else {
                m_out = b;
            }
            m_obf_aux = false;
            m_obf = true;
        } else if (!m_mouse.queue.empty() && !(m_ram[0] & kCmdAuxOff)) {
            m_out = m_mouse.queue.front();
            m_mouse.queue.pop_front();
            m_obf_aux = true;
            m_obf = true;
        } else {
            break;
        }
    }
    update_irqs();
}

void I8042::respond(u8 b, bool aux) {
    m_ctrl_queue.push_back(static_cast<u16>(b | (aux ? 0x100 : 0)));
    refill();
}

u32 I8042::io_read(u16 port, unsigned) {
    if (port == 0x64) {
        u8 s = kStatUnlocked;
        if (m_obf) {
            s |= kStatObf;
            if (m_obf_aux) {
                s |= kStatAuxObf;
            }
        }
        if (m_ram[0] & kCmdSys) {
            s |= kStatSys;
        }
        if (m_a2) {
            s |= kStatA2;
        }
        return s;
    }
    // Reading the data port empties the buffer (an empty buffer re-reads the last byte).
    const u8 v = m_out;
    if (m_obf) {
        m_obf = false;
        update_irqs(); // lower the line so the next byte is a fresh edge
        refill();
    }
    return v;
}

void I8042::io_write(u16 port, unsigned, u32 value) {
    const u8 v = static_cast<u8>(value);
    if (port == 0x64) {
        m_a2 = true;
        command(v);
    } else {
        m_a2 = false;
        data(v);
    }
}

void I8042::write_output_port(u8 v) {
    const bool old_a20 = a20();
    m_output_port = v;
    if (a20() != old_a20 && m_a20_cb) {
        m_a20_cb(a20());
    }
    if (!(v & 0x01)) {
        // The reset line is active low; the CPU restarts and the line returns high.
        m_output_port |= 0x01;
        if (m_reset_cb) {
            m_reset_cb();
        }
    }
}

void I8042::command(u8 v) {
    m_pending = 0;
    if (v >= 0x20 && v <= 0x3F) {
        respond(m_ram[v & 0x1F]);
        return;
    }
    if ((v >= 0x60 && v <= 0x7F) || (v >= 0xD1 && v <= 0xD4)) {
        m_pending = v;
        return;
    }
    if (v >= 0xF0) {
        // Pulse the output-port lines whose bit is 0 in the command; only bit 0 (reset)
        // has an effect on the PC.
        if (!(v & 0x01) && m_reset_cb) {
            m_reset_cb();
        }
        return;
    }
    switch (v) {
    case 0xA4: respond(0xF1); break; // no password installed
    case 0xA7: m_ram[0] |= kCmdAuxOff; break;
    case 0xA8:
        m_ram[0] &= static_cast<u8>(~kCmdAuxOff);
        refill();
        break;
    case 0xA9: respond(0x00); break; // aux interface test: no error
    case 0xAA: respond(0x55); break; // controller self-test passed
    case 0xAB: respond(0x00); break; // keyboard interface test: no error
    case 0xAD: m_ram[0] |= kCmdKbdOff; break;
    case 0xAE:
        m_ram[0] &= static_cast<u8>(~kCmdKbdOff);
        refill();
        break;
    case 0xC0: respond(0x80); break; // input port: keyboard not inhibited
    case 0xD0: {
        u8 p = m_output_port & 0xCF;
        if (m_obf) {
            p |= m_obf_aux ? 0x20 : 0x10;
        }
        respond(p);
        break;
    }
    case 0xDD: write_output_port(m_output_port & static_cast<u8>(~0x02)); break;
    case 0xDF: write_output_port(m_output_port | 0x02); break;
    case 0xE0: respond(0x00); break; // test inputs
    default:
        if (base::log_enabled(base::kLogUnimp)) {
            base::log_printf("i8042: unknown controller command 0x%02x ignored\n", v);
        }
        break;
    }
}

void I8042::data(u8 v) {
    const u8 pending = m_pending;
    m_pending = 0;
    if (pending >= 0x60 && pending <= 0x7F) {
        m_ram[pending & 0x1F] = v;
        refill(); // enables and port disables may have changed
        return;
    }
    switch (pending) {
    case 0xD1: write_output_port(v); return;
    case 0xD2: respond(v, false); return;
    case 0xD3: respond(v, true); return;
    case 0xD4: mouse_write(v); return;
    default: kbd_write(v); return;
    }
}

void I8042::kbd_send(u8 b) {
    if (m_kbd.queue.size() < kQueueMax) {
        m_kbd.queue.push_back(b);
    }
    m_kbd.last = b;
    refill();
}

void I8042::kbd_defaults() {
    m_kbd.set = 2;
    m_kbd.typematic = 0x2B;
    m_kbd.leds = 0;
}

void I8042::kbd_write(u8 v) {
    if (m_kbd.pending && v < 0xED) {
        const u8 cmd = m_kbd.pending;
        m_kbd.pending = 0;
        switch (cmd) {
        case 0xED:
            m_kbd.leds = v & 0x07;
            kbd_send(0xFA);
            break;
        case 0xF0:
            if (v == 0) {
                kbd_send(0xFA);
                kbd_send(m_kbd.set);
            } else if (v <= 2) {
                m_kbd.set = v;
                kbd_send(0xFA);
            } else {
                kbd_send(0xFE); // set 3 is not implemented
            }
            break;
        default: // 0xF3
            m_kbd.typematic = v & 0x7F;
            kbd_send(0xFA);
            break;
        }
        return;
    }
    m_kbd.pending = 0; // a command byte where an argument was expected starts over
    switch (v) {
    case 0xED:
    case 0xF0:
    case 0xF3:
        m_kbd.pending = v;
        kbd_send(0xFA);
        break;
    case 0xEE: kbd_send(0xEE); break;
    case 0xF2:
        kbd_send(0xFA);
        kbd_send(0xAB);
        kbd_send(0x83);
        break;
    case 0xF4:
        m_kbd.scanning = true;
        kbd_send(0xFA);
        break;
    case 0xF5:
        m_kbd.queue.clear();
        kbd_defaults();
        m_kbd.scanning = false;
        kbd_send(0xFA);
        break;
    case 0xF6:
        kbd_defaults();
        kbd_send(0xFA);
        break;
    case 0xFE: kbd_send(m_kbd.last); break;
    case 0xFF:
        m_kbd.queue.clear();
        kbd_defaults();
        m_kbd.scanning = true;
        kbd_send(0xFA);
        kbd_send(0xAA); // basic assurance test passed
        break;
    default:
        if (v >= 0xF7 && v <= 0xFD) {
            kbd_send(0xFA); // set-3 key type commands: acknowledged, no effect
        } else {
            kbd_send(0xFE);
        }
        break;
    }
}

void I8042::key_event(u16 set1_code, bool pressed) {
    if (!m_kbd.scanning) {
        return;
    }
    const bool extended = (set1_code >> 8) == 0xE0;
    const u8 code = set1_code & 0x7F;
    // Leave room for the whole sequence or drop it: half a key code would confuse the guest.
    if (m_kbd.queue.size() + 3 > kQueueMax) {
        return;
    }
    if (m_kbd.set == 1) {
        if (extended) {
            m_kbd.queue.push_back(0xE0);
        }
        m_kbd.queue.push_back(static_cast<u8>(code | (pressed ? 0 : 0x80)));
    } else {
        const u8 s2 = kSet1To2[code];
        if (!s2) {
            return;
        }
        if (extended) {
            m_kbd.queue.push_back(0xE0);
        }
        if (!pressed) {
            m_kbd.queue.push_back(0xF0);
        }
        m_kbd.queue.push_back(s2);
    }
    refill();
}

void I8042::mouse_send(u8 b) {
    if (m_mouse.queue.size() < kQueueMax) {
        m_mouse.queue.push_back(b);
    }
    refill();
}

void I8042::mouse_defaults() {
    m_mouse.reporting = false;
    m_mouse.remote = false;
    m_mouse.scaling21 = false;
    m_mouse.resolution = 2;
    m_mouse.rate = 100;
}

void I8042::mouse_write(u8 v) {
    if (m_mouse.pending && v < 0xE6) {
        if (m_mouse.pending == 0xE8) {
            m_mouse.resolution = v & 3;
        } else {
            m_mouse.rate = v;
        }
        m_mouse.pending = 0;
        mouse_send(0xFA);
        return;
    }
    m_mouse.pending = 0;
    switch (v) {
    case 0xE6: m_mouse.scaling21 = false; mouse_send(0xFA); break;
    case 0xE7: m_mouse.scaling21 = true; mouse_send(0xFA); break;
    case 0xE8:
    case 0xF3:
        m_mouse.pending = v;
        mouse_send(0xFA);
        break;
    case 0xE9:
        mouse_send(0xFA);
        mouse_send(static_cast<u8>((m_mouse.remote ? 0x40 : 0) | (m_mouse.reporting ? 0x20 : 0) |
                                   (m_mouse.scaling21 ? 0x10 : 0) | (m_mouse.buttons & 7)));
        mouse_send(m_mouse.resolution);
        mouse_send(m_mouse.rate);
        break;
    case 0xEA: m_mouse.remote = false; mouse_send(0xFA); break;
    case 0xF0: m_mouse.remote = true; mouse_send(0xFA); break;
    case 0xEB: // read data: one packet with no movement
        mouse_send(0xFA);
        mouse_send(static_cast<u8>(0x08 | (m_mouse.buttons & 7)));
        mouse_send(0);
        mouse_send(0);
        break;
    case 0xEC:
    case 0xEE: mouse_send(0xFA); break; // wrap mode is not modelled
    case 0xF2:
        mouse_send(0xFA);
        mouse_send(0x00); // standard PS/2 mouse
        break;
    case 0xF4: m_mouse.reporting = true; mouse_send(0xFA); break;
    case 0xF5: m_mouse.reporting = false; mouse_send(0xFA); break;
    case 0xF6: mouse_defaults(); mouse_send(0xFA); break;
    case 0xFF:
        m_mouse.queue.clear();
        mouse_defaults();
        mouse_send(0xFA);
        mouse_send(0xAA);
        mouse_send(0x00);
        break;
    default: mouse_send(0xFE); break;
    }
}

void I8042::mouse_event(int dx, int dy, u8 buttons) {
    m_mouse.buttons = buttons & 7;
    if (!m_mouse.reporting || m_mouse.remote || m_mouse.queue.size() + 3 > kQueueMax) {
        return;
    }
    const auto clamp = [](int v) { return v < -256 ? -256 : (v > 255 ? 255 : v); };
    const int x = clamp(dx);
    const int y = clamp(dy);
    u8 b0 = static_cast<u8>(0x08 | m_mouse.buttons);
    if (x < 0) {
        b0 |= 0x10;
    }
    if (y < 0) {
        b0 |= 0x20;
    }
    m_mouse.queue.push_back(b0);
    m_mouse.queue.push_back(static_cast<u8>(x & 0xFF));
    m_mouse.queue.push_back(static_cast<u8>(y & 0xFF));
    refill();
}

} // namespace devices
