; SPDX-License-Identifier: MIT
;
; loop.asm - the interpreter benchmark guest: a raw 64 KiB BIOS image that enters 32-bit
; protected mode and runs a fixed, known number of integer instructions (loads, stores, ALU,
; LEA, CALL/RET, PUSH/POP, CMP, DEC/Jcc), then stops the machine. It is not a test: it checks
; nothing and prints nothing. bench/interp_bench.sh builds and runs it; see bench/README.md.
;
; Instruction count (every instruction retired from reset to the exit OUT, inclusive):
;     PROLOGUE + OUTER * (4 + 13 * INNER) + EPILOGUE
; with PROLOGUE = 21 and EPILOGUE = 2 (counted by hand below, marked [n]).
; OUTER and INNER can be set with nasm -DOUTER=... -DINNER=...
;
; Exit: writes 0x10 to port 0xF4 (QEMU isa-debug-exit and tx86: status 33), then writes the
; string "Shutdown" to port 0x8900, which Bochs honours, then halts with interrupts off.

%ifndef OUTER
OUTER           equ 2500
%endif
%ifndef INNER
INNER           equ 10000
%endif

ROM_BASE        equ 0xFFFF0000
DATA            equ 0x10000             ; data buffer in RAM (its own page, apart from code)
STACK_TOP       equ 0x80000

        org ROM_BASE

        bits 16
start16:
        cli                                     ; [2]
        o32 lgdt [cs:gdt_ptr - $$]              ; [3]
        mov eax, cr0                            ; [4]
        or al, 1                                ; [5]
        mov cr0, eax                            ; [6]
        jmp dword 0x08:start32                  ; [7]

        bits 32
start32:
        mov ax, 0x10                            ; [8]
        mov ds, ax                              ; [9]
        mov es, ax                              ; [10]
        mov ss, ax                              ; [11]
        mov esp, STACK_TOP                      ; [12]
        xor ebx, ebx                            ; [13]
        mov dword [DATA], 0x12345678            ; [14]
        mov edi, OUTER                          ; [15]
        ; 6 more prologue instructions (no effect on the loop): make the count round and touch the stack once.
        push edi                                ; [16]
        pop edi                                 ; [17]
        xor edx, edx                            ; [18]
        mov esi, DATA                           ; [19]
        nop                                     ; [20]
        nop                                     ; [21]

outer:                                          ; per outer iteration: 4 + 13 * INNER
        mov ecx, INNER
        mov esi, DATA
inner:                                          ; 13 instructions per iteration
        mov eax, [esi]
        add eax, ecx
        xor eax, 0x5A5A5A5A
        mov [esi + 4], eax
        lea edx, [eax + ecx * 2]
        call func
        cmp edx, ebx
        dec ecx
        jnz inner
        dec edi
        jnz outer

        mov al, 0x10                            ; [E1]
        out 0xF4, al                            ; [E2] QEMU / tx86 stop here
        ; Bochs: the "Shutdown" string on port 0x8900 ends the simulation.
        mov dx, 0x8900
        mov esi, shutdown_str
        mov ecx, 8
        rep outsb
        hlt

func:                                           ; 4 instructions: push, add, pop, ret
        push edx
        add ebx, edx
        pop edx
        ret

shutdown_str:
        db "Shutdown"

        align 8
gdt:
        dq 0
        dq 0x00CF9B000000FFFF                   ; 0x08: flat 32-bit code, ring 0
        dq 0x00CF93000000FFFF                   ; 0x10: flat 32-bit data, ring 0
gdt_end:
gdt_ptr:
        dw gdt_end - gdt - 1
        dd gdt

        times 0xFFF0 - ($ - $$) db 0xF4
        bits 16
reset_vector:                                   ; F000:FFF0
        jmp start16                             ; [1]
        times 0x10000 - ($ - $$) db 0xF4
