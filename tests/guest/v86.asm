; SPDX-License-Identifier: MIT
;
; v86.asm - guest test: virtual-8086 mode under a ring-0 monitor.
;
; test_main IRETs with EFLAGS.VM=1 (IOPL 0) into 16-bit code that runs from the ROM's
; real-mode alias at F000:xxxx. That code:
;   - writes a word through DS (segment*16 arithmetic, checked later),
;   - does OUT to port 0xE9 (allowed by the TSS I/O bitmap: no fault),
;   - does OUT to port 0x80 (denied by the bitmap: #GP),
;   - does INT 0x21 (IOPL < 3: #GP to the monitor instead of the IVT),
;   - does INT 0x20, which the monitor treats as "leave v86 mode".
; In v86 mode I/O is decided by the bitmap alone, whatever IOPL is. The monitor's #GP
; handler checks the frame the CPU pushed on the ring-0 stack (which, from v86 mode, also
; holds ES, DS, FS and GS) and skips each faulting 2-byte instruction.

%include "common.inc"

V86_CS          equ 0xF000              ; the ROM alias below 1 MiB (image start = F000:0000)
V86_SS          equ 0x0900
V86_SP          equ 0x1000              ; linear 0xA000
V86_DS          equ 0x1234
V86_ES          equ 0x2345
V86_FS          equ 0x3456
V86_GS          equ 0x4567
EFLAGS_VM       equ 1 << 17
FRAME_BYTES     equ 40                  ; error code + 9 dwords

[absolute TEST_VARS]
saved_esp:      resd 1
gp_count:       resd 1
gp_entry_ds:    resd 1                  ; DS seen at handler entry (nulled by the CPU)
gp_entry_esp:   resd 1
frame_err:      resd 1
frame_cs:       resd 1
frame_eflags:   resd 1
frame_esp:      resd 1
frame_ss:       resd 1
frame_es:       resd 1
frame_ds:       resd 1
frame_fs:       resd 1
frame_gs:       resd 1
port_fault_eip: resd 1                  ; IP of the OUT 0x80 that faulted
int_fault_eip:  resd 1                  ; IP of the INT 0x21
exit_eip:       resd 1
other_faults:   resd 1
__SECT__

test_main:
        PRINT "v86: virtual-8086 mode, INT n and I/O bitmap under a ring-0 monitor", 10
        mov ecx, DEBUGCON
        call io_allow                   ; port 0xE9 open, 0x80 stays closed

        mov ecx, 13
        mov eax, v86_gp_handler
        mov edx, GATE_INT32
        call set_idt_gate

        mov word [(V86_DS << 4) + 0x10], 0
        mov [saved_esp], esp
        ; IRET to v86: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS (bottom of the list first).
        push dword V86_GS
        push dword V86_FS
        push dword V86_DS
        push dword V86_ES
        push dword V86_SS
        push dword V86_SP
        push dword EFLAGS_VM | 2        ; VM, IOPL 0, IF 0
        push dword V86_CS
        push dword v86_code - $$
        iretd

v86_back:                               ; the monitor jumps here for INT 0x20
        PRINT 10, "v86: back in the monitor", 10
        CHECK_EQ [gp_count], 3, "three #GPs: OUT 0x80, INT 0x21, INT 0x20"
        CHECK_EQ [other_faults], 0, "no other faults"
        CHECK_EQ [gp_entry_ds], 0, "DS is null on entry from v86 mode"
        CHECK_EQ [gp_entry_esp], TSS_STACK_TOP - FRAME_BYTES, "frame: 10 dwords on TSS.ESP0"
        CHECK_EQ [frame_err], 0, "#GP error code 0"
        CHECK_EQ [frame_cs], V86_CS, "frame: CS"
        CHECK_EQ [frame_ss], V86_SS, "frame: SS"
        CHECK_EQ [frame_esp], V86_SP - 2, "frame: SP (one word pushed in v86)"
        CHECK_EQ [frame_es], V86_ES, "frame: ES"
        CHECK_EQ [frame_ds], V86_DS, "frame: DS"
        CHECK_EQ [frame_fs], V86_FS, "frame: FS"
        CHECK_EQ [frame_gs], V86_GS, "frame: GS"
        mov eax, [frame_eflags]
        and eax, EFLAGS_VM | (3 << 12)
        CHECK_EQ eax, EFLAGS_VM, "frame: EFLAGS.VM=1, IOPL=0"
        CHECK_EQ [port_fault_eip], v86_out80 - $$, "OUT to a denied port faults (bitmap)"
        CHECK_EQ [int_fault_eip], v86_int21 - $$, "INT n with IOPL<3 faults"
        CHECK_EQ [exit_eip], v86_int20 - $$, "INT 0x20 reached"
        movzx eax, word [(V86_DS << 4) + 0x10]
        CHECK_EQ eax, 0xBEEF, "v86 store landed at DS*16+offset"
        movzx eax, word [(V86_SS << 4) + V86_SP - 2]
        CHECK_EQ eax, 0x1357, "v86 push landed at SS*16+SP-2"
        ret

; =========================================================================================
; The monitor's #GP handler. Entry stack (from v86): [esp] error, +4 EIP, +8 CS,
; +12 EFLAGS, +16 ESP, +20 SS, +24 ES, +28 DS, +32 FS, +36 GS.
; =========================================================================================
v86_gp_handler:
        pushad
        mov eax, ds                     ; capture before we load our own
        push eax
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
%define F(x) [esp + 36 + (x)]
        inc dword [gp_count]
        test dword F(12), EFLAGS_VM
        jz .not_v86
        mov eax, [esp]
        mov [gp_entry_ds], eax
        lea eax, [esp + 36]
        mov [gp_entry_esp], eax
        mov eax, F(0)
        mov [frame_err], eax
        mov eax, F(8)
        mov [frame_cs], eax
        mov eax, F(12)
        mov [frame_eflags], eax
        mov eax, F(16)
        mov [frame_esp], eax
        mov eax, F(20)
        mov [frame_ss], eax
        mov eax, F(24)
        mov [frame_es], eax
        mov eax, F(28)
        mov [frame_ds], eax
        mov eax, F(32)
        mov [frame_fs], eax
        mov eax, F(36)
        mov [frame_gs], eax

        ; Decode the faulting instruction at CS*16 + IP.
        movzx esi, word F(8)
        shl esi, 4
        movzx eax, word F(4)
        add esi, eax
        mov ebx, F(4)
        cmp byte [esi], 0xE6            ; OUT imm8, AL
        je .port
        cmp byte [esi], 0xCD            ; INT imm8
        jne .not_v86
        cmp byte [esi + 1], 0x20
        je .exit
        mov [int_fault_eip], ebx
        jmp .skip
.port:  mov [port_fault_eip], ebx
.skip:  add dword F(4), 2               ; both are 2-byte instructions
        pop eax
        popad
        add esp, 4                      ; error code
        iretd

.exit:  mov [exit_eip], ebx
        mov esp, [saved_esp]            ; abandon the v86 context
        jmp v86_back

.not_v86:
        inc dword [other_faults]
        PRINT "FAIL: #GP not from the expected v86 instructions at ", 0
        mov eax, F(4)
        call put_hex
        mov al, 10
        call putc
        mov esp, [saved_esp]
        jmp v86_back
%undef F

; =========================================================================================
; Virtual-8086 code (16-bit, runs at F000:offset)
; =========================================================================================
        bits 16
v86_code:
        mov word [0x10], 0xBEEF         ; DS = 0x1234 -> linear 0x12350
        push word 0x1357                ; SS:SP = 0900:1000 -> linear 0x9FFE
        mov si, v86_msg - $$
.msg:   cs lodsb
        test al, al
        jz .done
        out DEBUGCON, al                ; allowed by the I/O bitmap
        jmp .msg
.done:
v86_out80:
        out 0x80, al                    ; denied by the bitmap -> #GP
v86_int21:
        int 0x21                        ; IOPL 0 -> #GP, not the IVT
v86_int20:
        int 0x20                        ; monitor: leave v86 mode
        jmp $
v86_msg: db "v86: hello from virtual-8086 mode via port 0xE9", 0
        bits 32

        ROM_END
