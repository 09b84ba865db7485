// SPDX-License-Identifier: MIT
// Interrupt wiring between devices and interrupt controllers. A device owns IrqLines (its
// output pins); each line is connected to one input of an IrqSink (an interrupt controller).
// An interrupt controller reports changes of its own output (INTR) through an IntrListener,
// which the board implements to drive the CPU's INTR input. Header-only: there is no logic
// here beyond remembering the level and forwarding changes.
#pragma once

#include "base/types.h"

namespace devices {

/// An interrupt controller's input side: `line` is the controller's input number.
class IrqSink {
public:
    virtual ~IrqSink() = default;
    /// The level of input `line` is now `level` (true = asserted).
    virtual void set_irq(unsigned line, bool level) = 0;
};

/// Told when an interrupt controller's output to the CPU changes.
class IntrListener {
public:
    virtual ~IntrListener() = default;
    /// The controller's INTR output is now `asserted`.
    virtual void intr_changed(bool asserted) = 0;
};

/// One interrupt request wire from a device to a controller input. A default-constructed
/// line is unconnected: changes are remembered but go nowhere (a device without an IRQ).
/// Copyable: the board hands devices a configured line by value.
class IrqLine {
public:
    IrqLine() = default;
    IrqLine(IrqSink* sink, unsigned line) : m_sink(sink), m_line(line) {}

    /// (Re)connects the line; the current level is forwarded to the new sink.
    void connect(IrqSink* sink, unsigned line) {
        m_sink = sink;
        m_line = line;
        if (m_sink) {
            m_sink->set_irq(m_line, m_level);
        }
    }

    /// Drives the line. Only changes are forwarded, so calling it with the same level is cheap.
    void set_level(bool level) {
        if (level == m_level) {
            return;
        }
        m_level = level;
        if (m_sink) {
            m_sink->set_irq(m_line, level);
        }
    }
    void raise() { set_level(true); }
    void lower() { set_level(false); }
    /// A rising edge that leaves the line low: for edge-triggered inputs (the 8259A latches
    /// the request on the rising edge).
    void pulse() {
        set_level(false);
        set_level(true);
        set_level(false);
    }

    bool level() const { return m_level; }
    bool connected() const { return m_sink != nullptr; }
    unsigned line() const { return m_line; }

private:
    IrqSink* m_sink = nullptr;
    unsigned m_line = 0;
    bool m_level = false;
};

} // namespace devices
