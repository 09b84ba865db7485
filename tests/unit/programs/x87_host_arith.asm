; SPDX-License-Identifier: MIT
; tests/unit/jit_lowering_test.cpp holds these bytes: nasm -f bin arith.asm, then 16 per row.
bits 32
org 0x1002
    mov ecx, 3
L:  mov edi, 0x2400             ; results
    ; -- m64 arithmetic, default control word (037F) --
    fld qword [0x2000]          ; 1.5
    fadd qword [0x2008]         ; + 0.1 (inexact)
    fmul qword [0x2010]         ; * 3.0
    fsub qword [0x2008]
    fsubr qword [0x2018]        ; 1e300 - st
    fdiv qword [0x2010]
    fdivr qword [0x2000]
    fadd dword [0x2060]         ; m32 0.1f
    fst qword [edi]             ; rounded store
    fnstsw ax
    mov [edi+8], eax
    fmul qword [0x2018]         ; * 1e300: fine in 80 bits
    fmul qword [0x2018]
    fst qword [edi+16]          ; overflows a double (OE, masked): the interpreter's
    fnstsw ax
    mov [edi+24], eax
    fstp st0
    fld qword [0x2020]          ; 1e-300
    fmul qword [0x2020]
    fst qword [edi+32]          ; underflows a double (UE): the interpreter's
    fstp st0
    fld qword [0x2000]
    fadd qword [0x2028]         ; + denormal: DE, the interpreter's
    fdiv qword [0x2030]         ; / 0: ZE
    fadd qword [0x2038]         ; + QNaN: a NaN result
    fstp qword [edi+40]
    fnstsw ax
    mov [edi+48], eax
    fnclex
    ; -- register forms --
    fld qword [0x2000]          ; 1.5
    fld qword [0x2008]          ; 0.1
    fld qword [0x2010]          ; 3.0
    fadd st0, st1
    fmul st2, st0
    fsub st0, st2
    fsubr st0, st1
    fdiv st1, st0
    fdivr st0, st2
    faddp st1, st0
    fld1
    fsubp st1, st0
    fld qword [0x2010]
    fsubrp st2, st0
    fld qword [0x2010]
    fmulp st1, st0
    fld qword [0x2008]
    fdivp st2, st0
    fld qword [0x2008]
    fdivrp st1, st0
    fstp qword [edi+56]
    fstp qword [edi+64]
    fnstsw ax
    mov [edi+72], eax
    fadd st0, st3               ; empty operands: stack underflow
    fnstsw ax
    mov [edi+76], eax
    fnclex
    fninit
    ; -- rounding and precision control --
    fldcw [0x2070]              ; round down, 53 bits
    fld qword [0x2008]
    fdiv qword [0x2010]
    fst qword [edi+80]
    fstp tword [edi+88]
    fldcw [0x2072]              ; round up, 24 bits
    fld qword [0x2008]
    fdiv qword [0x2010]
    fst qword [edi+100]
    fstp tword [edi+108]
    fldcw [0x2074]              ; toward zero, 64 bits
    fld qword [0x2040]          ; -1/3
    fmul qword [0x2008]
    fst qword [edi+120]
    fnstsw ax
    mov [edi+128], eax
    fstp tword [edi+132]
    fldcw [0x2076]              ; PE unmasked: the interpreter sets ES
    fld qword [0x2008]
    fdiv qword [0x2010]
    fnstsw ax
    mov [edi+144], eax
    fnclex
    fstp st0
    fldcw [0x2078]              ; 037F again
    ; -- integer loads and stores --
    fild word [0x2080]
    fild dword [0x2082]
    fild qword [0x2086]
    fild dword [0x208e]         ; 0
    fistp dword [edi+148]
    fistp qword [edi+152]
    fist dword [edi+160]        ; out of range for 32 bits: IE, the interpreter's
    fistp word [edi+164]        ; out of range for 16 bits
    fld qword [0x2048]          ; 2.5
    fist word [edi+166]         ; rounds to even
    fldcw [0x2070]
    fist dword [edi+168]        ; rounds down
    fldcw [0x2072]
    fistp dword [edi+172]       ; rounds up
    fldcw [0x2078]
    fld qword [0x2038]
    fistp dword [edi+176]       ; NaN: IE
    fnstsw ax
    mov [edi+180], eax
    fnclex
    ; -- FLD ST(i) --
    fld qword [0x2000]
    fld qword [0x2028]          ; denormal (DE on the load: the interpreter's)
    fld st1
    fld st1                     ; the denormal: the interpreter's
    fld st7                     ; empty: underflow
    fnstsw ax
    mov [edi+184], eax
    fninit
    dec ecx
    jnz L2
    hlt
L2: jmp L
