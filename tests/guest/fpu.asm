; SPDX-License-Identifier: MIT
;
; fpu.asm - guest test: x87 basics, #MF, FSAVE/FRSTOR, FXSAVE/FXRSTOR and a little SSE2.
;
; Results are stored as doubles and compared bit for bit with the IEEE-754 encodings
; written below (all chosen to be exact, except sqrt(2) which is the correctly rounded
; double). CR0: EM=0, MP=1, NE=1 (native #MF, vector 16, instead of the PC's IRQ 13 path).
; CR4: OSFXSR so FXSAVE covers XMM registers and SSE instructions do not #UD.

%include "common.inc"

RES             equ SCRATCH             ; one double result
FSAVE_BUF       equ SCRATCH + 0x100     ; 108 bytes
FXSAVE_BUF      equ SCRATCH + 0x400     ; 512 bytes, 16-aligned
XMM_OUT         equ SCRATCH + 0x800

; CHECK_DOUBLE "name", hi, lo: compares the double at RES
%macro CHECK_DOUBLE 3
        CHECK_EQ [RES + 4], %2, %1, " (high dword)"
        CHECK_EQ [RES], %3, %1, " (low dword)"
%endmacro

test_main:
        PRINT "fpu: x87 arithmetic, #MF, FSAVE/FRSTOR, FXSAVE/FXRSTOR, SSE2", 10
        mov eax, cr0
        and eax, ~(1 << 2)              ; EM off: x87 instructions execute
        or eax, (1 << 1) | (1 << 5)     ; MP, NE
        mov cr0, eax
        mov eax, cr4
        or eax, (1 << 9) | (1 << 10)    ; OSFXSR, OSXMMEXCPT
        mov cr4, eax

        ; --- Initial state
        finit
        fnstcw [RES]
        movzx eax, word [RES]
        CHECK_EQ eax, 0x037F, "FNSTCW after FINIT = 037F"
        fnstsw ax
        movzx eax, ax
        CHECK_EQ eax, 0, "FNSTSW after FINIT = 0"

        ; --- Arithmetic
        fld qword [c_two]
        fadd qword [c_three]
        fstp qword [RES]
        CHECK_DOUBLE "2 + 3 = 5", 0x40140000, 0
        fld qword [c_two_half]
        fmul qword [c_four]
        fstp qword [RES]
        CHECK_DOUBLE "2.5 * 4 = 10", 0x40240000, 0
        fld1
        fdiv qword [c_four]
        fstp qword [RES]
        CHECK_DOUBLE "1 / 4 = 0.25", 0x3FD00000, 0
        fld qword [c_two]
        fsqrt
        fstp qword [RES]
        CHECK_DOUBLE "sqrt(2)", 0x3FF6A09E, 0x667F3BCD
        fld qword [c_two]
        fld1
        fcom st1                        ; 1 < 2: C0=1, C2=0, C3=0
        fstsw ax
        fstp st0
        fstp st0
        and eax, 0x4500
        CHECK_EQ eax, 0x0100, "FCOM 1 vs 2 sets C0 only"
        fnstsw ax                       ; the stack is empty again: TOP = 0
        and eax, 0x3800
        CHECK_EQ eax, 0, "TOP back to 0 after pops"

        ; --- Unmasked divide-by-zero: pending after FDIV, delivered on the next FWAIT.
        fldcw [c_cw_unmask_ze]
        fld1
        fldz
        fdivp st1, st0                  ; records ZE + ES, no exception yet
        mov dword [fault_count], 0
        EXPECT_FAULT .mf_done
        fwait
.mf_done:
        CHECK_EQ [fault_count], 1, "FWAIT after 1/0 faults"
        CHECK_EQ [last_vector], 16, "... with #MF (vector 16, CR0.NE=1)"
        fnstsw ax
        and eax, 0x0084
        CHECK_EQ eax, 0x0084, "status word: ZE and ES set"
        fnclex
        fnstsw ax
        and eax, 0x0084
        CHECK_EQ eax, 0, "FNCLEX clears them"

        ; --- FSAVE / FRSTOR
        finit
        fld1
        fldpi
        fsave [FSAVE_BUF]               ; also re-initialises the FPU
        movzx eax, word [FSAVE_BUF]
        CHECK_EQ eax, 0x037F, "FSAVE image: control word"
        movzx eax, word [FSAVE_BUF + 4]
        and eax, 0x3800
        CHECK_EQ eax, 6 << 11, "FSAVE image: TOP = 6"
        fnstcw [RES]
        movzx eax, word [RES]
        CHECK_EQ eax, 0x037F, "FPU re-initialised by FSAVE"
        fldz                            ; disturb the state
        frstor [FSAVE_BUF]
        fstp qword [RES]
        CHECK_DOUBLE "FRSTOR: ST0 = pi", 0x400921FB, 0x54442D18
        fstp qword [RES]
        CHECK_DOUBLE "FRSTOR: ST1 = 1", 0x3FF00000, 0

        ; --- FXSAVE / FXRSTOR (x87 and XMM state)
        finit
        fld qword [c_three]
        movdqu xmm0, [c_xmm_pattern]
        fxsave [FXSAVE_BUF]
        movzx eax, word [FXSAVE_BUF]
        CHECK_EQ eax, 0x037F, "FXSAVE image: FCW"
        CHECK_EQ [FXSAVE_BUF + 160], 0x03020100, "FXSAVE image: XMM0 bytes 0-3"
        CHECK_EQ [FXSAVE_BUF + 172], 0x0F0E0D0C, "FXSAVE image: XMM0 bytes 12-15"
        finit
        pxor xmm0, xmm0
        fxrstor [FXSAVE_BUF]
        movdqu [XMM_OUT], xmm0
        CHECK_EQ [XMM_OUT], 0x03020100, "FXRSTOR: XMM0 low dword"
        CHECK_EQ [XMM_OUT + 12], 0x0F0E0D0C, "FXRSTOR: XMM0 high dword"
        fstp qword [RES]
        CHECK_DOUBLE "FXRSTOR: ST0 = 3", 0x40080000, 0

        ; --- SSE2
        movupd xmm1, [c_pd_a]
        movupd xmm2, [c_pd_b]
        addpd xmm1, xmm2                ; [1.5, 2.25] + [0.5, 0.75]
        movupd [XMM_OUT], xmm1
        CHECK_EQ [XMM_OUT + 4], 0x40000000, "ADDPD lane 0 = 2.0"
        CHECK_EQ [XMM_OUT + 12], 0x40080000, "ADDPD lane 1 = 3.0"
        CHECK_EQ [XMM_OUT + 8], 0, "ADDPD lane 1 low dword"
        cvttsd2si eax, [c_minus_7_9]
        CHECK_EQ eax, -7, "CVTTSD2SI -7.9 = -7 (truncation)"
        cvttsd2si eax, [c_big]
        CHECK_EQ eax, 0x80000000, "CVTTSD2SI out of range = integer indefinite"
        ret

        align 16
c_two:          dq 2.0
c_three:        dq 3.0
c_four:         dq 4.0
c_two_half:     dq 2.5
c_minus_7_9:    dq -7.9
c_big:          dq 1.0e10
c_pd_a:         dq 1.5, 2.25
c_pd_b:         dq 0.5, 0.75
c_xmm_pattern:  db 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
c_cw_unmask_ze: dw 0x037B               ; 037F with ZM (bit 2) cleared

        ROM_END
