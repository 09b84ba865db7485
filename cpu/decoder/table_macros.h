// SPDX-License-Identifier: MIT
// Short names used inside the rows of cpu/decoder/opcodes*.inc. Included only where the rows are
// expanded into values (insn_table.cpp); not a public header.
#pragma once

#define M1 OpMap::One
#define M0F OpMap::Two0F
#define M38 OpMap::Three38
#define M3A OpMap::Three3A

#define PANY MandPfx::Any
#define PNP MandPfx::None
#define P66 MandPfx::P66
#define PF3 MandPfx::PF3
#define PF2 MandPfx::PF2

#define EXT_NONE kExtNone
#define R(n) ext_reg(n)
#define RM(n) ext_reg_mem(n)
#define RR(n) ext_reg_reg(n)
#define RRM(n, m) ext_reg_rm(n, m)
#define MEMONLY kExtMem
#define REGONLY kExtReg
#define CC kExtCond

#define O(m, s) OpSpec{OpMethod::m, OpSize::s}
#define O0 OpSpec{}

#define L kLockable
#define B kEndsBlock
#define P0 kPriv0
#define N64 kNo64
#define O64 kOnly64
#define D64 kDefault64
#define F64 kForce64
#define REP kRepOk
#define IO kIoPriv
#define RF kReadsFlags
#define WF kWritesFlags
#define SER kSerializing
#define FPU kFpu
#define MMX kMmx
#define SSE kSse

#define UCF kCF
#define UPF kPF
#define UAF kAF
#define UZF kZF
#define USF kSF
#define UOF kOF
#define UALL kArithFlags
