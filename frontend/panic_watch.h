// SPDX-License-Identifier: MIT
// PanicWatch: a CharSink wrapped around the serial console's output that passes every byte on
// unchanged and watches the lines going by for a dying kernel ("Kernel panic", "Oops:",
// "BUG:", "general protection fault"). The first line of each kind is reported once, so a
// panic's closing "---[ end Kernel panic ..." line does not report it twice. Not here: what a
// report does (frontend/flight_dumps.h).
#pragma once

#include "devices/char/char_sink.h"

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace frontend {

enum class PanicKind : u8 { Panic, Oops, Bug, GeneralProtection };
inline constexpr unsigned kPanicKinds = 4;

/// The kind of dying-kernel report a console line is, if any (the text may sit anywhere in the
/// line: Linux puts a timestamp and a log level in front).
std::optional<PanicKind> classify_panic_line(std::string_view line);
/// "kernel panic", "oops", "BUG", "general protection fault".
const char* panic_kind_name(PanicKind kind);

class PanicWatch final : public devices::CharSink {
public:
    /// Called with the kind and the whole line (without its line end).
    using Handler = std::function<void(PanicKind, const std::string&)>;
    /// Lines longer than this are watched by their beginning only.
    static constexpr usize kMaxLine = 512;

    /// `inner` receives every byte (nullptr = discard them, still watching).
    PanicWatch(devices::CharSink* inner, Handler handler)
        : m_inner(inner), m_handler(std::move(handler)) {}

    void write(u8 c) override;
    void flush() override;

private:
    devices::CharSink* m_inner;
    Handler m_handler;
    std::string m_line;
    std::array<bool, kPanicKinds> m_reported{};
};

} // namespace frontend
