// SPDX-License-Identifier: MIT
// Device: the small common face of every PC device model (name, reset) and DeviceInfo, the
// static descriptor each device header publishes for the board and `--list-devices`. There
// is no registry: the board constructs devices itself and wires them (devices/board/pc.cpp).
// save/load of device state comes later; devices keep all their state in plain members so
// it can be serialised field by field.
#pragma once

#include "base/types.h"

#include <string_view>

namespace devices {

/// Why a device is being reset.
enum class ResetKind : u8 {
    PowerOn, ///< cold start: everything, including battery-backed state, to its initial value
    Warm,    ///< system reset (reset button, 0xFE pulse): battery-backed state survives
};

/// Static description of a device type.
struct DeviceInfo {
    std::string_view name;        ///< short identifier, e.g. "i8259"
    std::string_view description; ///< one line for humans
};

class Device {
public:
    virtual ~Device() = default;
    /// The device's short name (its DeviceInfo name).
    virtual std::string_view name() const = 0;
    /// Returns the device to its reset state. Connections (IRQ lines, callbacks) are kept.
    virtual void reset(ResetKind kind) = 0;
};

} // namespace devices
