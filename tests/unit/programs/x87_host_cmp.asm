; SPDX-License-Identifier: MIT
; tests/unit/jit_lowering_test.cpp holds these bytes: nasm -f bin cmp.asm, then 16 per row.
bits 32
org 0x1002
    mov ecx, 3
L:  mov edi, 0x2400
    fld qword [0x2000]          ; 1.5
    fld qword [0x2008]          ; 0.1
    fcom st1                    ; less
    fnstsw ax
    mov [edi], eax
    fxch st1
    fcom st1                    ; greater
    fnstsw ax
    mov [edi+4], eax
    fld st0
    fucom st1                   ; equal
    fnstsw ax
    mov [edi+8], eax
    fcomp st1
    fnstsw ax
    mov [edi+12], eax
    fucomp st1
    fnstsw ax
    mov [edi+16], eax
    fld qword [0x2050]          ; -0.0
    fldz
    fcompp                      ; +0 = -0
    fnstsw ax
    mov [edi+20], eax
    fld qword [0x2040]          ; -1/3
    ftst
    fnstsw ax
    mov [edi+24], eax
    fldz
    ftst
    fnstsw ax
    mov [edi+28], eax
    fucompp
    fnstsw ax
    mov [edi+32], eax
    fld qword [0x2038]          ; QNaN
    fld qword [0x2000]
    fucom st1                   ; unordered, no IE: the interpreter's
    fnstsw ax
    mov [edi+36], eax
    fcom st1                    ; unordered, IE
    fnstsw ax
    mov [edi+40], eax
    fnclex
    fcomi st0, st1
    pushfd
    pop dword [edi+44]
    fucomip st0, st1
    pushfd
    pop dword [edi+48]
    fstp st0
    fld qword [0x2010]          ; 3.0
    fld qword [0x2000]          ; 1.5
    fcomi st0, st1              ; less: CF
    pushfd
    pop dword [edi+52]
    fucomi st0, st1
    pushfd
    pop dword [edi+56]
    fxch st1
    fcomip st0, st1             ; greater
    pushfd
    pop dword [edi+60]
    fld st0
    fucomip st0, st1            ; equal: ZF
    pushfd
    pop dword [edi+64]
    fnstsw ax
    mov [edi+68], eax
    fld qword [0x2028]          ; denormal: DE on the load
    fnclex
    fcom st1                    ; DE: the interpreter's
    fnstsw ax
    mov [edi+72], eax
    fnclex
    fcompp
    fcomp st3                   ; empty: underflow
    fnstsw ax
    mov [edi+76], eax
    fninit
    ; compare, then branch on it as compiled code does
    fld qword [0x2000]
    fcomp qword [0x2008]
    fnstsw ax
    sahf
    ja .above
    mov dword [edi+80], 1
.above:
    dec ecx
    jnz L2
    hlt
L2: jmp L
