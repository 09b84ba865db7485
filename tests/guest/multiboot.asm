; SPDX-License-Identifier: MIT
; A Multiboot v1 test kernel. Assembled twice: as a flat binary using the header's a.out
; kludge (load addresses in the header), and with -DELF as an ELF32 object that ld links
; at 1 MiB (the loader then uses the program headers). It checks what a Multiboot loader
; promises at entry (EAX magic, the information structure in EBX: memory sizes, command
; line, the module, the memory map) and reports on port 0xE9, exiting through port 0xF4:
; 0x10 (status 33) when every check passes, 0x11 (status 35) otherwise.
; Run: tx86 -kernel K -initrd MODULE -append "mbtest arg=42" -debugcon stdio -no-reboot,
; where MODULE starts with the 7 bytes "MODULE!".

MB_MAGIC   equ 0x1BADB002
%ifdef ELF
MB_FLAGS   equ 0x00000003                ; page-aligned modules, memory info
%else
MB_FLAGS   equ 0x00010003                ; ... and the a.out kludge (bit 16)
%endif
LOAD_ADDR  equ 0x100000

%ifdef ELF
    section .text
    global _start
%else
    org LOAD_ADDR
%endif
    bits 32

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
%ifndef ELF
    dd header                            ; header_addr
    dd LOAD_ADDR                         ; load_addr
    dd 0                                 ; load_end_addr: whole file
    dd bss_end                           ; bss_end_addr
    dd _start                            ; entry_addr
%endif

_start:
    mov esp, stack_top
    mov [boot_eax], eax
    mov [boot_ebx], ebx

    ; 1. the magic value
    cmp dword [boot_eax], 0x2BADB002
    mov esi, msg_magic
    call check

    ; 2. memory sizes present (flags bit 0), 639 KiB of base memory (the top KiB is the
    ;    EBDA, as the e820 map says), > 1 MiB extended
    mov ebx, [boot_ebx]
    mov eax, [ebx]
    test eax, 1
    setnz al
    cmp dword [ebx + 4], 639
    sete ah
    and al, ah
    cmp dword [ebx + 8], 1024
    seta ah
    and al, ah
    cmp al, 1
    mov esi, msg_mem
    call check

    ; 3. the command line (flags bit 2) ends with "mbtest arg=42" (loaders put the kernel's
    ;    name first, as GRUB and QEMU do)
    mov ebx, [boot_ebx]
    test dword [ebx], 4
    jz .no_cmdline
    mov edi, [ebx + 16]
    mov esi, edi
    xor eax, eax
    mov ecx, 4096
    repne scasb                          ; EDI = one past the NUL
    sub edi, want_cmdline_len            ; start of the expected tail (NUL included)
    cmp edi, esi
    jb .no_cmdline_z
    mov esi, want_cmdline
    mov ecx, want_cmdline_len
    repe cmpsb
    jmp .no_cmdline
.no_cmdline_z:
    or eax, 1
.no_cmdline:
    mov esi, msg_cmdline
    call check

    ; 4. one module (flags bit 3), page aligned, starting with "MODULE!"
    mov ebx, [boot_ebx]
    test dword [ebx], 8
    jz .bad_mod
    cmp dword [ebx + 20], 1
    jne .bad_mod
    mov edx, [ebx + 24]                  ; mods_addr
    mov esi, [edx]                       ; mod_start
    test esi, 0xFFF
    jnz .bad_mod
    mov edi, want_module
    mov ecx, 7
    repe cmpsb
    jmp .mod_done
.bad_mod:
    or eax, 1                            ; force ZF = 0
    cmp eax, 0
.mod_done:
    mov esi, msg_module
    call check

    ; 5. a memory map (flags bit 6) whose entries include RAM at 1 MiB
    mov ebx, [boot_ebx]
    xor edx, edx                         ; found flag
    test dword [ebx], 0x40
    jz .map_done
    mov esi, [ebx + 48]                  ; mmap_addr
    mov ecx, [ebx + 44]                  ; mmap_length
    add ecx, esi
.map_loop:
    cmp esi, ecx
    jae .map_done
    cmp dword [esi + 4], 0x100000        ; base_addr low
    jne .map_next
    cmp dword [esi + 20], 1              ; type RAM
    jne .map_next
    mov edx, 1
.map_next:
    add esi, [esi]
    add esi, 4
    jmp .map_loop
.map_done:
    cmp edx, 1
    mov esi, msg_mmap
    call check

    ; 6. flat 32-bit code and data segments: reading through DS at 0 works, CS is 32-bit
    mov eax, cs
    test eax, eax
    mov esi, msg_segs
    call check_nz

    ; report
    cmp dword [failures], 0
    jne .fail
    mov esi, msg_result_pass
    call print
    mov al, 0x10
    out 0xF4, al
    jmp halt
.fail:
    mov esi, msg_result_fail
    call print
    mov al, 0x11
    out 0xF4, al
halt:
    cli
    hlt
    jmp halt

; check: ZF set = pass. ESI = check name.
check:
    jne .bad
    push esi
    mov esi, msg_pass
    call print
    pop esi
    call print
    mov esi, msg_nl
    jmp print
.bad:
    inc dword [failures]
    push esi
    mov esi, msg_fail
    call print
    pop esi
    call print
    mov esi, msg_nl
    jmp print

; check_nz: ZF clear = pass.
check_nz:
    je .z
    cmp eax, eax
    jmp check
.z:
    or eax, 1
    jmp check

; print: NUL-terminated string at ESI to port 0xE9.
print:
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp print
.done:
    ret

%ifdef ELF
    section .data
%endif
msg_pass        db "PASS: ", 0
msg_fail        db "FAIL: ", 0
msg_nl          db 10, 0
msg_magic       db "multiboot magic in EAX", 0
msg_mem         db "mem_lower/mem_upper", 0
msg_cmdline     db "command line", 0
msg_module      db "module", 0
msg_mmap        db "memory map has RAM at 1 MiB", 0
msg_segs        db "flat code segment", 0
msg_result_pass db "RESULT: PASS", 10, 0
msg_result_fail db "RESULT: FAIL", 10, 0
want_cmdline    db "mbtest arg=42", 0
want_cmdline_len equ $ - want_cmdline
want_module     db "MODULE!"
failures        dd 0
boot_eax        dd 0
boot_ebx        dd 0

%ifdef ELF
    section .bss
%else
    align 16
%endif
stack_bottom:
%ifdef ELF
    resb 4096
%else
    times 4096 db 0
%endif
stack_top:
bss_end:
