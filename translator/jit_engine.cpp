// SPDX-License-Identifier: MIT
// JitEngine: dispatcher, block lookup and translation, chaining, invalidation (jit_engine.h).
#include "translator/jit_engine.h"

#include "base/check.h"
#include "base/log.h"
#include "cpu/decoder/decoder.h"
#include "cpu/flags.h"
#include "cpu/interp/interpreter.h"
#include "translator/block_key.h"
#include "translator/helpers.h"

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <tuple>

#include <unistd.h>

namespace translator {

using namespace asmjit;

namespace {

// A block's cold code (slow paths, exit stubs) is about twice its hot code.
constexpr usize kHotCodeSize = usize{64} << 20;
constexpr usize kColdCodeSize = usize{128} << 20;
constexpr u32 kMaxBlockInsns = 64;
constexpr usize kMaxBlockCode = 64 * 1024; ///< room kept free for one more block

i32 disp(const void* field, const cpu::Cpu& c) {
    return static_cast<i32>(reinterpret_cast<uptr>(field) - reinterpret_cast<uptr>(&c.s));
}

} // namespace

JitEngine::JitEngine() : m_code(kHotCodeSize, kColdCodeSize), m_max_block_insns(kMaxBlockInsns) {}

void JitEngine::prefault_code_buffer() {
    // A boot to the shell fills about 20 MiB of hot and 41 MiB of cold code.
    m_code.prefault_in_background(usize{24} << 20, usize{48} << 20);
}

Block* JitEngine::block_at(cpu::Cpu& cpu) {
    if (m_cpu != &cpu) {
        init(cpu);
    }
    if (cpu.phys().generation() != m_phys_generation) {
        m_phys_generation = cpu.phys().generation();
        flush_all();
    }
    if (cpu.s.inhibit_irq || (cpu.s.eflags & cpu::kTF)) {
        return nullptr;
    }
    return find_block(cpu);
}

cpu::Status JitEngine::step_one(cpu::Cpu& cpu) {
    if (m_cpu != &cpu) {
        init(cpu);
    }
    set_max_block_insns(1);
    Block* b = block_at(cpu);
    // The interpreter also when a recorder has no room for the block's record (record_budget).
    if (!b || record_budget(1) < 1) {
        const cpu::Status st = cpu::interp::step(cpu);
        cpu::flush_flags(cpu.s);
        return st;
    }
    cpu::flush_flags(cpu.s);
    cpu.jit_icount_limit = cpu.icount + 1;
    const u32 code = m_enter(&cpu.s, &m_ctx, b->entry_dispatch);
    m_ctx.chain_block = nullptr;
    m_ctx.probe_miss = nullptr;
    return code == kExitStop ? cpu::Status::Stop : cpu::Status::Ok;
}

void JitEngine::set_max_block_insns(u32 n) {
    if (n != m_max_block_insns) {
        m_max_block_insns = n;
        if (m_cpu) {
            flush_all();
        }
    }
}

JitEngine::~JitEngine() {
    if (base::log_enabled(base::kLogJit)) {
        print_stats(base::log_file());
    }
    set_fallback_profile(nullptr);
}

void JitEngine::init(cpu::Cpu& cpu) {
    m_cpu = &cpu;
    m_layout.icount_limit = disp(&cpu.jit_icount_limit, cpu);
    m_layout.intr_line = disp(&cpu.intr_line, cpu);
    m_layout.icount = disp(&cpu.icount, cpu);
    // The host x87 control word translated code restores after computing on the x87.
    __asm__ volatile("fnstcw %0" : "=m"(m_ctx.x87_host_fcw));
    m_layout.tlb_bank[0] = disp(&cpu.tlb_bank[0], cpu);
    m_layout.tlb_bank[1] = disp(&cpu.tlb_bank[1], cpu);
    m_layout.cpu_from_state = disp(&cpu, cpu);
    m_recorder = cpu.recorder;
    m_layout.trace_cursor = m_recorder ? &m_recorder->cursor : nullptr;
    m_layout.trace_wrap_bytes = m_recorder ? m_recorder->wrap_bytes : 0;
    m_ctx.trace_cursor = m_layout.trace_cursor;
    m_debug_generation = cpu.debug_generation;
    m_layout.code_chunks = cpu.phys().code_chunk_table();
    m_ctx.code_chunks = m_layout.code_chunks;

    // The trampoline: saves the callee-saved registers, sets rbx/r12, jumps into a block; the
    // epilogue (where every block exit ends) undoes it and returns eax.
    CodeHolder code;
    u8* dst = m_code.cursor();
    code.init(Environment::host(), reinterpret_cast<u64>(dst));
    x86::Assembler a(&code);
    for (const x86::Gp& r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15}) {
        a.push(r);
    }
    a.sub(x86::rsp, 8); // 16-byte alignment at helper calls
    a.mov(x86::rbx, x86::rdi);
    a.mov(x86::r12, x86::rsi);
    // Blocks are entered with the arithmetic flags in r10, in the layout LAHF + SETO AL give
    // (see BlockCompiler): SF ZF AF PF CF at bits 8..15, OF as bit 0.
    a.mov(x86::r10d, x86::dword_ptr(x86::rbx, static_cast<i32>(offsetof(cpu::CpuState, eflags))));
    emit_eflags_to_capture(a, x86::r10);
    // ... and with the recorder's cursor in rbp, when one is attached (BlockCompiler's kTraceCur).
    const i32 cursor_field = static_cast<i32>(offsetof(JitContext, trace_cursor));
    Label no_recorder = a.newLabel();
    a.mov(x86::rax, x86::qword_ptr(x86::r12, cursor_field));
    a.test(x86::rax, x86::rax);
    a.jz(no_recorder);
    a.mov(x86::rbp, x86::qword_ptr(x86::rax));
    a.bind(no_recorder);
    a.jmp(x86::rdx);
    Label epilogue = a.newLabel();
    a.align(AlignMode::kCode, 16);
    a.bind(epilogue);
    {
        Label none = a.newLabel();
        a.mov(x86::rcx, x86::qword_ptr(x86::r12, cursor_field));
        a.test(x86::rcx, x86::rcx);
        a.jz(none);
        a.mov(x86::qword_ptr(x86::rcx), x86::rbp);
        a.bind(none);
    }
    a.add(x86::rsp, 8);
    for (const x86::Gp& r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) {
        a.pop(r);
    }
    a.ret();
    // The shared exit tails (CpuLayout::chain_exit, budget_exit): the six arithmetic flags from
    // r10 into EFLAGS, rip, then the exit code.
    const auto merge_flags_and_rip = [&] {
        const i32 eflags = static_cast<i32>(offsetof(cpu::CpuState, eflags));
        a.mov(x86::ecx, x86::r10d);
        emit_capture_to_eflags(a, x86::ecx, true);
        a.and_(x86::ecx, static_cast<i32>(cpu::kArithFlags));
        a.and_(x86::dword_ptr(x86::rbx, eflags), static_cast<i32>(~cpu::kArithFlags));
        a.or_(x86::dword_ptr(x86::rbx, eflags), x86::ecx);
        a.mov(x86::qword_ptr(x86::rbx, static_cast<i32>(offsetof(cpu::CpuState, rip))), x86::rax);
    };
    Label chain_exit = a.newLabel();
    a.align(AlignMode::kCode, 16);
    a.bind(chain_exit);
    merge_flags_and_rip();
    a.mov(x86::qword_ptr(x86::r12, static_cast<i32>(offsetof(JitContext, chain_block))), x86::rsi);
    a.mov(x86::qword_ptr(x86::r12, static_cast<i32>(offsetof(JitContext, chain_slot))), x86::rdi);
    a.mov(x86::eax, kExitChain);
    a.jmp(epilogue);
    Label budget_exit = a.newLabel();
    a.align(AlignMode::kCode, 16);
    a.bind(budget_exit);
    merge_flags_and_rip();
    a.mov(x86::eax, kExitBudget);
    a.jmp(epilogue);
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(reinterpret_cast<u64>(dst));
    const usize size = code.codeSize();
    code.copyFlattenedData(dst, size, CopySectionFlags::kPadSectionBuffer);
    m_enter = reinterpret_cast<EnterFn>(dst);
    m_layout.epilogue = dst + code.labelOffsetFromBase(epilogue);
    m_layout.chain_exit = dst + code.labelOffsetFromBase(chain_exit);
    m_layout.budget_exit = dst + code.labelOffsetFromBase(budget_exit);
    m_code.commit(size);
    m_code_mark = m_code.used();

    m_jump_cache = base::HugeArray<JumpCacheEntry>(kJumpCacheSize);
    m_jump_cache_blocks = std::make_unique<Block*[]>(kJumpCacheSize);
    m_map.reserve(1 << 16);
    m_block_cache = std::make_unique<BlockCacheLine[]>(kBlockCacheSize);
    m_ctx.jump_cache = m_jump_cache.get();
    m_ctx.tlb_epoch = cpu.tlb_spaces().epoch();
    m_ctx.engine = this;
    m_compiler = std::make_unique<BlockCompiler>(m_layout, m_ctx);
    m_phys_generation = cpu.phys().generation();
    if (base::log_enabled(base::kLogJit)) {
        m_fallback_counts = std::make_unique<u64[]>(cpu::kInsnCount);
        m_ctx.fallback_counts = m_fallback_counts.get();
        m_miss_counts = std::make_unique<u64[]>(cpu::kInsnCount + 1);
        set_fallback_profile(&m_ctx);
    }
}

void JitEngine::patch_jump(u8* jmp, const u8* target) {
    const i32 rel = static_cast<i32>(target - (jmp + 5));
    std::memcpy(jmp + 1, &rel, 4);
}

void JitEngine::unchain(Block* from, unsigned slot) {
    ChainSlot& s = from->slots[slot];
    if (s.target == nullptr) {
        return;
    }
    auto& in = s.target->incoming;
    in.erase(std::remove(in.begin(), in.end(), std::pair<Block*, u8>(from, static_cast<u8>(slot))), in.end());
    if (s.code_word) {
        *s.code_word = s.stub;
    } else {
        patch_jump(s.jmp, s.stub);
    }
    if (s.expect) {
        *s.expect = 1;
    }
    s.target = nullptr;
}

void JitEngine::chain(Block* from, unsigned slot, Block* to, uptr addend) {
    ChainSlot& s = from->slots[slot];
    if ((s.jmp == nullptr && s.code_word == nullptr) || (s.target == to && (!s.expect || *s.expect == addend))) {
        return;
    }
    if (s.code_word && addend != from->page_addend) {
        return; // a return exit leads only where the CALL's page maps (ReturnPrediction)
    }
    unchain(from, slot);
    if (s.expect) {
        *s.expect = addend;
    }
    // Past the reload when `from` leaves every register `to` caches in the host register `to`
    // expects it in (exits store the cached registers but keep them).
    bool same_registers = s.code_word == nullptr;
    for (unsigned r = 0; r < 8; ++r) {
        same_registers &= to->cached_in[r] < 0 || to->cached_in[r] == from->cached_in[r];
    }
    if (s.code_word) {
        *s.code_word = to->entry;
        ++m_ctx.stats.return_chains;
    } else {
        patch_jump(s.jmp, same_registers ? to->entry_noreload : to->entry);
    }
    if (same_registers) {
        ++m_ctx.stats.chains_noreload;
    }
    s.target = to;
    to->incoming.emplace_back(from, static_cast<u8>(slot));
    ++m_ctx.stats.chains;
}

void JitEngine::invalidate_block(Block* b) {
    if (!b->valid) {
        return;
    }
    b->valid = false;
    ++m_ctx.stats.blocks_invalidated;
    auto it = m_map.find(b->key);
    if (it != m_map.end() && it->second == b) {
        m_map.erase(it);
    }
    BlockCacheLine& line = cache_line(b->key);
    if (line.block == b) {
        line = BlockCacheLine{};
    }
    m_cpu->phys().code_remove(b->key.phys_pc);
    if (b->tail_len != 0) {
        m_cpu->phys().code_remove(b->tail_phys);
    }
    // Nothing may jump here any more: unpatch chains into it, drop its jump-cache line.
    while (!b->incoming.empty()) {
        auto [from, slot] = b->incoming.back();
        unchain(from, slot);
    }
    for (unsigned k = 0; k < 2; ++k) {
        unchain(b, k);
    }
    JumpCacheEntry& j = m_jump_cache[jump_cache_index(b->key.lin_pc)];
    if (j.code == b->entry) {
        j = JumpCacheEntry{};
    }
}

void JitEngine::translate_without_groups(Block& b) {
    if (m_groupless.size() >= kMaxGroupless) {
        m_groupless.clear();
    }
    m_groupless.insert(b.key);
    ++m_ctx.stats.groupless_blocks;
    invalidate_block(&b);
}

void JitEngine::invalidate_code(u64 pa, u64 len) {
    // Every write off the fast path comes here (Cpu::access_slow); "writes to code pages"
    // counts those that land on a page holding translated code.
    const u64 end = pa + len;
    bool counted = false;
    for (u64 page = pa & ~u64{0xFFF}; page < end; page += 0x1000) {
        auto it = m_by_page.find(page);
        if (it == m_by_page.end()) {
            continue;
        }
        if (!counted) {
            ++m_ctx.stats.smc_writes;
            counted = true;
        }
        std::vector<Block*>& list = it->second;
        for (usize i = 0; i < list.size();) {
            Block* b = list[i];
            const u64 b0 = b->key.phys_pc;
            const u64 b1 = b0 + b->nbytes - b->tail_len;
            const bool hits_tail = b->tail_len != 0 && b->tail_phys < end && pa < b->tail_phys + b->tail_len;
            if ((b0 < end && pa < b1) || hits_tail) {
                invalidate_block(b);
                list[i] = list.back();
                list.pop_back();
            } else {
                ++i;
            }
        }
        if (list.empty()) {
            m_by_page.erase(it);
        }
    }
}

void JitEngine::tlb_flushed() {
    // Nothing to do: jump-cache lines and cross-page chains check the TLB when taken, so a
    // dropped or changed translation just makes them miss.
    ++m_ctx.stats.jump_cache_clears;
}

void JitEngine::flush_all() {
    ++m_ctx.stats.flushes;
    for (auto& b : m_blocks) {
        if (b->valid) {
            m_cpu->phys().code_remove(b->key.phys_pc);
            if (b->tail_len != 0) {
                m_cpu->phys().code_remove(b->tail_phys);
            }
        }
    }
    m_blocks.clear();
    m_map.clear();
    std::fill_n(m_block_cache.get(), kBlockCacheSize, BlockCacheLine{});
    m_by_page.clear();
    std::fill_n(m_jump_cache.get(), kJumpCacheSize, JumpCacheEntry{});
    // Return predictions lead into the code about to be reused.
    std::fill_n(m_ctx.ret_stack, kReturnStackSize, ReturnPrediction{});
    m_code.reset_to(m_code_mark);
    m_ctx.chain_block = nullptr;
}

bool JitEngine::tail_page(cpu::Cpu& cpu, u64 lin, TailPage& out) {
    if (cpu.debug_armed()) {
        return false; // a watched or broken-on tail: the interpreter's step reports it
    }
    const cpu::TlbEntry* e = cpu.fetch_entry(lin);
    if (!e) {
        m_retry_later = true; // the interpreter's fetch fills the entry
        return false;
    }
    out.lin = lin;
    out.phys = e->ppage & cpu.phys().a20_mask();
    out.addend = e->addend;
    out.host = reinterpret_cast<const u8*>(e->addend + lin);
    return true;
}

Block* JitEngine::translate(cpu::Cpu& cpu, const BlockKey& key, const u8* host) {
    const cpu::CodeMode mode = (key.flags & kKeyCode32) ? cpu::CodeMode::Bits32 : cpu::CodeMode::Bits16;
    const u64 page_off = key.phys_pc & 0xFFF;
    const u64 cs_limit = cpu.s.seg[cpu::kCs].limit;
    const u64 ip_mask = mode == cpu::CodeMode::Bits32 ? 0xFFFFFFFFu : 0xFFFF;
    u64 eip = key.lin_pc - key.cs_base;
    std::vector<cpu::DecodedInsn> insns;
    u64 off = 0;
    m_retry_later = false;
    TailPage tail;
    u8 span[15];
    while (insns.size() < m_max_block_insns) {
        const u64 avail = std::min<u64>(15, 0x1000 - page_off - off);
        if (avail == 0) {
            break;
        }
        cpu::DecodedInsn d;
        if (cpu::decode(host + off, static_cast<usize>(avail), mode, d) != cpu::DecodeError::None) {
            // Bad bytes, or an instruction crossing into the next page: that one can end the
            // block when the next page is in the TLB already (the interpreter's fetch fills
            // it; no walk here, which would set accessed bits early).
            if (avail == 15 || !tail_page(cpu, (key.lin_pc & ~u64{0xFFF}) + 0x1000, tail)) {
                break;
            }
            std::copy_n(host + off, avail, span);
            std::copy_n(tail.host, 15 - avail, span + avail);
            if (cpu::decode(span, 15, mode, d) != cpu::DecodeError::None || d.length <= avail) {
                break;
            }
            tail.len = static_cast<u32>(d.length - avail);
        }
        if ((eip & ip_mask) + d.length - 1 > cs_limit) {
            tail.len = 0;
            break;
        }
        if (!insns.empty() && cpu.debug_armed() && cpu.is_breakpoint(key.lin_pc + off)) {
            tail.len = 0;
            break; // a breakpoint starts its own block, which the dispatcher checks
        }
        insns.push_back(d);
        off += d.length;
        eip += d.length;
        if (tail.len != 0) {
            break;
        }
        if (insns.size() >= 2 && insns[insns.size() - 2].id == cpu::InsnId::STI) {
            break; // the instruction in STI's shadow ends the block: interrupts come next
        }
        if (d.id == cpu::InsnId::STI) {
            continue; // see BlockCompiler: the block runs STI's shadow itself
        }
        const u32 attrs = d.info().attrs;
        if ((attrs & (cpu::kEndsBlock | cpu::kSerializing)) || ends_block_mode(d) ||
            (d.prefixes & (cpu::kPfxRep | cpu::kPfxRepne))) {
            break;
        }
    }
    if (insns.empty()) {
        return nullptr;
    }
    if (m_code.free_bytes() < kMaxBlockCode || m_code.cold_free_bytes() < kMaxBlockCode) {
        flush_all();
    }
    auto blk = std::make_unique<Block>();
    Block* b = blk.get();
    b->key = key;
    b->page_addend = reinterpret_cast<uptr>(host) - static_cast<uptr>(key.lin_pc);
    b->ninsns = static_cast<u32>(insns.size());
    b->nbytes = static_cast<u32>(off);
    b->tail_len = tail.len;
    b->tail_lin = tail.lin;
    b->tail_phys = tail.phys;
    b->tail_addend = tail.addend;
    b->self_loop = !(cpu.debug_armed() && cpu.is_breakpoint(key.lin_pc));
    b->no_groups = m_groupless.contains(key);
    b->insns = std::make_unique<cpu::DecodedInsn[]>(insns.size());
    std::copy(insns.begin(), insns.end(), b->insns.get());
    if (m_recorder) {
        cpu::BlockDef def;
        def.lin_pc = key.lin_pc;
        def.phys_pc = key.phys_pc;
        def.cs_base = key.cs_base;
        def.cs_selector = cpu.s.seg[cpu::kCs].selector;
        def.code_bits = mode == cpu::CodeMode::Bits32 ? 32 : 16;
        def.cpl = static_cast<u8>(key_cpl(key.flags));
        def.ninsns = b->ninsns;
        def.nbytes = b->nbytes;
        std::vector<u8> bytes(host, host + (b->nbytes - b->tail_len));
        bytes.insert(bytes.end(), tail.host, tail.host + tail.len);
        b->trace_id = m_recorder->define_block(def, bytes.data());
        b->trace_needed = m_recorder->block_needed(b->trace_id);
    }
    // The block whose exit asks to be chained here (flush_all above clears it) lends its
    // register assignment, so that the chained jump can skip the reload.
    const Block* pred = m_ctx.chain_block && m_ctx.chain_block->valid ? m_ctx.chain_block : nullptr;
    if (key.flags & kKeyDirectRam) {
        direct_window(cpu.phys(), key.phys_pc);
    }
    const BlockCompiler::Sizes size = m_compiler->compile(
        *b, {m_code.cursor(), m_code.free_bytes(), m_code.cold_cursor(), m_code.cold_free_bytes()}, pred);
    if (size.hot == 0) {
        return nullptr;
    }
    if (perf_map()) [[unlikely]] {
        write_perf_symbols(*b);
    }
    m_code.commit(size.hot, size.cold);
    m_blocks.push_back(std::move(blk));
    m_map[key] = b;
    m_by_page[key.phys_pc & ~u64{0xFFF}].push_back(b);
    cpu.phys().code_chunks_mark(key.phys_pc, b->nbytes - b->tail_len);
    if (cpu.phys().code_add(key.phys_pc)) {
        cpu.tlb_revoke_write(key.phys_pc);
    }
    if (b->tail_len != 0) {
        m_by_page[b->tail_phys].push_back(b);
        cpu.phys().code_chunks_mark(b->tail_phys, b->tail_len);
        if (cpu.phys().code_add(b->tail_phys)) {
            cpu.tlb_revoke_write(b->tail_phys);
        }
    }
    ++m_ctx.stats.blocks_translated;
    m_ctx.stats.insns_translated += b->ninsns;
    return b;
}

void JitEngine::direct_window(const mmu::PhysMap& phys, u64 phys_pc) {
    // The runs of plain RAM (each page at the same offset from its host address) once per
    // physical map: run() flushes every block when the map changes. A block reads directly
    // in the run its code is in (the decompressor's data lies above 1 MiB with its code, a
    // real-mode program's below the VGA window with its own); none for code in ROM.
    if (m_direct_generation != phys.generation()) {
        m_direct_generation = phys.generation();
        m_direct_runs.clear();
        for (u64 pa = 0; pa < mmu::PhysMap::kSpace;) {
            const uptr base = reinterpret_cast<uptr>(phys.ram_ptr(pa));
            if (base == 0) {
                pa += mmu::PhysMap::kPageSize;
                continue;
            }
            u64 end = pa + mmu::PhysMap::kPageSize;
            while (end < mmu::PhysMap::kSpace && reinterpret_cast<uptr>(phys.ram_ptr(end)) == base + (end - pa)) {
                end += mmu::PhysMap::kPageSize;
            }
            m_direct_runs.push_back({pa, end, base - pa});
            pa = end;
        }
    }
    m_layout.direct_lo = m_layout.direct_hi = 0;
    for (const DirectRun& r : m_direct_runs) {
        if (phys_pc >= r.lo && phys_pc < r.hi) {
            m_layout.direct_host = r.host;
            m_layout.direct_lo = static_cast<u32>(r.lo);
            m_layout.direct_hi = static_cast<u32>(std::min<u64>(r.hi, 0xFFFFF000u));
        }
    }
}

std::FILE* JitEngine::perf_map() {
    // TX86_PERF_MAP=1 writes /tmp/perf-PID.map for `perf report` (profiling tx86 itself).
    static std::FILE* const f = [] {
        const char* v = std::getenv("TX86_PERF_MAP");
        if (!v || std::string_view(v) != "1") {
            return static_cast<std::FILE*>(nullptr);
        }
        char path[64];
        std::snprintf(path, sizeof path, "/tmp/perf-%d.map", static_cast<int>(getpid()));
        return std::fopen(path, "w");
    }();
    return f;
}

void JitEngine::write_perf_symbols(const Block& b) {
    // Samples in a block's code show its guest address (the cold part as NAME.cold); with
    // TX86_PERF_DUMP=DIR also each part's bytes, for objdump -b binary --adjust-vma=ADDR DIR/ADDR.bin.
    const char* dump = std::getenv("TX86_PERF_DUMP");
    const std::tuple<const u8*, u32, const char*> parts[] = {{b.code, b.code_size, ""}, {b.cold, b.cold_size, ".cold"}};
    for (const auto& [code, size, suffix] : parts) {
        std::fprintf(perf_map(), "%llx %x guest_%08llx_%u%s\n", (unsigned long long)reinterpret_cast<uptr>(code), size,
                     (unsigned long long)b.key.lin_pc, b.ninsns, suffix);
        if (!dump) {
            continue;
        }
        char path[96];
        std::snprintf(path, sizeof path, "%s/%llx.bin", dump, (unsigned long long)reinterpret_cast<uptr>(code));
        if (std::FILE* f = std::fopen(path, "wb")) {
            std::fwrite(code, 1, size, f);
            std::fclose(f);
        }
    }
    std::fflush(perf_map());
}

i64 JitEngine::record_budget(u64 budget) {
    // Translated code writes its records unchecked (TraceRecorder::unchecked): a full
    // buffer is changed here, and the budget bounds what it may write before coming back.
    if (!m_recorder) {
        return static_cast<i64>(budget);
    }
    if (m_recorder->cursor >= m_recorder->limit) {
        m_recorder->ring_full();
    }
    return static_cast<i64>(std::min<u64>(budget, m_recorder->unchecked - 1));
}

JitEngine::BlockCacheLine& JitEngine::cache_line(const BlockKey& key) {
    return m_block_cache[BlockKeyHash{}(key) & (kBlockCacheSize - 1)];
}

Block* JitEngine::lookup_or_translate(cpu::Cpu& cpu, const BlockKey& key, const u8* host) {
    BlockCacheLine& line = cache_line(key);
    if (line.key == key && (line.block || line.untranslatable)) {
        return line.block;
    }
    ++m_ctx.stats.map_lookups;
    auto it = m_map.find(key);
    Block* b = it != m_map.end() ? it->second : translate(cpu, key, host);
    // A failed translation is nearly always an instruction crossing the end of its page, met
    // again at each execution: remembering it spares the map miss and the decode every time.
    // Leaving it to the interpreter is always correct; should the bytes there change, the
    // line only lasts until a conflict or a flush replaces it.
    if (b == nullptr && m_retry_later) {
        return nullptr; // not remembered: translatable once the next page is in the TLB
    }
    line.key = key;
    line.block = b;
    line.untranslatable = b == nullptr;
    return b;
}

Block* JitEngine::find_block(cpu::Cpu& cpu) {
    const u64 lin = (cpu.s.seg[cpu::kCs].base + cpu.s.rip) & 0xFFFFFFFFu;
    const cpu::TlbEntry* e = cpu.fetch_entry(lin);
    if (!e) {
        // Fill the TLB with a walk. If it faults, leave everything as it was: the interpreter's
        // step() fetches again and delivers the fault.
        const u64 cr2 = cpu.s.cr2;
        u64 pa;
        if (cpu.translate(lin, mmu::Access::Execute, cpu::Priv::Current, pa) != cpu::Status::Ok) {
            cpu.s.cr2 = cr2;
            return nullptr;
        }
        e = cpu.fetch_entry(lin);
        if (!e) {
            return nullptr; // MMIO or unmapped: the interpreter runs it
        }
    }
    // The jump cache first: most lookups are for a block entered recently.
    const u32 flags = block_flags(cpu);
    const u64 cs_base = cpu.s.seg[cpu::kCs].base;
    const u32 ji = jump_cache_index(lin);
    JumpCacheEntry& jc = m_jump_cache[ji];
    if (jc.lin_pc == lin && jc.mode == (u64{flags} | (cs_base << 32)) && jc.addend == e->addend) {
        m_last_addend = e->addend;
        return m_jump_cache_blocks[ji];
    }
    BlockKey key;
    key.lin_pc = lin;
    key.phys_pc = (e->ppage | (lin & 0xFFF)) & cpu.phys().a20_mask();
    key.cs_base = cs_base;
    key.flags = flags;
    Block* b = lookup_or_translate(cpu, key, reinterpret_cast<const u8*>(e->addend + lin));
    m_last_addend = e->addend;
    if (b && cpu.debug_armed() && cpu.is_breakpoint(lin)) {
        return b; // never entered but through the dispatcher, which checks the breakpoint
    }
    if (b) {
        JumpCacheEntry& j = jc;
        m_jump_cache_blocks[ji] = b;
        j.lin_pc = lin;
        j.mode = u64{key.flags} | (key.cs_base << 32);
        j.code = b->entry;
        j.addend = e->addend;
        m_last_addend = e->addend;
        ++m_ctx.stats.jump_cache_fills;
    }
    return b;
}

cpu::RunExit JitEngine::run(cpu::Cpu& cpu, u64 budget) {
    if (m_cpu != &cpu) {
        init(cpu);
    }
    const u64 end = cpu.icount + budget;
    // A chain request never outlives a return from run(): whoever runs the CPU in between (the
    // board servicing an interrupt, the lockstep reference) may move rIP anywhere.
    m_ctx.chain_block = nullptr;
    for (;;) {
        if (cpu.stop_requested.load(std::memory_order_relaxed)) [[unlikely]] {
            cpu.stop_requested.store(false, std::memory_order_relaxed);
            return cpu::RunExit::Stopped;
        }
        // The budget first, as the interpreter does: an interrupt that became deliverable
        // with the last instruction is taken at the start of the next run, not after it.
        if (cpu.icount >= end) {
            return cpu::RunExit::Budget;
        }
        if (cpu.intr_line || cpu.nmi_line) {
            cpu::Status st;
            if (cpu::interp::service_interrupts(cpu, st)) {
                if (st == cpu::Status::Stop) {
                    return cpu::RunExit::Shutdown;
                }
                m_ctx.chain_block = nullptr;
                continue;
            }
        }
        if (cpu.s.halted) {
            return cpu::RunExit::Halted;
        }
        if (cpu.phys().generation() != m_phys_generation) {
            m_phys_generation = cpu.phys().generation();
            flush_all();
            if (cpu.phys_changed()) {
                cpu.tlb_flush_all(); // no TLB hit may reach the old map either
            }
        }
        if (cpu.recorder != m_recorder || cpu.debug_generation != m_debug_generation) [[unlikely]] {
            // Blocks were emitted for another recorder, or chained past what are now
            // breakpoints.
            m_recorder = cpu.recorder;
            m_layout.trace_cursor = m_recorder ? &m_recorder->cursor : nullptr;
            m_layout.trace_wrap_bytes = m_recorder ? m_recorder->wrap_bytes : 0;
            m_ctx.trace_cursor = m_layout.trace_cursor;
            m_debug_generation = cpu.debug_generation;
            flush_all();
        }
        if (cpu.debug_armed()) [[unlikely]] {
            const u64 lin = (cpu.s.seg[cpu::kCs].base + cpu.s.rip) & 0xFFFFFFFFu;
            if (cpu.skip_breakpoint_at != ~u64{0}) {
                // Run the instruction at the breakpoint once, by itself; a skip lapses when
                // rIP moved elsewhere first (an interrupt was delivered).
                const bool here = cpu.skip_breakpoint_at == lin;
                cpu.skip_breakpoint_at = ~u64{0};
                if (here) {
                    ++m_ctx.stats.interp_steps;
                    m_ctx.chain_block = nullptr;
                    cpu.s.inhibit_irq = false;
                    if (cpu::interp::step(cpu) == cpu::Status::Stop) {
                        return cpu::RunExit::Shutdown;
                    }
                    cpu::flush_flags(cpu.s);
                    if (cpu.debug_hit.kind != cpu::DebugHit::None) {
                        return cpu::RunExit::Debug;
                    }
                    continue;
                }
            }
            if (cpu.breakpoint_stops(lin)) {
                m_ctx.chain_block = nullptr;
                return cpu::RunExit::Debug;
            }
        }
        const bool inhibit = cpu.s.inhibit_irq;
        cpu.s.inhibit_irq = false;
        Block* b = nullptr;
        if (!inhibit && !(cpu.s.eflags & cpu::kTF) && !cpu.long_mode()) {
            b = find_block(cpu);
        }
        // A recorder bounds the budget as well (record_budget); a block that does not fit in
        // it runs in the interpreter, so a small one cannot stop the CPU from making progress.
        i64 allowed = b ? record_budget(end - cpu.icount) : 0;
        if (b && b->ninsns > static_cast<u64>(allowed) && cpu.budget_may_overrun) {
            allowed = record_budget(b->ninsns); // the whole block, past the end (Cpu::budget_may_overrun)
        }
        if (!b || b->ninsns > static_cast<u64>(allowed)) {
            ++m_ctx.stats.interp_steps;
            m_ctx.chain_block = nullptr;
            if (cpu::interp::step(cpu) == cpu::Status::Stop) {
                return cpu::RunExit::Shutdown;
            }
            cpu::flush_flags(cpu.s);
            if (cpu.debug_hit.kind != cpu::DebugHit::None) [[unlikely]] {
                return cpu::RunExit::Debug;
            }
            continue;
        }
        cpu::flush_flags(cpu.s);
        if (Block* from = m_ctx.chain_block) {
            if (from->valid && from->key.flags == b->key.flags && from->key.cs_base == b->key.cs_base &&
                !(cpu.debug_armed() && cpu.is_breakpoint(b->key.lin_pc))) {
                chain(from, static_cast<unsigned>(m_ctx.chain_slot), b, m_last_addend);
            }
            m_ctx.chain_block = nullptr;
        }
        cpu.jit_icount_limit = cpu.icount + static_cast<u64>(allowed);
        const u32 code = m_enter(&cpu.s, &m_ctx, b->entry_dispatch);
        ++m_ctx.stats.dispatches;
        ++m_ctx.stats.exits[code < 6 ? code : 0];
        if (m_ctx.probe_miss && m_miss_counts) {
            Block* pb = m_ctx.probe_miss;
            ++m_miss_counts[static_cast<usize>(pb->insns[pb->ninsns - 1].id)];
        } else if (code == kExitNext && m_miss_counts) {
            ++m_miss_counts[cpu::kInsnCount]; // helper exits
        }
        m_ctx.probe_miss = nullptr;
        if (code == kExitStop) {
            return cpu::RunExit::Shutdown;
        }
        if (cpu.debug_hit.kind != cpu::DebugHit::None) [[unlikely]] {
            return cpu::RunExit::Debug;
        }
    }
}

void JitEngine::print_stats(std::FILE* out) const {
    const JitStats& s = m_ctx.stats;
    std::fprintf(out,
                 "jit: blocks translated %llu (%llu instructions, %llu lowered natively), "
                 "invalidated %llu, cache flushes %llu\n"
                 "jit: dispatcher returns %llu, chains patched %llu (%llu past the register reload, %llu return exits), "
                 "jump-cache fills %llu, "
                 "block-cache misses %llu, interpreter calls %llu, interpreter steps %llu, "
                 "writes to code pages %llu\n",
                 (unsigned long long)s.blocks_translated, (unsigned long long)s.insns_translated,
                 (unsigned long long)s.insns_native, (unsigned long long)s.blocks_invalidated,
                 (unsigned long long)s.flushes, (unsigned long long)s.dispatches,
                 (unsigned long long)s.chains, (unsigned long long)s.chains_noreload,
                 (unsigned long long)s.return_chains, (unsigned long long)s.jump_cache_fills,
                 (unsigned long long)s.map_lookups,
                 (unsigned long long)s.helper_calls, (unsigned long long)s.interp_steps,
                 (unsigned long long)s.smc_writes);
    if (m_cpu) {
        std::fprintf(out, "jit: guest instructions run %llu\n", (unsigned long long)m_cpu->icount);
    }
    std::fprintf(out, "jit: code buffer: hot %zu KiB used of %zu, cold %zu KiB of %zu\n", m_code.used() >> 10,
                 kHotCodeSize >> 10, m_code.cold_used() >> 10, kColdCodeSize >> 10);
    std::fprintf(out, "jit: exits: next %llu, chain %llu, budget %llu, stop %llu; jump-cache clears %llu\n",
                 (unsigned long long)s.exits[kExitNext], (unsigned long long)s.exits[kExitChain],
                 (unsigned long long)s.exits[kExitBudget],
                 (unsigned long long)s.exits[kExitStop], (unsigned long long)s.jump_cache_clears);
    {
        usize longest = 0, used = 0;
        for (usize i = 0; i < m_map.bucket_count(); ++i) {
            longest = std::max(longest, m_map.bucket_size(i));
            used += m_map.bucket_size(i) != 0;
        }
        std::fprintf(out, "jit: block map %zu keys, %zu buckets (%zu used), longest chain %zu\n", m_map.size(),
                     m_map.bucket_count(), used, longest);
    }
    std::fprintf(out, "jit: blocks with guest registers in host registers %llu (%llu compiled again without)\n",
                 (unsigned long long)s.blocks_reg_cached, (unsigned long long)s.reg_cache_fallbacks);
    std::fprintf(out,
                 "jit: memory groups %llu, later accesses through them %llu (blocks left for a group's "
                 "page %llu, translated again without groups %llu; compiled again for a later access "
                 "off its group %llu); loops inside one block %llu\n",
                 (unsigned long long)s.mem_groups, (unsigned long long)s.mem_group_accesses,
                 (unsigned long long)s.group_exits, (unsigned long long)s.groupless_blocks,
                 (unsigned long long)s.member_fallbacks,
                 (unsigned long long)s.self_loops);
    if (m_miss_counts) {
        std::vector<std::pair<u64, usize>> top;
        for (usize i = 0; i <= cpu::kInsnCount; ++i) {
            if (m_miss_counts[i]) {
                top.emplace_back(m_miss_counts[i], i);
            }
        }
        std::sort(top.rbegin(), top.rend());
        std::fprintf(out, "jit: jump-cache misses by the probing block's last instruction:\n");
        for (usize i = 0; i < top.size() && i < 12; ++i) {
            std::fprintf(out, "  %12llu  %s\n", (unsigned long long)top[i].first,
                         top[i].second == cpu::kInsnCount
                             ? "(interpreter-call exits)"
                             : cpu::insn_info(static_cast<cpu::InsnId>(top[i].second)).id_name);
        }
    }
    if (m_fallback_counts) {
        std::vector<std::pair<u64, usize>> top;
        for (usize i = 0; i < cpu::kInsnCount; ++i) {
            if (m_fallback_counts[i]) {
                top.emplace_back(m_fallback_counts[i], i);
            }
        }
        std::sort(top.rbegin(), top.rend());
        std::fprintf(out, "jit: interpreter calls by instruction:\n");
        for (usize i = 0; i < top.size() && i < 40; ++i) {
            std::fprintf(out, "  %12llu  %s\n", (unsigned long long)top[i].first,
                         cpu::insn_info(static_cast<cpu::InsnId>(top[i].second)).id_name);
        }
    }
}

} // namespace translator
