; SPDX-License-Identifier: MIT
;
; sysloop - a tiny static i386 Linux program for the ring log test (tests/system/ringlog_linux.py)
; and docs/rings.md. It makes exactly N system calls with the number SYSLOOP_NR through
; INT 0x80, then exits:
;
;   sysloop        N = 5000
;   sysloop 3      N = 3 (any decimal count below 2^31)
;
; SYSLOOP_NR is beyond the end of the kernel's system call table, so each call comes back
; at once with -ENOSYS (-38): the kernel is entered and left, and nothing else happens. If a
; call returns anything else, or the argument is not a number, sysloop exits with status 1.
; Built by scripts/build-guest.sh (nasm -f elf32, ld -m elf_i386 -Ttext=0x0a000000) into the
; initramfs as /bin/sysloop; _start is at 0x0a000000, an address busybox never runs.

BITS 32

SYSLOOP_NR      equ 4242            ; distinctive, and no i386 kernel has that many calls
DEFAULT_COUNT   equ 5000
ENOSYS          equ 38
SYS_EXIT        equ 1

; No executable stack (the kernel warns about ELF files that do not say so).
section .note.GNU-stack noalloc noexec nowrite progbits

section .text
global _start
_start:
        ; The kernel starts us with [esp] = argc, [esp+4] = argv[0], [esp+8] = argv[1].
        mov ecx, DEFAULT_COUNT
        cmp dword [esp], 2
        jb .counted
        mov esi, [esp + 8]
        call parse_decimal          ; ecx = the count, CF set if it is not a number
        jc .fail
.counted:
        mov esi, ecx                ; esi counts down (the kernel preserves it across calls)
        test esi, esi
        jz .done
.loop:
        mov eax, SYSLOOP_NR
        int 0x80                    ; ring 3 -> ring 0 through the IDT's DPL-3 gate 0x80
        cmp eax, -ENOSYS
        jne .fail
        dec esi
        jnz .loop
.done:
        mov eax, SYS_EXIT
        xor ebx, ebx                ; exit status 0
        int 0x80
.fail:
        mov eax, SYS_EXIT
        mov ebx, 1
        int 0x80

; Parses the NUL-terminated decimal string at esi into ecx. CF set when it is empty, has a
; character other than 0-9, or does not fit in 32 bits.
parse_decimal:
        xor ecx, ecx
        cmp byte [esi], 0
        je .bad
.digit:
        movzx eax, byte [esi]
        test eax, eax
        jz .ok
        sub eax, '0'
        cmp eax, 9
        ja .bad
        imul ecx, ecx, 10
        jo .bad
        add ecx, eax
        jc .bad
        inc esi
        jmp .digit
.ok:
        clc
        ret
.bad:
        stc
        ret
