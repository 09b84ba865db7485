; SPDX-License-Identifier: MIT
;
; demo.asm - a tiny bare-metal "kernel" that walks through the x86 privilege rings.
;
; It is a 64 KiB raw firmware image for `-bios` (tx86 or QEMU). The CPU comes out of reset
; in real mode at F000:FFF0 with the CS base at 0xFFFF0000, i.e. at offset 0xFFF0 of this
; image, which is mapped to end at 4 GiB. From there the code:
;
;   1. loads a GDT and switches to 32-bit protected mode (ring 0),
;   2. initialises the COM1 serial port and prints a banner,
;   3. builds a TSS (so the CPU knows which stack to use when coming back to ring 0) and
;      an IDT whose vector 0x80 is an interrupt gate with DPL 3 (so ring 3 may use INT 0x80),
;   4. drops to ring 3 with IRET,
;   5. from ring 3 makes a few INT 0x80 "system calls" asking the kernel to print text,
;      and tries one privileged instruction (HLT) to show the #GP the CPU raises,
;   6. asks the kernel to exit; ring 0 writes to QEMU's isa-debug-exit port.
;
; Every line goes both to COM1 (0x3F8) and to the debug console port 0xE9.
;
; Exit status: the kernel writes 0x10 to port 0xF4. With isa-debug-exit the emulator exits
; with status (0x10 << 1) | 1 = 33, which means "the demo ran to the end". An unexpected
; exception writes 0x11 instead (status 35).
;
; Run it:
;   nasm -f bin -o demo.bin demo.asm
;   qemu-system-i386 -nographic -bios demo.bin \
;       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ; echo $?   # 33
;
; Nothing here is written to the ROM: the GDT, IDT, TSS and all variables live in RAM,
; because the firmware region is read-only and the CPU itself writes to the GDT (it sets
; the "busy" bit of the TSS descriptor when we load the task register).

ROM_BASE        equ 0xFFFF0000          ; where this image is mapped (it ends at 4 GiB)

; --- Where things live in RAM (all below 640 KiB, no paging) ----------------------------
GDT_RAM         equ 0x1000
IDT_RAM         equ 0x2000              ; 256 gates * 8 bytes = 0x800
TSS_RAM         equ 0x3000
USER_DATA       equ 0x4000              ; scratch buffer the user program writes into
KERNEL_STACK    equ 0x20000             ; top of the ring-0 stack (TSS.ESP0)
USER_STACK      equ 0x30000             ; top of the ring-3 stack

; --- Segment selectors: index * 8 + requested privilege level (RPL) ---------------------
KERNEL_CS       equ 0x08                ; GDT[1] ring-0 code
KERNEL_DS       equ 0x10                ; GDT[2] ring-0 data
USER_CS         equ 0x18 | 3            ; GDT[3] ring-3 code, RPL 3
USER_DS         equ 0x20 | 3            ; GDT[4] ring-3 data, RPL 3
TSS_SEL         equ 0x28                ; GDT[5] 32-bit TSS

COM1            equ 0x3F8
DEBUGCON        equ 0xE9
DEBUG_EXIT      equ 0xF4
EXIT_OK         equ 0x10                ; -> process status 33
EXIT_BAD        equ 0x11                ; -> process status 35

SYS_WRITE       equ 1                   ; int 0x80, EAX=1: print the string at EBX
SYS_EXIT        equ 2                   ; int 0x80, EAX=2: stop the machine

ROUND_TRIPS     equ 3

        org ROM_BASE

; =========================================================================================
; Real mode: just enough to get into protected mode.
; =========================================================================================
        bits 16
real_mode_start:
        cli                             ; no interrupt handlers exist yet
        cld
        ; The GDT pseudo-descriptor is read through CS (base 0xFFFF0000), so the operand is
        ; an offset inside this image ($$ is the image start). The o32 prefix makes LGDT take a full 32-bit base.
        o32 lgdt [cs:gdt_pointer_rom - $$]
        mov eax, cr0
        or al, 1                        ; CR0.PE: protected mode on
        mov cr0, eax
        ; A far jump loads CS from the GDT and flushes the real-mode prefetch; the 32-bit
        ; offset (o32 form) lets us land directly on the 4 GiB alias of this image.
        jmp dword KERNEL_CS:protected_mode_start

; =========================================================================================
; Ring 0, 32-bit protected mode.
; =========================================================================================
        bits 32
protected_mode_start:
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, KERNEL_STACK

        ; Move the GDT into RAM and switch to that copy (see the note at the top).
        mov esi, gdt_template
        mov edi, GDT_RAM
        mov ecx, gdt_template_end - gdt_template
        rep movsb
        lgdt [gdt_pointer_ram]
        jmp KERNEL_CS:.reload_cs        ; reload CS so no cached state refers to the old GDT
.reload_cs:
        mov ax, KERNEL_DS
        mov ds, ax
        mov es, ax
        mov ss, ax

        call serial_init
        mov esi, msg_banner
        call print
        mov esi, msg_pmode
        call print
        call print_own_cpl

        ; --- The TSS. Only SS0:ESP0 matter here: when an interrupt moves the CPU from
        ; ring 3 to ring 0, it switches to this stack before pushing the return frame.
        mov edi, TSS_RAM
        mov ecx, 104 / 4
        xor eax, eax
        rep stosd
        mov dword [TSS_RAM + 4], KERNEL_STACK   ; ESP0
        mov dword [TSS_RAM + 8], KERNEL_DS      ; SS0
        mov word [TSS_RAM + 102], 104           ; I/O map base beyond the limit: no bitmap,
                                                ; so ring 3 gets no I/O ports at all
        mov ax, TSS_SEL
        ltr ax                          ; marks the TSS descriptor busy

        ; --- The IDT. Every vector first gets a catch-all handler (DPL 0, so ring 3 cannot
        ; INT to it), then #GP and the system-call vector get real handlers.
        xor ecx, ecx
.fill_idt:
        mov eax, unexpected_interrupt
        mov dx, 0x8E00                  ; present, DPL 0, 32-bit interrupt gate
        call set_idt_gate
        inc ecx
        cmp ecx, 256
        jb .fill_idt

        mov ecx, 13                     ; #GP: general protection fault
        mov eax, gp_fault_handler
        mov dx, 0x8E00
        call set_idt_gate

        mov ecx, 0x80                   ; the system call gate
        mov eax, syscall_handler
        mov dx, 0xEE00                  ; present, DPL 3 (!), 32-bit interrupt gate
        call set_idt_gate
        lidt [idt_pointer]

        mov esi, msg_tables_ready
        call print

        ; --- Enter ring 3. IRET to an outer level pops EIP, CS, EFLAGS, ESP, SS; we build
        ; that frame by hand. The RPL of the new CS (3) becomes the new CPL.
        push dword USER_DS              ; SS
        push dword USER_STACK           ; ESP
        push dword 0x00000002           ; EFLAGS: IF=0, IOPL=0 (ring 3 may not do I/O)
        push dword USER_CS              ; CS
        push dword user_program         ; EIP
        iretd

; -----------------------------------------------------------------------------------------
; set_idt_gate: ECX = vector, EAX = handler address, DX = type/attribute word
; Gate layout: offset[15:0], selector, attributes, offset[31:16].
; -----------------------------------------------------------------------------------------
set_idt_gate:
        mov word [IDT_RAM + ecx * 8 + 0], ax
        mov word [IDT_RAM + ecx * 8 + 2], KERNEL_CS
        mov word [IDT_RAM + ecx * 8 + 4], dx
        shr eax, 16
        mov word [IDT_RAM + ecx * 8 + 6], ax
        ret

; =========================================================================================
; System call handler, reached from ring 3 through the DPL-3 interrupt gate at 0x80.
; On entry the CPU has already switched to SS0:ESP0 from the TSS and pushed:
;     [esp+16] user SS   [esp+12] user ESP   [esp+8] EFLAGS   [esp+4] user CS   [esp] EIP
; DS/ES still hold the user's selectors; they are flat too, but a real kernel would load
; its own, as we do.
; =========================================================================================
syscall_handler:
        push ds
        push es
        pushad                          ; frame now: 32 bytes regs + 8 bytes ds/es
        mov bp, KERNEL_DS
        mov ds, bp
        mov es, bp

        ; Who called us? The CPL of the caller is the RPL of the CS it pushed.
        mov esi, msg_syscall_from
        call print
        mov eax, [esp + 40 + 4]         ; saved CS
        and eax, 3
        call print_digit
        mov esi, msg_syscall_now
        call print
        mov ax, cs                      ; our own CPL, from our own CS
        and eax, 3
        call print_digit
        mov al, ')'
        call putc
        mov al, 10
        call putc

        mov eax, [esp + 28]             ; saved EAX = system call number
        cmp eax, SYS_WRITE
        je .write
        cmp eax, SYS_EXIT
        je .exit
        mov esi, msg_bad_syscall
        call print
        jmp .done

.write:
        mov esi, msg_printing
        call print
        mov esi, [esp + 16]             ; saved EBX = the user's string
        call print                      ; (a real kernel would check it points to user memory)
        jmp .done

.exit:
        mov esi, msg_exit
        call print
        mov al, EXIT_OK
        out DEBUG_EXIT, al              ; QEMU/tx86 exit here with status 33
        mov esi, msg_no_exit_device
        call print
.halt:  cli
        hlt
        jmp .halt

.done:
        popad
        pop es
        pop ds
        iretd                           ; back to ring 3: pops EIP, CS, EFLAGS, ESP, SS

; =========================================================================================
; #GP handler. The CPU pushed an error code (0 here) before EIP. We only expect the
; deliberate HLT from ring 3, which is a one-byte instruction, so we skip it and resume.
; =========================================================================================
gp_fault_handler:
        push ds
        pushad
        mov ax, KERNEL_DS
        mov ds, ax
        mov eax, [esp + 36 + 8]         ; faulting CS (after error code and EIP)
        test eax, 3
        jz unexpected_interrupt         ; a #GP in ring 0 is a bug in this demo
        mov esi, msg_gp
        call print
        and eax, 3
        call print_digit
        mov esi, msg_gp2
        call print
        inc dword [esp + 36 + 4]        ; skip the 1-byte HLT
        popad
        pop ds
        add esp, 4                      ; drop the error code: IRET does not expect it
        iretd

unexpected_interrupt:
        mov ax, KERNEL_DS
        mov ds, ax
        mov esi, msg_unexpected
        call print
        mov al, EXIT_BAD
        out DEBUG_EXIT, al
.halt:  cli
        hlt
        jmp .halt

; =========================================================================================
; Output: COM1 and the 0xE9 debug console.
; =========================================================================================
serial_init:
        ; An emulator's 16550 works without this, but a real one would need a line format:
        ; no interrupts, 8 data bits, no parity, one stop bit, DTR+RTS asserted.
        mov dx, COM1 + 1                ; IER
        xor al, al
        out dx, al
        mov dx, COM1 + 3                ; LCR: 8N1 (DLAB off, so 0x3F8 stays the THR)
        mov al, 0x03
        out dx, al
        mov dx, COM1 + 4                ; MCR
        mov al, 0x03
        out dx, al
        ret

; putc: AL = character. Preserves all registers.
putc:
        push ecx
        push edx
        push eax
        mov dx, COM1 + 5                ; LSR
        mov ecx, 100000                 ; do not hang forever if there is no UART
.wait:  in al, dx
        test al, 0x20                   ; bit 5: transmit holding register empty
        jnz .ready
        dec ecx
        jnz .wait
.ready: pop eax
        mov dx, COM1                    ; THR
        out dx, al
        out DEBUGCON, al
        pop edx
        pop ecx
        ret

; print: ESI = NUL-terminated string. Preserves all registers.
print:
        push esi
        push eax
.next:  lodsb
        test al, al
        jz .end
        call putc
        jmp .next
.end:   pop eax
        pop esi
        ret

print_digit:                            ; EAX = 0..9
        push eax
        add al, '0'
        call putc
        pop eax
        ret

print_own_cpl:
        mov esi, msg_kernel_cpl
        call print
        mov ax, cs
        and eax, 3
        call print_digit
        mov al, 10
        call putc
        ret

; =========================================================================================
; The user program: runs at CPL 3 with flat segments. It may not touch I/O ports, the
; interrupt flag or HLT; everything goes through INT 0x80.
; =========================================================================================
user_program:
        mov ax, USER_DS                 ; IRET already loaded SS; the other data segment
        mov ds, ax                      ; registers were nulled because their DPL-0
        mov es, ax                      ; selectors are not usable at CPL 3

        xor edi, edi                    ; round-trip counter
.round_trip:
        inc edi
        ; Build "ring 3 (CPL n): calling kernel, round trip k" in a user buffer: the CPL
        ; digit comes from our own CS, so it is what the CPU really thinks we are.
        push edi
        mov esi, user_msg_prefix
        mov edi, USER_DATA
        call user_strcpy
        mov ax, cs
        and al, 3
        add al, '0'
        stosb
        mov esi, user_msg_middle
        call user_strcpy
        mov eax, [esp]                  ; round trip number
        add al, '0'
        stosb
        mov ax, 10                      ; newline and terminator
        stosw
        pop edi

        mov eax, SYS_WRITE
        mov ebx, USER_DATA
        int 0x80                        ; -> syscall_handler at CPL 0, and back

        cmp edi, ROUND_TRIPS
        jb .round_trip

        ; A privileged instruction at CPL 3 raises #GP instead of halting the machine.
        mov eax, SYS_WRITE
        mov ebx, user_msg_try_hlt
        int 0x80
        hlt

        mov eax, SYS_WRITE
        mov ebx, user_msg_still_here
        int 0x80

        mov eax, SYS_EXIT
        int 0x80
        jmp $                           ; not reached

; user_strcpy: copy NUL-terminated ESI to EDI, leaving EDI on the terminator position.
user_strcpy:
.next:  lodsb
        test al, al
        jz .end
        stosb
        jmp .next
.end:   ret

; =========================================================================================
; Read-only data
; =========================================================================================
msg_banner:         db 10, "tx86 demo: a round trip through the x86 privilege rings", 10, 0
msg_pmode:          db "ring 0: kernel running in 32-bit protected mode", 10, 0
msg_kernel_cpl:     db "ring 0: CPL from CS = ", 0
msg_tables_ready:   db "ring 0: GDT, TSS and IDT ready (INT 0x80 gate has DPL 3); IRET to ring 3", 10, 0
msg_syscall_from:   db "ring 0: syscall from CPL ", 0
msg_syscall_now:    db " (kernel now at CPL ", 0
msg_printing:       db "ring 0: printing for the user: ", 0
msg_bad_syscall:    db "ring 0: unknown system call number, ignored", 10, 0
msg_exit:           db "ring 0: user asked to exit; writing 0x10 to port 0xF4 (exit status 33)", 10, 0
msg_no_exit_device: db "ring 0: no isa-debug-exit device; halting", 10, 0
msg_gp:             db "ring 0: #GP from CPL ", 0
msg_gp2:            db ": HLT is privileged; skipping it and returning to the user", 10, 0
msg_unexpected:     db "ring 0: unexpected exception or interrupt; stopping (status 35)", 10, 0
user_msg_prefix:    db "ring 3 (CPL ", 0
user_msg_middle:    db "): calling kernel, round trip ", 0
user_msg_try_hlt:   db "ring 3: trying HLT, which needs CPL 0", 10, 0
user_msg_still_here: db "ring 3: still running after the #GP; asking the kernel to exit", 10, 0

; =========================================================================================
; Descriptor tables (copied to RAM at boot)
; =========================================================================================
        align 8
gdt_template:
        dq 0                            ; 0x00: the null descriptor
        ; Flat 4 GiB segments: limit 0xFFFFF in 4 KiB units (G=1), 32-bit (D=1).
        ; Access byte: P | DPL<<5 | S | type. Accessed bit pre-set so the CPU never needs
        ; to write it back (it matters for the first load, from the ROM copy).
        dw 0xFFFF, 0x0000
        db 0x00, 0x9B, 0xCF, 0x00       ; 0x08: ring-0 code, execute/read
        dw 0xFFFF, 0x0000
        db 0x00, 0x93, 0xCF, 0x00       ; 0x10: ring-0 data, read/write
        dw 0xFFFF, 0x0000
        db 0x00, 0xFB, 0xCF, 0x00       ; 0x18: ring-3 code (DPL 3)
        dw 0xFFFF, 0x0000
        db 0x00, 0xF3, 0xCF, 0x00       ; 0x20: ring-3 data (DPL 3)
        ; 0x28: 32-bit available TSS (type 9), base TSS_RAM, limit 103, DPL 0
        dw 103, TSS_RAM & 0xFFFF
        db (TSS_RAM >> 16) & 0xFF, 0x89, 0x00, (TSS_RAM >> 24) & 0xFF
gdt_template_end:

gdt_pointer_rom:
        dw gdt_template_end - gdt_template - 1
        dd gdt_template
gdt_pointer_ram:
        dw gdt_template_end - gdt_template - 1
        dd GDT_RAM
idt_pointer:
        dw 256 * 8 - 1
        dd IDT_RAM

; =========================================================================================
; Reset vector: the first instruction the CPU executes, 16 bytes below 4 GiB.
; =========================================================================================
        times 0xFFF0 - ($ - $$) db 0xFF
        bits 16
reset_vector:
        jmp near real_mode_start        ; relative jump within the CS=F000 (base FFFF0000) segment
        times 0x10000 - ($ - $$) db 0xFF
