; SPDX-License-Identifier: MIT
;
; smc.asm - the code-and-data-on-one-page benchmark guest: a raw 64 KiB BIOS image that enters
; 32-bit protected mode, copies a small loop into RAM at CODE and runs it ITER times. Each
; iteration loads and stores a counter at DATA. Built twice by bench/smc_bench.sh: with DATA on
; the loop's own page (CODE + 0x800: stores land on a page holding translated code, but never
; on the code itself) and with DATA on a page of its own. A translator that tracks code at page
; granularity pays for every store in the first build; one that tracks the translated bytes
; does not. Exit: 0x10 to port 0xF4 (status 33 under tx86 and QEMU's isa-debug-exit).

%ifndef ITER
ITER            equ 100000000
%endif
%ifndef DATA
DATA            equ 0x20800
%endif
CODE            equ 0x20000
ROM_BASE        equ 0xFFFF0000
STACK_TOP       equ 0x80000

        org ROM_BASE

        bits 16
start16:
        cli
        o32 lgdt [cs:gdt_ptr - $$]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:start32

        bits 32
start32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, STACK_TOP
        mov esi, loop_code
        mov edi, CODE
        mov ecx, loop_end - loop_code
        cld
        rep movsb
        mov dword [DATA], 0
        mov esi, DATA
        mov ecx, ITER
        mov eax, CODE
        call eax
        mov al, 0x10
        out 0xF4, al
        hlt

loop_code:                              ; copied to CODE; position-independent
.again:
        mov eax, [esi]
        add eax, 3
        mov [esi], eax
        xor eax, ecx
        dec ecx
        jnz .again
        ret
loop_end:

        align 8
gdt:
        dq 0
        dq 0x00CF9B000000FFFF
        dq 0x00CF93000000FFFF
gdt_end:
gdt_ptr:
        dw gdt_end - gdt - 1
        dd gdt

        times 0xFFF0 - ($ - $$) db 0xF4
        bits 16
reset_vector:
        jmp start16
        times 0x10000 - ($ - $$) db 0xF4
