; SPDX-License-Identifier: MIT
;
; tasks.asm - guest test: hardware task switches.
;
;   far JMP to a TSS descriptor     (task A; no nesting: back-link unused, old task not busy)
;   far CALL to a TSS descriptor    (task B; nesting: back-link, NT, both tasks busy)
;   INT 0x90 through a task gate    (task C, like a #DF handler task)
;   #UD through a task gate         (task D: an exception delivered as a task switch)
; Tasks B, C and D go back with IRET while EFLAGS.NT=1, which returns to the back-linked
; task and clears the busy bit of the task being left. Task A goes back by a far JMP.
;
; Busy bits are checked in the type field of the TSS descriptors (0x89 available,
; 0x8B busy), which is why the GDT lives in RAM.

%include "common.inc"

SEL_TSS_A       equ SEL_FREE            ; 0x30
SEL_TSS_B       equ SEL_FREE + 0x08     ; 0x38
SEL_TSS_C       equ SEL_FREE + 0x10     ; 0x40
SEL_TSS_D       equ SEL_FREE + 0x18     ; 0x48
TSS_A           equ SCRATCH + 0x1000
TSS_B           equ SCRATCH + 0x1100
TSS_C           equ SCRATCH + 0x1200
TSS_D           equ SCRATCH + 0x1300
STACK_A         equ SCRATCH + 0x3000    ; each task has its own ring-0 stack
STACK_B         equ SCRATCH + 0x4000
STACK_C         equ SCRATCH + 0x5000
STACK_D         equ SCRATCH + 0x6000
EFLAGS_NT       equ 1 << 14
TYPE_AVAIL      equ 0x89
TYPE_BUSY       equ 0x8B

; descriptor access byte (P, DPL, type) of a selector
%define DESC_TYPE(sel) byte [GDT_BASE + (sel) + 5]

[absolute TEST_VARS]
visits:         resd 1                  ; bit per task that ran
__SECT__

test_main:
        PRINT "tasks: task switches by JMP, CALL, task gate; IRET with NT", 10
        mov ebx, SEL_TSS_A
        mov edi, TSS_A
        mov eax, task_a
        mov ecx, STACK_A
        call make_task
        mov ebx, SEL_TSS_B
        mov edi, TSS_B
        mov eax, task_b
        mov ecx, STACK_B
        call make_task
        mov ebx, SEL_TSS_C
        mov edi, TSS_C
        mov eax, task_c
        mov ecx, STACK_C
        call make_task
        mov ebx, SEL_TSS_D
        mov edi, TSS_D
        mov eax, task_d
        mov ecx, STACK_D
        call make_task
        ; Task gates: the offset is unused, the selector names the TSS.
        mov edi, IDT_BASE + 0x90 * 8
        xor eax, eax
        mov ebx, SEL_TSS_C
        mov edx, GATE_TASK
        call make_gate
        mov edi, IDT_BASE + 6 * 8       ; #UD
        mov ebx, SEL_TSS_D
        call make_gate

        movzx eax, DESC_TYPE(SEL_TSS)
        CHECK_EQ eax, TYPE_BUSY, "main TSS busy after LTR"

        ; --- 1. JMP
        jmp SEL_TSS_A:0
after_jmp:
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS, "JMP back: TR = main TSS"
        movzx eax, DESC_TYPE(SEL_TSS_A)
        CHECK_EQ eax, TYPE_AVAIL, "JMP back: task A no longer busy"
        movzx eax, DESC_TYPE(SEL_TSS)
        CHECK_EQ eax, TYPE_BUSY, "JMP back: main TSS busy again"
        CHECK_EQ [TSS_A + 0x20], task_a.resume, "task A's TSS holds its resume EIP"

        ; --- 2. CALL
        mov esi, 0x600DCAFE             ; must survive: restored from the main TSS
        call SEL_TSS_B:0
        CHECK_EQ esi, 0x600DCAFE, "CALL return: registers restored from main TSS"
        pushfd
        pop eax
        and eax, EFLAGS_NT
        CHECK_EQ eax, 0, "CALL return: NT clear in the main task"
        movzx eax, DESC_TYPE(SEL_TSS_B)
        CHECK_EQ eax, TYPE_AVAIL, "IRET from B: B no longer busy"
        movzx eax, DESC_TYPE(SEL_TSS)
        CHECK_EQ eax, TYPE_BUSY, "IRET from B: main still busy"

        ; --- 3. INT through a task gate
        int 0x90
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS, "INT 0x90 return: TR = main TSS"
        movzx eax, DESC_TYPE(SEL_TSS_C)
        CHECK_EQ eax, TYPE_AVAIL, "IRET from C: C no longer busy"

        ; --- 4. Exception through a task gate (task D skips the UD2 for us)
        ud2
        CHECK_EQ [visits], 0xF, "all four tasks ran"
        ret

; -----------------------------------------------------------------------------------------
; make_task: EBX = selector, EDI = TSS address, EAX = entry EIP, ECX = stack top.
; A ring-0 32-bit task with flat segments, no LDT, no I/O bitmap.
; -----------------------------------------------------------------------------------------
make_task:
        pushad
        push eax
        push edi
        xor eax, eax
        mov ecx, 104 / 4
        rep stosd
        pop edi
        pop eax
        mov ecx, [esp + 24]             ; caller's ECX from PUSHAD
        mov [edi + 0x20], eax           ; EIP
        mov dword [edi + 0x24], 2       ; EFLAGS
        mov [edi + 0x38], ecx           ; ESP
        mov [edi + 0x04], ecx           ; ESP0 (unused: the tasks stay in ring 0)
        mov dword [edi + 0x08], SEL_DATA0
        mov edx, cr3
        mov [edi + 0x1C], edx           ; CR3 is loaded on every switch
        mov dword [edi + 0x4C], SEL_CODE0
        mov dword [edi + 0x48], SEL_DATA0   ; ES
        mov dword [edi + 0x50], SEL_DATA0   ; SS
        mov dword [edi + 0x54], SEL_DATA0   ; DS
        mov dword [edi + 0x58], SEL_DATA0   ; FS
        mov dword [edi + 0x5C], SEL_DATA0   ; GS
        mov word [edi + 0x66], 104      ; I/O map base past the limit: no bitmap
        mov eax, edi
        mov ecx, 103
        mov edx, TYPE_AVAIL             ; byte granular, flags 0
        call set_gdt_desc
        popad
        ret

; =========================================================================================
; The tasks
; =========================================================================================
task_a:
        or dword [visits], 1
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS_A, "task A: TR = A"
        mov eax, esp
        CHECK_EQ eax, STACK_A, "task A: ESP from its TSS"
        movzx eax, DESC_TYPE(SEL_TSS_A)
        CHECK_EQ eax, TYPE_BUSY, "task A: A busy"
        movzx eax, DESC_TYPE(SEL_TSS)
        CHECK_EQ eax, TYPE_AVAIL, "task A: JMP cleared main's busy bit"
        pushfd
        pop eax
        and eax, EFLAGS_NT
        CHECK_EQ eax, 0, "task A: NT clear (JMP does not nest)"
        CHECK_EQ [TSS_A], 0, "task A: back-link untouched"
        CHECK_EQ [TSS_BASE + 0x20], after_jmp, "task A: main TSS saved EIP after the JMP"
        jmp SEL_TSS:0                   ; back to the main task
.resume:
        jmp $                           ; never resumed

task_b:
        or dword [visits], 2
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS_B, "task B: TR = B"
        movzx eax, word [TSS_B]
        CHECK_EQ eax, SEL_TSS, "task B: back-link = main TSS"
        pushfd
        pop eax
        and eax, EFLAGS_NT
        CHECK_EQ eax, EFLAGS_NT, "task B: NT set by CALL"
        movzx eax, DESC_TYPE(SEL_TSS_B)
        CHECK_EQ eax, TYPE_BUSY, "task B: B busy"
        movzx eax, DESC_TYPE(SEL_TSS)
        CHECK_EQ eax, TYPE_BUSY, "task B: main stays busy (nested)"
        iretd                           ; NT=1: task return to the back-link

task_c:
        or dword [visits], 4
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS_C, "task C: TR = C (via task gate)"
        movzx eax, word [TSS_C]
        CHECK_EQ eax, SEL_TSS, "task C: back-link = main TSS"
        pushfd
        pop eax
        and eax, EFLAGS_NT
        CHECK_EQ eax, EFLAGS_NT, "task C: NT set"
        mov eax, esp
        CHECK_EQ eax, STACK_C, "task C: nothing pushed (INT n has no error code)"
        iretd

task_d:
        or dword [visits], 8
        mov eax, esp
        CHECK_EQ eax, STACK_D, "task D: #UD pushes no error code"
        mov eax, [TSS_BASE + 0x20]      ; the interrupted task's EIP: the UD2 itself
        cmp word [eax], 0x0B0F
        sete al
        movzx eax, al
        CHECK_EQ eax, 1, "task D: main task's saved EIP points at UD2"
        add dword [TSS_BASE + 0x20], 2  ; skip it when the main task resumes
        iretd

        ROM_END
