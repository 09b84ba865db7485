; SPDX-License-Identifier: MIT
;
; triple.asm - triple-faults on purpose, in a way worth explaining. Unlike the other guest
; tests it never reaches `finish`: the expected outcome is a CPU shutdown (exit status 4 from
; tx86 under -no-reboot, status 0 from QEMU), and tests/system/triple_fault.sh checks what
; tx86 says about it.
;
; The story: the TSS's SS0 names a ring-0 data segment that is not present. Ring 3 executes
; CLI (IOPL 0), which raises #GP(0). Delivering it needs the ring-0 stack from the TSS, whose
; segment is not present: #SS(0x0031). #GP then #SS is a double fault, and delivering #DF needs
; the same stack: shutdown. (QEMU raises #TS instead of the SDM's #SS for the missing stack
; segment; it shuts down all the same.) Before the CLI, ring 3 runs a short recognisable sequence (the
; flight recorder's dump must show it).
;
; If the CPU does not shut down, the #GP reaches exc_common and the test reports a crash
; (status 37).

%include "common.inc"

SEL_BAD_STACK0  equ SEL_FREE            ; ring-0 data segment, P=0

test_main:
        PRINT "triple: ring 3 executes CLI; the TSS's SS0 is not present: expect a triple fault", 10
        mov ebx, SEL_BAD_STACK0
        xor eax, eax
        mov ecx, 0xFFFFF
        mov edx, 0xC12                  ; G=1 D=1 | P=0 DPL 0 data read/write
        call set_gdt_desc
        mov word [TSS_BASE + 8], SEL_BAD_STACK0
        mov eax, ring3_code
        call run_ring3
        PRINT "FAIL: run_ring3 returned: no fault?", 10
        jmp finish

ring3_code:
        mov eax, 0x600D
        mov ebx, 0x7E57
        add eax, ebx
        xchg ecx, edx
        cli                             ; #GP(0) at CPL 3 with IOPL 0
        jmp ring3_code

        ROM_END
