// SPDX-License-Identifier: MIT
// The native side of the host-CPU oracle (tests/oracle/oracle_test.cpp): reads oracle_case
// records (tests/oracle/oracle_proto.h) from stdin, executes each instruction on the host CPU and
// writes an oracle_result per case to stdout.
//
// Why 64-bit: this host's kernel runs without IA-32 emulation (no 32-bit processes, no 32-bit
// code segments, no KVM), so the runner executes the 64-bit-mode equivalent of each 32-bit
// instruction, which the generator produces (67h address-size prefix for 32-bit addressing,
// no REX, 16-bit stack forms only); every register is loaded zero-extended and only the low
// 32 bits are reported. The per-case code is generated at a fixed low address: a prologue that
// loads EFLAGS, the x87/SSE image and all eight GPRs (ESP included: the instruction may use any
// value, since signals arrive on an alternate stack), the instruction, and an epilogue that
// stores them back. Faults are caught with a signal handler that reports the kernel's trap
// number (the hardware vector) and siglongjmps out; that is fine here because this is a
// separate test program, never the emulator.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "oracle_proto.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define CODE_BASE 0x00B00000u
#define CODE_SIZE 0x10000u
/* State block inside the code mapping, addressed absolutely by the generated code. */
#define ST_HOST_RSP (CODE_BASE + 0x8000u)
#define ST_IN_EFL (CODE_BASE + 0x8008u)
#define ST_OUT_EFL (CODE_BASE + 0x8010u)
#define ST_IN_GPR (CODE_BASE + 0x8020u)
#define ST_OUT_GPR (CODE_BASE + 0x8040u)
#define ST_IN_FX (CODE_BASE + 0x8100u)
#define ST_OUT_FX (CODE_BASE + 0x8300u)
#define ST_CLEAN_FX (CODE_BASE + 0x8500u)

static sigjmp_buf g_jmp;
static volatile sig_atomic_t g_in_case;
static volatile uint32_t g_signo, g_trapno, g_err;

static void on_fault(int sig, siginfo_t* si, void* uc_void) {
    (void)si;
    ucontext_t* uc = (ucontext_t*)uc_void;
    if (!g_in_case) {
        // A fault outside the instruction under test is a runner bug: die loudly.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    g_signo = (uint32_t)sig;
    g_trapno = (uint32_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    g_err = (uint32_t)uc->uc_mcontext.gregs[REG_ERR];
    siglongjmp(g_jmp, 1);
}

static uint8_t* g_p;
static void emit(const void* bytes, size_t n) {
    memcpy(g_p, bytes, n);
    g_p += n;
}
static void emit1(uint8_t b) { *g_p++ = b; }
static void emit32(uint32_t v) { emit(&v, 4); }
/* op [abs32] with a ModRM reg field: <prefix bytes> op modrm(00,reg,100) sib(0x25) disp32 */
static void emit_abs(const uint8_t* ops, size_t n, unsigned reg, uint32_t addr) {
    emit(ops, n);
    emit1((uint8_t)(0x04 | (reg << 3)));
    emit1(0x25);
    emit32(addr);
}

/* Builds prologue + instruction + epilogue; returns the entry point. */
static void (*build(const struct oracle_case* c))(void) {
    static const uint8_t save[] = {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x9C};
    static const uint8_t restore[] = {0x9D, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3};
    static const uint8_t mov_store64[] = {0x48, 0x89}, mov_load64[] = {0x48, 0x8B};
    static const uint8_t mov_store[] = {0x89}, mov_load[] = {0x8B};
    static const uint8_t fx_op[] = {0x0F, 0xAE}, push_m[] = {0xFF}, pop_m[] = {0x8F};
    const int fx = (c->flags & ORACLE_FLAG_FX) != 0;
    g_p = (uint8_t*)(uintptr_t)CODE_BASE;
    emit(save, sizeof save);
    emit_abs(mov_store64, 2, 4, ST_HOST_RSP); // mov [host_rsp], rsp
    if (fx) {
        emit_abs(fx_op, 2, 1, ST_IN_FX); // fxrstor
    }
    emit_abs(push_m, 1, 6, ST_IN_EFL); // push qword [in_efl]
    emit1(0x9D);                        // popfq
    for (unsigned r = 0; r < 8; ++r) {
        if (r != ORACLE_ESP) {
            emit_abs(mov_load, 1, r, ST_IN_GPR + 4 * r);
        }
    }
    emit_abs(mov_load, 1, ORACLE_ESP, ST_IN_GPR + 4 * ORACLE_ESP); // ESP last
    emit(c->code, c->code_len);
    for (unsigned r = 0; r < 8; ++r) {
        emit_abs(mov_store, 1, r, ST_OUT_GPR + 4 * r);
    }
    emit_abs(mov_load64, 2, 4, ST_HOST_RSP); // mov rsp, [host_rsp]
    emit1(0x9C);                               // pushfq
    emit_abs(pop_m, 1, 0, ST_OUT_EFL);         // pop qword [out_efl]
    if (fx) {
        emit_abs(fx_op, 2, 0, ST_OUT_FX);   // fxsave
        emit_abs(fx_op, 2, 1, ST_CLEAN_FX); // back to the C runtime's x87/SSE state
    }
    emit(restore, sizeof restore);
    return (void (*)(void))(uintptr_t)CODE_BASE;
}

static int read_all(void* buf, size_t n) { return fread(buf, 1, n, stdin) == n; }

int main(void) {
    uint8_t* window = mmap((void*)(uintptr_t)ORACLE_WINDOW_BASE, ORACLE_WINDOW_SIZE,
                           PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                           -1, 0);
    uint8_t* code = mmap((void*)(uintptr_t)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (window != (uint8_t*)(uintptr_t)ORACLE_WINDOW_BASE || code != (uint8_t*)(uintptr_t)CODE_BASE) {
        fprintf(stderr, "oracle runner: cannot map the fixed window/code pages\n");
        return 2;
    }
    static uint8_t altstack[65536] __attribute__((aligned(16)));
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) {
        sigaction(sigs[i], &sa, NULL);
    }
    __asm__ volatile("fxsave %0" : "=m"(*(uint8_t(*)[512])(uintptr_t)ST_CLEAN_FX));

    struct oracle_hello hello;
    memset(&hello, 0, sizeof hello);
    hello.magic = ORACLE_MAGIC_HELLO;
    __asm__ volatile("mov %%es, %0" : "=r"(hello.sel[0]));
    __asm__ volatile("mov %%cs, %0" : "=r"(hello.sel[1]));
    __asm__ volatile("mov %%ss, %0" : "=r"(hello.sel[2]));
    __asm__ volatile("mov %%ds, %0" : "=r"(hello.sel[3]));
    __asm__ volatile("mov %%fs, %0" : "=r"(hello.sel[4]));
    __asm__ volatile("mov %%gs, %0" : "=r"(hello.sel[5]));
    fwrite(&hello, sizeof hello, 1, stdout);
    fflush(stdout);

    static struct oracle_case c;
    static struct oracle_result r;
    static uint8_t before[ORACLE_WINDOW_SIZE];
    while (read_all(&c, sizeof c)) {
        if (c.magic != ORACLE_MAGIC_CASE || c.code_len > ORACLE_MAX_CODE ||
            (uint32_t)c.patch_off + c.patch_len > ORACLE_WINDOW_SIZE || c.patch_len > ORACLE_MAX_PATCH) {
            fprintf(stderr, "oracle runner: bad case record\n");
            return 2;
        }
        oracle_fill_window(window, c.window_seed);
        memcpy(window + c.patch_off, c.patch, c.patch_len);
        memcpy(before, window, sizeof before);
        memcpy((void*)(uintptr_t)ST_IN_GPR, c.gpr, sizeof c.gpr);
        // Only the arithmetic flags and DF come from the case: TF/AC would trap, IF is fixed.
        const uint64_t efl = (c.eflags & 0x0CD5u) | 0x0202u;
        memcpy((void*)(uintptr_t)ST_IN_EFL, &efl, 8);
        if (c.flags & ORACLE_FLAG_FX) {
            memcpy((void*)(uintptr_t)ST_IN_FX, c.fx, 512);
        }
        void (*fn)(void) = build(&c);
        __builtin___clear_cache((char*)code, (char*)code + 0x1000);

        memset(&r, 0, sizeof r);
        r.magic = ORACLE_MAGIC_RESULT;
        g_signo = 0;
        if (sigsetjmp(g_jmp, 1) == 0) {
            g_in_case = 1;
            fn();
            g_in_case = 0;
            memcpy(r.gpr, (void*)(uintptr_t)ST_OUT_GPR, sizeof r.gpr);
            uint64_t out_efl;
            memcpy(&out_efl, (void*)(uintptr_t)ST_OUT_EFL, 8);
            r.eflags = (uint32_t)out_efl;
            if (c.flags & ORACLE_FLAG_FX) {
                memcpy(r.fx, (void*)(uintptr_t)ST_OUT_FX, 512);
            }
            for (uint32_t i = 0; i < ORACLE_WINDOW_SIZE; ++i) {
                if (window[i] != before[i]) {
                    if (r.ndiff < ORACLE_MAX_DIFFS) {
                        r.diff_off[r.ndiff] = (uint16_t)i;
                        r.diff_val[r.ndiff] = window[i];
                    }
                    ++r.ndiff;
                }
            }
        } else {
            g_in_case = 0;
            r.signo = g_signo;
            r.trapno = g_trapno;
            r.err = g_err;
        }
        if (fwrite(&r, sizeof r, 1, stdout) != 1) {
            return 2;
        }
        fflush(stdout);
    }
    return 0;
}
