// SPDX-License-Identifier: MIT
#include "base/log.h"

namespace base {

u32 g_log_mask = 0;
static FILE* s_log_file = nullptr;

bool parse_log_items(std::string_view items, u32& mask, std::string& bad) {
    struct Item {
        std::string_view name;
        u32 bit;
    };
    static constexpr Item kItems[] = {
        {"exec", kLogExec}, {"in_asm", kLogExec},         {"cpu", kLogCpu},
        {"int", kLogInt},   {"mmu", kLogMmu},             {"guest_errors", kLogGuestErr},
        {"unimp", kLogUnimp}, {"jit", kLogJit},           {"nochain", 0},
        {"ring", kLogRing},
    };
    mask = 0;
    while (!items.empty()) {
        const auto comma = items.find(',');
        const auto word = items.substr(0, comma);
        bool found = false;
        for (const auto& it : kItems) {
            if (it.name == word) {
                mask |= it.bit;
                found = true;
            }
        }
        if (!found) {
            bad = std::string(word);
            return false;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        items.remove_prefix(comma + 1);
    }
    return true;
}

bool set_log_file(const std::string& path) {
    if (path.empty()) {
        s_log_file = nullptr;
        return true;
    }
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) {
        return false;
    }
    s_log_file = f;
    return true;
}

FILE* log_file() { return s_log_file ? s_log_file : stderr; }

void log_printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(log_file(), fmt, ap);
    va_end(ap);
}

} // namespace base
