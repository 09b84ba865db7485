// SPDX-License-Identifier: MIT
// CpuHarness: a CPU over plain RAM with a recording CpuEnv, for unit and vector tests.
// Ports read all-ones (or a value the test sets); writes are recorded.
#pragma once

#include "cpu/cpu.h"
#include "cpu/interp/interpreter.h"
#include "mmu/phys_map.h"
#include "translator/jit_engine.h"

#include <cstdlib>
#include <string_view>

#include <cstring>
#include <vector>

namespace tests {

class RecordingEnv final : public cpu::CpuEnv {
public:
    struct PortWrite {
        u16 port;
        unsigned size;
        u32 value;
    };
    std::vector<PortWrite> writes;
    u32 port_read_value = 0xFFFFFFFF;
    u8 irq_vector = 0x20;
    u64 ticks = 0;
    bool shut_down = false;

    u32 port_in(u16, unsigned size) override {
        return port_read_value & (size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1));
    }
    void port_out(u16 port, unsigned size, u32 value) override { writes.push_back({port, size, value}); }
    u8 acknowledge_interrupt() override { return irq_vector; }
    u64 tsc() override { return ticks; }
    void shutdown(cpu::ShutdownKind) override { shut_down = true; }
};

class CpuHarness {
public:
    explicit CpuHarness(u64 ram_bytes = 16u << 20) {
        ram = phys.add_ram(0, ram_bytes, "ram");
        ram_size = ram_bytes;
        cpu = std::make_unique<cpu::Cpu>(phys, env);
        // TX86_ENGINE=jit runs every step as a one-instruction translated block instead.
        const char* e = std::getenv("TX86_ENGINE");
        use_jit = e && std::string_view(e) == "jit";
        cpu->set_engine(use_jit ? static_cast<cpu::ExecutionEngine*>(&jit) : &interp);
    }

    /// Writes guest RAM directly (no CPU access), so it also drops cached decodes of those bytes.
    void poke(u64 pa, const std::vector<u8>& bytes) {
        if (bytes.empty()) {
            return;
        }
        std::memcpy(ram + pa, bytes.data(), bytes.size());
        interp.invalidate_code(pa, bytes.size());
        jit.invalidate_code(pa, bytes.size());
    }
    u8 peek(u64 pa) const { return ram[pa]; }
    /// Tells both engines that RAM in [pa, pa+len) was written directly (cached code is stale).
    void code_changed(u64 pa, u64 len) {
        interp.invalidate_code(pa, len);
        jit.invalidate_code(pa, len);
    }

    /// Real mode with CS:IP = seg:ip and every segment base 0 but CS.
    void real_mode_at(u16 cs, u16 ip) {
        cpu->reset();
        cpu->s.seg[cpu::kCs] = cpu::Segment{cs, 0x9B, 0xFFFF, u64{cs} << 4};
        cpu->s.rip = ip;
    }

    /// Flat 32-bit protected mode (ring 0, no paging), segments with base 0 and 4 GiB limits.
    void flat32_at(u32 eip) {
        cpu->reset();
        cpu->s.cr0 |= cpu::kCr0PE;
        for (int i = 0; i < 6; ++i) {
            cpu->s.seg[i] = cpu::Segment{0x10, 0xC093, 0xFFFFFFFF, 0};
        }
        cpu->s.seg[cpu::kCs] = cpu::Segment{0x08, 0xC09B, 0xFFFFFFFF, 0};
        cpu->s.rip = eip;
        cpu->s.cpl = 0;
        cpu->tlb_flush_all();
    }

    cpu::Status step() { return use_jit ? jit.step_one(*cpu) : cpu::interp::step(*cpu); }

    mmu::PhysMap phys;
    u8* ram = nullptr;
    u64 ram_size = 0;
    RecordingEnv env;
    cpu::interp::Interpreter interp;
    translator::JitEngine jit;
    bool use_jit = false;
    std::unique_ptr<cpu::Cpu> cpu;
};

} // namespace tests
