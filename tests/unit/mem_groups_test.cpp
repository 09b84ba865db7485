// SPDX-License-Identifier: MIT
// The memory-group planner (translator/mem_groups.h): which accesses of a block share one TLB
// check, and what ends a group.
#include "cpu/decoder/decoder.h"
#include "cpu/state.h"
#include "translator/mem_groups.h"

#include <catch2/catch.hpp>

#include <vector>

namespace {

using translator::MemGroupPlan;

/// Decodes 32-bit code into the instructions of one block.
std::vector<cpu::DecodedInsn> decode_all(const std::vector<u8>& code) {
    std::vector<cpu::DecodedInsn> out;
    usize off = 0;
    while (off < code.size()) {
        cpu::DecodedInsn d;
        REQUIRE(cpu::decode(code.data() + off, code.size() - off, cpu::CodeMode::Bits32, d) == cpu::DecodeError::None);
        out.push_back(d);
        off += d.length;
    }
    return out;
}

MemGroupPlan plan(const std::vector<u8>& code) {
    const std::vector<cpu::DecodedInsn> insns = decode_all(code);
    return translator::plan_mem_groups(insns.data(), static_cast<u32>(insns.size()),
                                       std::vector<bool>(insns.size(), true));
}

} // namespace

TEST_CASE("memory groups: a stack frame's accesses share the first one's check", "[jit]") {
    // mov eax,[ebp-8] / mov esi,[esi] / mov ecx,[ebp-12] / add [ebp-16],eax
    const MemGroupPlan p = plan({0x8b, 0x45, 0xf8, 0x8b, 0x36, 0x8b, 0x4d, 0xf4, 0x01, 0x45, 0xf0});
    REQUIRE(p.groups.size() == 1);
    CHECK(p.role == std::vector<u8>{MemGroupPlan::kFirst, MemGroupPlan::kNone, MemGroupPlan::kMember,
                                     MemGroupPlan::kMember});
    CHECK(p.groups[0].disp_first == -8);
    CHECK(p.groups[0].disp_min == -16);
    CHECK(p.groups[0].span == 12); // -16 up to the end of [ebp-8]
    CHECK(p.groups[0].write);      // the ADD writes memory
}

TEST_CASE("memory groups: read-only groups do not ask for a writable page", "[jit]") {
    // mov eax,[esi+4] / cmp [esi+8],eax / push dword [esi+12]
    const MemGroupPlan p = plan({0x8b, 0x46, 0x04, 0x39, 0x46, 0x08, 0xff, 0x76, 0x0c});
    REQUIRE(p.groups.size() == 1);
    CHECK(p.role[2] == MemGroupPlan::kMember);
    CHECK_FALSE(p.groups[0].write);
}

TEST_CASE("memory groups: a changed base register, an unknown instruction or an interpreter call ends a group", "[jit]") {
    // mov eax,[ebp-8] / pop ebp / mov ecx,[ebp-12]: POP EBP changes the base.
    MemGroupPlan p = plan({0x8b, 0x45, 0xf8, 0x5d, 0x8b, 0x4d, 0xf4});
    CHECK(p.groups.empty());
    CHECK(p.role == std::vector<u8>(3, MemGroupPlan::kNone));
    // mov eax,[eax+4] / mov ecx,[eax+8]: the first access changes its own base.
    p = plan({0x8b, 0x40, 0x04, 0x8b, 0x48, 0x08});
    CHECK(p.role == std::vector<u8>(2, MemGroupPlan::kNone));
    // mov eax,[esi+4] / in al,dx / mov ecx,[esi+8]: IN is not known to leave registers alone.
    p = plan({0x8b, 0x46, 0x04, 0xec, 0x8b, 0x4e, 0x08});
    CHECK(p.role == std::vector<u8>(3, MemGroupPlan::kNone));
    CHECK(p.close_before[1]);
    // mov eax,[esi+4] / imul dword [esi+8] / mov ecx,[esi+12]: one-operand IMUL writes EDX:EAX,
    // which no operand names.
    p = plan({0x8b, 0x46, 0x04, 0xf7, 0x6e, 0x08, 0x8b, 0x4e, 0x0c});
    CHECK(p.role == std::vector<u8>(3, MemGroupPlan::kNone));
    // The same three, the middle one run by the interpreter.
    const std::vector<cpu::DecodedInsn> insns = decode_all({0x8b, 0x46, 0x04, 0x8b, 0x46, 0x08, 0x8b, 0x4e, 0x0c});
    const MemGroupPlan q = translator::plan_mem_groups(insns.data(), 3, {true, false, true});
    CHECK(q.role == std::vector<u8>(3, MemGroupPlan::kNone));
}

TEST_CASE("memory groups: a span wider than the limit starts no group", "[jit]") {
    // mov eax,[ebp-0x800] / mov ecx,[ebp+0x800]: 4100 bytes, more than a page can hold.
    const MemGroupPlan p = plan({0x8b, 0x85, 0x00, 0xf8, 0xff, 0xff, 0x8b, 0x8d, 0x00, 0x08, 0x00, 0x00});
    CHECK(p.role == std::vector<u8>(2, MemGroupPlan::kNone));
}

TEST_CASE("memory groups: with reads past the TLB, a write joins only a group whose first access writes", "[jit]") {
    // mov eax,[ebp-8] / mov ecx,[ebp-12] / add [ebp-16],eax / mov edx,[ebp-4]
    const std::vector<cpu::DecodedInsn> insns =
        decode_all({0x8b, 0x45, 0xf8, 0x8b, 0x4d, 0xf4, 0x01, 0x45, 0xf0, 0x8b, 0x55, 0xfc});
    const std::vector<bool> native(insns.size(), true);
    const MemGroupPlan p = translator::plan_mem_groups(insns.data(), 4, native, true);
    REQUIRE(p.groups.size() == 1);
    CHECK(p.role == std::vector<u8>{MemGroupPlan::kFirst, MemGroupPlan::kMember, MemGroupPlan::kNone,
                                     MemGroupPlan::kMember});
    CHECK_FALSE(p.groups[0].write);
    // A group that begins with a write takes later writes as before.
    // add [ebp-16],eax / mov ecx,[ebp-12] / mov [ebp-8],ecx
    const std::vector<cpu::DecodedInsn> w = decode_all({0x01, 0x45, 0xf0, 0x8b, 0x4d, 0xf4, 0x89, 0x4d, 0xf8});
    const MemGroupPlan q = translator::plan_mem_groups(w.data(), 3, std::vector<bool>(3, true), true);
    REQUIRE(q.groups.size() == 1);
    CHECK(q.role == std::vector<u8>{MemGroupPlan::kFirst, MemGroupPlan::kMember, MemGroupPlan::kMember});
    CHECK(q.groups[0].write);
    // Without the flag, the first example's ADD joins (and makes the group a writer).
    const MemGroupPlan r = translator::plan_mem_groups(insns.data(), 4, native);
    CHECK(r.role[2] == MemGroupPlan::kMember);
    CHECK(r.groups[0].write);
}

TEST_CASE("memory groups: PUSH, POP, CALL and RET join groups on ESP, which they move by known amounts", "[jit]") {
    // push ebp / push edi / push esi / push ebx / sub esp,0x1c / mov eax,[esp+0x30] /
    // add esp,0x1c / pop ebx / pop esi / pop edi / pop ebp / ret: one group, displacements
    // from ESP at the start.
    MemGroupPlan p = plan({0x55, 0x57, 0x56, 0x53, 0x83, 0xec, 0x1c, 0x8b, 0x44, 0x24, 0x30,
                           0x83, 0xc4, 0x1c, 0x5b, 0x5e, 0x5f, 0x5d, 0xc3});
    REQUIRE(p.groups.size() == 1);
    using R = MemGroupPlan::Role;
    CHECK(p.role == std::vector<u8>{R::kFirst, R::kMember, R::kMember, R::kMember, R::kNone, R::kMember,
                                     R::kNone, R::kMember, R::kMember, R::kMember, R::kMember, R::kMember});
    CHECK(p.disp == std::vector<i32>{-4, -8, -12, -16, 0, 4, 0, -16, -12, -8, -4, 0});
    CHECK(p.stack == std::vector<bool>{true, true, true, true, false, false, false, true, true, true, true, true});
    CHECK(p.groups[0].disp_min == -16);
    CHECK(p.groups[0].span == 24); // -16 up to the end of [esp+0x30] (4 above the start)
    CHECK(p.groups[0].write);
    CHECK(p.groups[0].seg == cpu::kSs);
    CHECK(p.groups[0].base == cpu::kRsp);
    // ESP after each instruction, from the group's base: a group site finds the base again.
    CHECK(p.esp_after == std::vector<i32>{-4, -8, -12, -16, -44, -44, -16, -12, -8, -4, 0, 4});
    CHECK(p.last_access == std::vector<u32>{11});
    // push ebx / mov esp,ebp / pop ebx: ESP moved by an amount not known here.
    p = plan({0x53, 0x89, 0xec, 0x5b});
    CHECK(p.groups.empty());
    // push ebx / mov eax,esp / push ecx / call: reading ESP leaves the group alone; the CALL
    // joins it.
    p = plan({0x53, 0x89, 0xe0, 0x51, 0xe8, 0xf7, 0x00, 0x00, 0x00});
    REQUIRE(p.groups.size() == 1);
    CHECK(p.role == std::vector<u8>{R::kFirst, R::kNone, R::kMember, R::kMember});
    CHECK(p.disp[3] == -12);
}
