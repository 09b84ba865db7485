; SPDX-License-Identifier: MIT
;
; rings.asm - guest test: the three ways from ring 3 to ring 0 and back.
;
;   INT 0x80 through a DPL-3 interrupt gate       -> back with IRET
;   far CALL through a DPL-3 call gate (2 params) -> back with RETF 8
;   SYSENTER (MSRs 0x174-0x176)                   -> back with SYSEXIT
;
; Ring 3 cannot print (no I/O permission), so it only records what it observes (CPL, SS,
; ESP) in RAM; the ring-0 handlers record what they observe; test_main compares it all
; once ring 3 has handed control back through a final INT 0x81 (see run_ring3).
;
; Stacks: TSS.ESP0 = TSS_STACK_TOP (used by INT and the call gate), SYSENTER_ESP =
; SYSENTER_STACK, ring 3 runs on STACK3_TOP. test_main itself runs on STACK0_TOP, so
; a stack switch really has to happen for the values below to come out right.

%include "common.inc"

KSTACK_TOP      equ TSS_STACK_TOP
SYSENTER_STACK  equ 0x1A000
SEL_CALLGATE    equ SEL_FREE                ; GDT[6]: call gate, DPL 3, 2 parameters
PARAM_A         equ 0x11111111              ; pushed first by ring 3
PARAM_B         equ 0x22222222              ; pushed second (lowest address)

[absolute TEST_VARS]
; observed in ring 3
r3_cpl:         resd 1
r3_ss:          resd 1
r3_cpl_int:     resd 1      ; after IRET
r3_esp_int:     resd 1
r3_cpl_cg:      resd 1      ; after RETF
r3_esp_cg:      resd 1
r3_ss_cg:       resd 1
r3_cpl_se:      resd 1      ; after SYSEXIT
r3_esp_se:      resd 1
r3_ss_se:       resd 1
r3_cs_se:       resd 1
; observed in ring 0
int_cpl:        resd 1
int_ss:         resd 1
int_esp:        resd 1
int_frame_cs:   resd 1
int_frame_esp:  resd 1
int_frame_ss:   resd 1
cg_cpl:         resd 1
cg_ss:          resd 1
cg_esp:         resd 1
cg_frame_cs:    resd 1
cg_param_lo:    resd 1      ; [esp+8]: the parameter at the caller's lowest address
cg_param_hi:    resd 1      ; [esp+12]
cg_frame_esp:   resd 1
cg_frame_ss:    resd 1
se_cpl:         resd 1
se_ss:          resd 1
se_esp:         resd 1
__SECT__

test_main:
        PRINT "rings: ring 3 <-> ring 0 by INT/IRET, call gate/RETF, SYSENTER/SYSEXIT", 10
        mov ecx, 0x80
        mov eax, int80_handler
        mov edx, GATE_INT32_U
        call set_idt_gate

        ; Call gate: target SEL_CODE0:callgate_handler, DPL 3 so ring 3 may use it,
        ; parameter count 2 (dwords copied from the ring-3 stack to the ring-0 stack).
        mov edi, GDT_BASE + SEL_CALLGATE
        mov eax, callgate_handler
        mov ebx, SEL_CODE0
        mov edx, GATE_CALL32 | GATE_DPL3 | 2
        call make_gate

        ; SYSENTER: CS (SS = CS+8), ESP, EIP.
        mov ecx, 0x174
        mov eax, SEL_CODE0
        xor edx, edx
        wrmsr
        mov ecx, 0x175
        mov eax, SYSENTER_STACK
        wrmsr
        mov ecx, 0x176
        mov eax, sysenter_handler
        wrmsr

        mov eax, ring3_code
        call run_ring3                  ; returns when ring 3 does INT 0x81
        PRINT "rings: back in test_main", 10

        CHECK_EQ [r3_cpl], 3, "ring 3 entered by IRET: CPL 3"
        CHECK_EQ [r3_ss], SEL_DATA3, "ring 3 SS from the IRET frame"

        CHECK_EQ [int_cpl], 0, "INT 0x80 handler runs at CPL 0"
        CHECK_EQ [int_ss], SEL_DATA0, "INT 0x80: SS = TSS.SS0"
        CHECK_EQ [int_esp], KSTACK_TOP - 20, "INT 0x80: ESP = TSS.ESP0 - 5 dwords"
        CHECK_EQ [int_frame_cs], SEL_CODE3, "INT 0x80 frame: caller CS"
        CHECK_EQ [int_frame_esp], STACK3_TOP - 4, "INT 0x80 frame: caller ESP"
        CHECK_EQ [int_frame_ss], SEL_DATA3, "INT 0x80 frame: caller SS"
        CHECK_EQ [r3_cpl_int], 3, "after IRET: CPL 3"
        CHECK_EQ [r3_esp_int], STACK3_TOP - 4, "after IRET: ring-3 ESP restored"

        CHECK_EQ [cg_cpl], 0, "call gate handler runs at CPL 0"
        CHECK_EQ [cg_ss], SEL_DATA0, "call gate: SS = TSS.SS0"
        CHECK_EQ [cg_esp], KSTACK_TOP - 24, "call gate: ESP = TSS.ESP0 - 6 dwords"
        CHECK_EQ [cg_frame_cs], SEL_CODE3, "call gate frame: caller CS"
        CHECK_EQ [cg_param_lo], PARAM_B, "call gate: parameter 1 copied"
        CHECK_EQ [cg_param_hi], PARAM_A, "call gate: parameter 2 copied"
        CHECK_EQ [cg_frame_esp], STACK3_TOP - 4 - 8, "call gate frame: caller ESP (after params)"
        CHECK_EQ [cg_frame_ss], SEL_DATA3, "call gate frame: caller SS"
        CHECK_EQ [r3_cpl_cg], 3, "after RETF: CPL 3"
        CHECK_EQ [r3_esp_cg], STACK3_TOP - 4, "after RETF 8: parameters popped from ring-3 stack"
        CHECK_EQ [r3_ss_cg], SEL_DATA3, "after RETF: SS"

        CHECK_EQ [se_cpl], 0, "SYSENTER handler runs at CPL 0"
        CHECK_EQ [se_ss], SEL_CODE0 + 8, "SYSENTER: SS = SYSENTER_CS + 8"
        CHECK_EQ [se_esp], SYSENTER_STACK, "SYSENTER: ESP = MSR 0x175"
        CHECK_EQ [r3_cpl_se], 3, "after SYSEXIT: CPL 3"
        CHECK_EQ [r3_cs_se], SEL_CODE0 + 16 + 3, "after SYSEXIT: CS = SYSENTER_CS + 16 | 3"
        CHECK_EQ [r3_ss_se], SEL_CODE0 + 24 + 3, "after SYSEXIT: SS = SYSENTER_CS + 24 | 3"
        CHECK_EQ [r3_esp_se], STACK3_TOP - 4, "after SYSEXIT: ESP = ECX"

        ; Protection: ring 3 may not INT through a DPL-0 gate (0x82 is one).
        mov eax, ring3_forbidden
        call run_ring3
        CHECK_EQ [fault_count], 1, "INT to a DPL-0 gate from ring 3 faults"
        CHECK_EQ [last_vector], 13, "... with #GP"
        CHECK_EQ [last_error], (0x82 << 3) | 2, "#GP error code names the IDT entry"
        CHECK_EQ [last_cs], SEL_CODE3, "#GP raised in ring 3"
        ret

; =========================================================================================
; Ring 3
; =========================================================================================
ring3_code:
        mov ax, SEL_DATA3               ; DS/ES were nulled by the IRET to ring 3
        mov ds, ax
        mov es, ax
        mov ax, cs
        and eax, 3
        mov [r3_cpl], eax
        xor eax, eax
        mov ax, ss
        mov [r3_ss], eax
        push dword 0x5A5A5A5A           ; something on the user stack: ESP = STACK3_TOP - 4

        ; --- 1. INT / IRET
        int 0x80
        mov ax, cs
        and eax, 3
        mov [r3_cpl_int], eax
        mov [r3_esp_int], esp

        ; --- 2. call gate / RETF 8
        push dword PARAM_A
        push dword PARAM_B
        call SEL_CALLGATE | 3:0         ; the offset is ignored: the gate supplies it
        mov ax, cs
        and eax, 3
        mov [r3_cpl_cg], eax
        mov [r3_esp_cg], esp
        xor eax, eax
        mov ax, ss
        mov [r3_ss_cg], eax

        ; --- 3. SYSENTER / SYSEXIT: the caller passes its return ESP in ECX, EIP in EDX
        mov ecx, esp
        mov edx, .after_sysexit
        sysenter
.after_sysexit:
        xor eax, eax
        mov ax, cs
        mov [r3_cs_se], eax
        and eax, 3
        mov [r3_cpl_se], eax
        mov ax, ss
        mov [r3_ss_se], eax
        mov [r3_esp_se], esp

        int RING3_DONE_VECTOR           ; done: hand control back to test_main
        jmp $

ring3_forbidden:
        EXPECT_FAULT .after             ; ring 3 may write RAM: no paging here
        int 0x82
.after: int RING3_DONE_VECTOR

; =========================================================================================
; Ring 0 handlers
; =========================================================================================
int80_handler:
        push eax
        mov ax, cs
        and eax, 3
        mov [int_cpl], eax              ; DS is the (flat) user DS: fine without paging
        xor eax, eax
        mov ax, ss
        mov [int_ss], eax
        lea eax, [esp + 4]              ; ESP as it was on entry
        mov [int_esp], eax
        mov eax, [esp + 4 + 4]
        mov [int_frame_cs], eax
        mov eax, [esp + 4 + 12]
        mov [int_frame_esp], eax
        mov eax, [esp + 4 + 16]
        mov [int_frame_ss], eax
        pop eax
        iretd

; Entry stack: [esp] EIP, [esp+4] CS, [esp+8] param (caller's lowest), [esp+12] param,
; [esp+16] caller ESP, [esp+20] caller SS.
callgate_handler:
        push eax
        mov ax, cs
        and eax, 3
        mov [cg_cpl], eax
        xor eax, eax
        mov ax, ss
        mov [cg_ss], eax
        lea eax, [esp + 4]
        mov [cg_esp], eax
        mov eax, [esp + 4 + 4]
        mov [cg_frame_cs], eax
        mov eax, [esp + 4 + 8]
        mov [cg_param_lo], eax
        mov eax, [esp + 4 + 12]
        mov [cg_param_hi], eax
        mov eax, [esp + 4 + 16]
        mov [cg_frame_esp], eax
        mov eax, [esp + 4 + 20]
        mov [cg_frame_ss], eax
        pop eax
        retf 8                          ; also drops the 2 parameters from the ring-3 stack

sysenter_handler:
        mov ax, cs
        and eax, 3
        mov [se_cpl], eax
        xor eax, eax
        mov ax, ss
        mov [se_ss], eax
        mov [se_esp], esp
        sysexit                         ; ESP <- ECX, EIP <- EDX, CPL 3

        ROM_END
