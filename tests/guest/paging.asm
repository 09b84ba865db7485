; SPDX-License-Identifier: MIT
;
; paging.asm - guest test: 32-bit paging with 4 KiB pages and 4 MiB (PSE) pages.
;
; Address space (identity unless noted):
;   0x00000000-0x003FFFFF  page table PT0, 4 KiB pages, supervisor; the ring-3 stack page
;                          and the two variable pages are user. Special pages inside it:
;     TEST_NP  0x300000    not present
;     TEST_RO  0x301000    present, read-only
;     TEST_SUP 0x302000    present, read/write, supervisor (ring 3 must not touch it)
;     TEST_AD  0x303000    accessed/dirty bits start clear
;     TEST_REMAP 0x304000  remapped to FRAME_A, then FRAME_B (INVLPG)
;   0x00400000-0x007FFFFF  one 4 MiB page (PDE.PS), identity
;   0x00800000-0x00BFFFFF  one 4 MiB page mapping physical 0x00400000 (an alias)
;   0xFFC00000-0xFFFFFFFF  one 4 MiB user read-only page: the ROM, so ring 3 can run it
;
; Page faults are provoked on purpose and caught by common.inc's EXPECT_FAULT mechanism,
; which records CR2 and the error code (bit 0 P, bit 1 W, bit 2 U).

%include "common.inc"

PD              equ 0x80000
PT0             equ 0x81000
TEST_NP         equ 0x300000
TEST_RO         equ 0x301000
TEST_SUP        equ 0x302000
TEST_AD         equ 0x303000
TEST_REMAP      equ 0x304000
FRAME_A         equ 0x310000
FRAME_B         equ 0x311000
BIG_ALIAS       equ 0x800000            ; virtual alias of physical 0x400000

PTE_P           equ 1
PTE_RW          equ 2
PTE_US          equ 4
PTE_A           equ 0x20
PTE_D           equ 0x40
PDE_PS          equ 0x80

%define PTE_OF(va) (PT0 + ((va) >> 12) * 4)

[absolute TEST_VARS]
ring3_read_err: resd 1
ring3_read_cr2: resd 1
ring3_read_vec: resd 1
__SECT__

test_main:
        PRINT "paging: 4 KiB and 4 MiB pages, #PF error codes, A/D bits, INVLPG", 10

        ; --- Build the tables.
        xor eax, eax
        mov edi, PD
        mov ecx, 1024
        rep stosd
        mov edi, PT0                    ; PT0: identity, supervisor read/write
        mov eax, PTE_P | PTE_RW
        mov ecx, 1024
.pt0:   stosd
        add eax, 0x1000
        dec ecx
        jnz .pt0
        ; Both levels must allow user access for a user page, so the PDE says U and the
        ; individual PTEs decide.
        mov dword [PD + 0 * 4], PT0 | PTE_P | PTE_RW | PTE_US
        mov dword [PD + 1 * 4], 0x400000 | PDE_PS | PTE_P | PTE_RW
        mov dword [PD + 2 * 4], 0x400000 | PDE_PS | PTE_P | PTE_RW
        mov dword [PD + 1023 * 4], 0xFFC00000 | PDE_PS | PTE_P | PTE_US
        or dword [PTE_OF(STACK3_TOP - 0x1000)], PTE_US      ; ring-3 stack
        or dword [PTE_OF(COMMON_VARS)], PTE_US  ; fault_resume/last_* for ring 3
        or dword [PTE_OF(TEST_VARS)], PTE_US    ; ring3_read_*
        mov dword [PTE_OF(TEST_NP)], 0
        mov dword [PTE_OF(TEST_RO)], TEST_RO | PTE_P
        mov dword [PTE_OF(TEST_SUP)], TEST_SUP | PTE_P | PTE_RW
        mov dword [PTE_OF(TEST_AD)], TEST_AD | PTE_P | PTE_RW
        mov dword [PTE_OF(TEST_REMAP)], FRAME_A | PTE_P | PTE_RW
        mov dword [FRAME_A], 0xAAAA0001
        mov dword [FRAME_B], 0xBBBB0002
        mov dword [TEST_RO + 0x10], 0x12345678

        ; --- Turn paging on: CR3, CR4.PSE, then CR0.PG with CR0.WP.
        mov eax, PD
        mov cr3, eax
        mov eax, cr4
        or eax, 1 << 4                  ; PSE
        mov cr4, eax
        mov eax, cr0
        or eax, (1 << 31) | (1 << 16)   ; PG | WP
        mov cr0, eax
        jmp .paged                      ; (identity mapped, so nothing moves)
.paged:
        PRINT "paging: enabled", 10
        mov eax, cr0
        shr eax, 31
        CHECK_EQ eax, 1, "CR0.PG set"

        ; --- 4 MiB pages: write through the alias, read through the identity mapping.
        mov dword [BIG_ALIAS + 0x1234], 0xCAFEF00D
        mov eax, [0x400000 + 0x1234]
        CHECK_EQ eax, 0xCAFEF00D, "4 MiB page alias reaches the same frame"
        mov eax, [PD + 2 * 4]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A | PTE_D, "4 MiB PDE: accessed and dirty set by the write"

        ; --- Not-present read at CPL 0: error code 0.
        EXPECT_FAULT .np_done
        mov eax, [TEST_NP + 0x10]
.np_done:
        CHECK_EQ [last_vector], 14, "not-present read -> #PF"
        CHECK_EQ [last_error], 0, "not-present read: error code 0 (P=0 W=0 U=0)"
        CHECK_EQ [last_cr2], TEST_NP + 0x10, "not-present read: CR2"

        ; --- Not-present write at CPL 0: error code 2.
        EXPECT_FAULT .npw_done
        mov dword [TEST_NP + 0x20], 1
.npw_done:
        CHECK_EQ [last_error], 2, "not-present write: error code 2 (W)"
        CHECK_EQ [last_cr2], TEST_NP + 0x20, "not-present write: CR2"

        ; --- Write to a read-only page from ring 0 with CR0.WP=1: protection fault.
        EXPECT_FAULT .ro_done
        mov dword [TEST_RO + 0x10], 0xDEADBEEF
.ro_done:
        CHECK_EQ [last_vector], 14, "CR0.WP=1: ring-0 write to read-only page -> #PF"
        CHECK_EQ [last_error], 3, "CR0.WP=1: error code 3 (P W)"
        CHECK_EQ [last_cr2], TEST_RO + 0x10, "CR0.WP=1: CR2"
        CHECK_EQ [TEST_RO + 0x10], 0x12345678, "CR0.WP=1: the write did not happen"

        ; --- Same write with CR0.WP=0: supervisor writes ignore R/W.
        mov dword [fault_count], 0
        mov eax, cr0
        and eax, ~(1 << 16)
        mov cr0, eax
        mov dword [TEST_RO + 0x10], 0xDEADBEEF
        CHECK_EQ [fault_count], 0, "CR0.WP=0: ring-0 write to read-only page allowed"
        CHECK_EQ [TEST_RO + 0x10], 0xDEADBEEF, "CR0.WP=0: the write landed"
        mov eax, cr0
        or eax, 1 << 16
        mov cr0, eax

        ; --- Ring 3 reads a supervisor page: error code 5 (P U), then writes it: 7.
        mov dword [fault_count], 0
        mov eax, ring3_probe
        call run_ring3
        CHECK_EQ [fault_count], 2, "ring 3: two faults on the supervisor page"
        CHECK_EQ [ring3_read_err], 5, "ring 3 read of supervisor page: error code 5 (P U)"
        CHECK_EQ [ring3_read_cr2], TEST_SUP + 0x40, "ring 3 read of supervisor page: CR2"
        CHECK_EQ [ring3_read_vec], 14, "ring 3 read of supervisor page: #PF"
        CHECK_EQ [last_error], 7, "ring 3 write to supervisor page: error code 7 (P W U)"
        CHECK_EQ [last_cr2], TEST_SUP + 0x44, "ring 3 write to supervisor page: CR2"
        CHECK_EQ [last_cs], SEL_CODE3, "the faults came from ring 3"

        ; --- Accessed and dirty bits in a 4 KiB PTE.
        mov eax, [PTE_OF(TEST_AD)]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, 0, "PTE A/D clear before any access"
        mov eax, [TEST_AD + 8]
        mov eax, [PTE_OF(TEST_AD)]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A, "read sets A only"
        mov dword [TEST_AD + 8], 5
        mov eax, [PTE_OF(TEST_AD)]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A | PTE_D, "write sets D"
        mov eax, [PTE_OF(TEST_REMAP)]   ; untouched pages stay clean
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, 0, "PTE of an untouched page: A/D clear"

        ; --- INVLPG: read (fills the TLB), remap, invalidate, read again.
        mov eax, [TEST_REMAP]
        CHECK_EQ eax, 0xAAAA0001, "remap page reads frame A"
        mov dword [PTE_OF(TEST_REMAP)], FRAME_B | PTE_P | PTE_RW
        invlpg [TEST_REMAP]
        mov eax, [TEST_REMAP]
        CHECK_EQ eax, 0xBBBB0002, "after PTE change + INVLPG: frame B"
        ; And a page made not-present must fault once invalidated.
        mov dword [PTE_OF(TEST_REMAP)], 0
        invlpg [TEST_REMAP]
        EXPECT_FAULT .inv_done
        mov eax, [TEST_REMAP + 4]
.inv_done:
        CHECK_EQ [last_cr2], TEST_REMAP + 4, "after unmapping + INVLPG: #PF"

        ; --- Back to flat physical addressing before finishing.
        mov eax, cr0
        and eax, ~(1 << 31)
        mov cr0, eax
        ret

; Ring 3: code in the user 4 MiB ROM page, stack in the user stack page, and the
; variable pages made user so that EXPECT_FAULT works here too.
ring3_probe:
        EXPECT_FAULT .read_done
        mov eax, [TEST_SUP + 0x40]
.read_done:
        mov eax, [last_error]           ; keep the first record; the second overwrites it
        mov [ring3_read_err], eax
        mov eax, [last_cr2]
        mov [ring3_read_cr2], eax
        mov eax, [last_vector]
        mov [ring3_read_vec], eax
        EXPECT_FAULT .write_done
        mov dword [TEST_SUP + 0x44], 1
.write_done:
        int RING3_DONE_VECTOR

        ROM_END
