/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crc32c.c: CRC32c (Castagnoli) for xfbtree block checksums.
 *
 * All CRCs here are "running" values in the reflected (LSB-first) form:
 * bit 31 of a 32-bit value is the coefficient of x^0 and bit 0 that of
 * x^31, and the polynomial P minus its x^32 term is 0x82F63B78.  Feeding
 * a byte folds it into the low end of the register and multiplies by x^8
 * modulo P; no inversion happens in here, callers seed with ~0 and invert
 * the end result themselves (xbt_crc32c_block() does both).
 *
 * Five implementations, all built on x86-64 (see enum xbt_crc32c_which):
 *
 * Table: slicing-by-8.  Table 0 maps a byte b to the CRC of b alone (from
 * a zero register); table k maps b to the CRC of b followed by k zero
 * bytes.  XORing the register into the next 8 input bytes and looking each
 * of the 8 resulting bytes up in the table that accounts for the bytes
 * still to come after it does 8 bytes with 8 independent lookups.  The
 * 8 KiB of tables, and the constants of the other implementations, are
 * computed on first use (pthread_once).
 *
 * SSE4.2: the crc32 instruction does 8 bytes per issue, but its result is
 * only ready about 3 cycles later while a new one can start every cycle.
 * A single chain of crc32 instructions therefore runs at a third of what
 * the unit can do.  Long buffers are cut into three equal streams A, B, C
 * of whole 8-byte words (plus a short tail) and the three CRCs are
 * computed side by side, A from the caller's register, B and C from zero;
 * the three chains are independent, so the unit is kept busy.
 *
 * Joining them relies on the CRC being linear over GF(2).  Running a
 * register r over |B| more bytes of data B gives
 *
 *	crc(r, B) = r * x^(8|B|) mod P  XOR  crc(0, B)
 *
 * so with |B| = |C| = s,
 *
 *	crc(r, ABC) = crc(r, A) * x^(16s) ^ crc(0, B) * x^(8s) ^ crc(0, C)
 *
 * (all products mod P).  The multiplier x^(8s) mod P depends only on s;
 * it is built as a product of precomputed x^(2^j) mod P over the set bits
 * of 8s and remembered in a small lock-free cache, so the lengths seen in
 * practice cost one load.  x^(16s) is its square.  Streams are capped at
 * 64 KiB, longer buffers take several such passes.
 *
 * A multiply mod P is done with PCLMULQDQ when the CPU has it: the
 * carry-less product of two reflected 32-bit values is a 63-bit value
 * that, fed to crc32 as one 64-bit word from a zero register, comes out
 * reduced mod P but multiplied by an extra x^33.  The constants are
 * therefore kept pre-divided by x^33 ("x^(e-33)" below), which cancels
 * it.  Without PCLMULQDQ (the first SSE4.2 CPUs) the same arithmetic is
 * done bit by bit; that is slow enough (hundreds of cycles per pass) that
 * the 3-stream path only starts at 3 KiB there instead of 256 bytes.
 *
 * Folding (PCLMUL with 128-bit lanes, VPCLMUL with 512-bit registers):
 * the crc32 unit tops out at 8 bytes a cycle, the carry-less multipliers
 * can go well beyond that.  Think of the message as a polynomial M, the
 * first byte's lowest bit the highest coefficient; the CRC from a zero
 * register is M * x^32 mod P, and only that remainder matters.  Cut M
 * into 16-byte lanes; a lane V followed by t more bits adds V * x^t.
 * Since only the remainder matters, V can be swapped for anything that
 * is congruent to it mod P, and V * x^D for anything congruent to that
 * D bits further on: "folding V forward by D" is adding into the lane
 * that ends D bits later a value congruent to V * x^D, then forgetting V.
 * With V = V1 * x^64 + V0 (V1 the first eight bytes),
 *
 *	V * x^D  ==  V1 * (x^(D+64) mod P)  +  V0 * (x^D mod P)   (mod P)
 *
 * and each product, 64 by 32 bits, fits in 96 bits: two PCLMULQDQ and an
 * XOR, nothing reduced.  Everything is XOR-linear, so a long buffer can
 * be run as several interleaved accumulators (8 lanes of 16 bytes, or 4
 * registers of 64 bytes) that each jump over the others every step,
 * which keeps the multiplier latency out of the critical path.  At the
 * end each accumulator lane is folded by its own distance to the end of
 * the data and the results XORed into one 128-bit value; the lane that
 * already is at the end is "folded" by D = 0 (multipliers x^64 and x^0,
 * constants x^63 and x^-1 as explained below), which turns it into
 * something congruent to itself, so that every lane takes the same two
 * multiplies.  Feeding the 128
 * bits to two crc32 instructions from a zero register gives the value
 * times x^32 mod P, which is the CRC of what came before; any last bytes
 * that do not fill a lane go through crc32 from there.  The caller's
 * register enters by XORing it into the first four bytes: a register r
 * in front of n bytes is exactly the same as r in the data.
 *
 * Two details of the reflected order.  A reflected 32-bit constant put
 * in the upper half of a 64-bit operand (shifted left by 32) is the same
 * polynomial read as 64 bits.  And PCLMULQDQ of two reflected 64-bit
 * operands yields their product times x: the product has degree at most
 * 126, and bit k of the result holds its x^(126-k) coefficient while a
 * reflected 128-bit lane reads bit k as x^(127-k).  The folding
 * constants absorb that: for a distance of D bits they are x^(D+63) mod
 * P (for the first eight bytes of a lane, the low qword) and x^(D-1) mod
 * P (for the other eight).  They are computed once at start-up, for D a
 * multiple of 128 bits up to the longest jump, by square-and-multiply on
 * x mod P; x^-1 mod P exists because P has a constant term: x times
 * (P - 1) / x is P - 1, which is 1 mod P.
 *
 * Long buffers also keep the crc32 unit busy beside the multiplier (which
 * on AMD Zen 4 takes a PCLMULQDQ only every other cycle, whatever the
 * width, so that 512-bit folding tops out at 16 bytes a cycle and 128-bit
 * folding at 4): a couple of crc32 streams run over the front part of
 * the buffer while the folding loop does the rest, and join the folded
 * value at the end through one more carry-less multiply each (see
 * crc32c_hyb_start()).
 *
 * The dispatcher uses the crc32-instruction code for buffers shorter
 * than the measured crossover and folding above it (512-bit if the CPU
 * has AVX-512 and VPCLMULQDQ, else 128-bit if it has PCLMULQDQ).
 *
 * xbt_crc32c_zeros(r, n) is r * x^(8n) mod P, one multiply by a constant
 * that depends only on n.  Three 256-entry tables hold x^(8 i 256^k - 33)
 * mod P for the three low bytes of n (the higher bits, if any, use the
 * x^(2^j) table), so n below 64 KiB costs two multiplies.  The block
 * checksum uses it for the four bytes of the CRC field, counted as zeros
 * without being read, between the header before it and the long rest of
 * the block after it, which the folding code takes in one run.
 *
 * On other architectures everything is the table code.
 */
#include <pthread.h>
#include <string.h>

#include "btree/crc32c.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define CRC32C_POLY	0x82F63B78U	/* reflected, x^32 implied */

/* x^k mod P in the reflected form has only bit 31 - k set, for k < 32. */
#define CRC32C_XPOW(k)	(0x80000000U >> (k))

/*
 * x^-1 mod P is (P - 1) / x: P without its x^0 term (bit 31 here), every
 * exponent lowered by one (a left shift), and x^32 becoming x^31 (bit 0).
 */
#define CRC32C_XINV	((uint32_t)(CRC32C_POLY << 1) | 1U)

/* ---- GF(2) arithmetic mod P, bit by bit --------------------------------- */

/* a * b mod P. */
static uint32_t
crc32c_gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t	r = 0;
	int		i;

	/* Bit 31 of a is its x^0 coefficient; b steps through b * x^i. */
	for (i = 0; i < 32; i++) {
		r ^= b & -(a >> 31);
		a <<= 1;
		b = (b >> 1) ^ (CRC32C_POLY & -(b & 1));
	}
	return r;
}

/*
 * a * b * x^33 mod P: the same product the PCLMULQDQ + crc32 pair gives,
 * so that both routes share constants.
 */
static uint32_t
crc32c_gf2_mulx(uint32_t a, uint32_t b)
{
	/*
	 * x^32 mod P is the polynomial itself; its x^31 bit (bit 0) is
	 * clear, so one more x is a plain shift.
	 */
	static const uint32_t	x33 = CRC32C_POLY >> 1;

	return crc32c_gf2_mul(crc32c_gf2_mul(a, b), x33);
}

/* x^e mod P for any e, negative ones through x^-1. */
static uint32_t
crc32c_gf2_xpow(int64_t e)
{
	uint32_t	r = CRC32C_XPOW(0);
	uint32_t	b = e < 0 ? CRC32C_XINV : CRC32C_XPOW(1);
	uint64_t	u = e < 0 ? -(uint64_t)e : (uint64_t)e;

	for (; u; u >>= 1) {
		if (u & 1)
			r = crc32c_gf2_mul(r, b);
		b = crc32c_gf2_mul(b, b);
	}
	return r;
}

/* ---- one-time setup ---------------------------------------------------- */

/* Slicing-by-8 tables, see the top of the file. */
static uint32_t crc32c_tab[8][256];

/*
 * crc32c_xpow[j] = x^(2^j) mod P for j >= 6, kept pre-divided by x^33,
 * i.e. as x^(2^j - 33).  In that form mulx() is an ordinary multiply:
 * mulx(a / x^33, b / x^33) = (a * b) / x^33, so multiplying entries
 * together with mulx() gives the pre-divided shift multipliers directly.
 * Stream lengths are whole words, so shifts are multiples of 64 bits and
 * j < 6 is never needed; streams of at most 64 KiB need j < 20, and
 * xbt_crc32c_zeros() goes up to 2^64 bytes, so j < 67.
 */
#define CRC32C_XPOW_MIN	6
#define CRC32C_XPOW_MAX	67
static uint32_t crc32c_xpow[CRC32C_XPOW_MAX];

/*
 * crc32c_ztab[k][i] = x^(8 * i * 256^k - 33) mod P: the pre-divided
 * multiplier for i * 256^k zero bytes, for the three low bytes of a
 * count of zero bytes.
 */
#define CRC32C_ZTAB_BYTES	3
static uint32_t crc32c_ztab[CRC32C_ZTAB_BYTES][256];

/*
 * Folding constants, see the top of the file: the entry for a distance
 * of d lanes (d * 128 bits) holds x^(128d + 63) mod P and x^(128d - 1)
 * mod P, each shifted into the upper half of a 64-bit word, the first
 * for the low (earlier) qword of a lane and the second for the high one.
 * They are stored by decreasing d, so that four consecutive entries,
 * loaded as one 512-bit value, fold the four lanes of a register whose
 * last lane is at some distance to the end.  d runs up to 18: the loop
 * of four 512-bit registers jumps 16 lanes, and at the end the first lane
 * of a register can have 3 more registers and 3 lanes after it.  The
 * entries after d = 0 are zero: they only meet the zero lanes of a
 * partly loaded register.
 */
#define CRC32C_FOLD_DMAX	18
#define CRC32C_FOLD_NK		(CRC32C_FOLD_DMAX + 4)
static uint64_t crc32c_foldk[CRC32C_FOLD_NK][2] __attribute__((aligned(64)));
#define CRC32C_FOLDK(d)		(crc32c_foldk[CRC32C_FOLD_DMAX - (d)])

/* Bit (1 << which) set for each implementation this CPU can run. */
static unsigned int crc32c_have;

/* Set last by crc32c_setup() to the best one plus 1; read with acquire. */
static int crc32c_best;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void
crc32c_setup(void)
{
	enum xbt_crc32c_which	best = XBT_CRC32C_TABLE;
	unsigned int		have = 1U << XBT_CRC32C_TABLE;
	uint32_t		c, step, klo, khi, *z;
	int			b, i, k, d;

	for (b = 0; b < 256; b++) {
		c = b;
		for (i = 0; i < 8; i++)
			c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
		crc32c_tab[0][b] = c;
	}
	/* One more zero byte after b: run the register through table 0. */
	for (k = 1; k < 8; k++) {
		for (b = 0; b < 256; b++) {
			c = crc32c_tab[k - 1][b];
			crc32c_tab[k][b] = (c >> 8) ^ crc32c_tab[0][c & 0xFF];
		}
	}

	/* x^(64 - 33) = x^31; each next one is the previous squared. */
	crc32c_xpow[CRC32C_XPOW_MIN] = CRC32C_XPOW(31);
	for (k = CRC32C_XPOW_MIN + 1; k < CRC32C_XPOW_MAX; k++)
		crc32c_xpow[k] = crc32c_gf2_mulx(crc32c_xpow[k - 1],
						 crc32c_xpow[k - 1]);

	/*
	 * Entry 0 is x^-33; each next one is the one before times the step,
	 * x^(8 * 256^k).  For k = 0 that is one zero byte, one table step.
	 */
	for (k = 0; k < CRC32C_ZTAB_BYTES; k++) {
		z = crc32c_ztab[k];
		step = crc32c_gf2_xpow(8LL << (8 * k));
		z[0] = crc32c_gf2_xpow(-33);
		for (i = 1; i < 256; i++)
			z[i] = k ? crc32c_gf2_mul(z[i - 1], step) :
				   (z[i - 1] >> 8) ^
				   crc32c_tab[0][z[i - 1] & 0xFF];
	}

	/* x^(128d + 63) and x^(128d - 1), one more lane each time. */
	klo = crc32c_gf2_xpow(63);
	khi = crc32c_gf2_xpow(-1);
	step = crc32c_gf2_xpow(128);
	for (d = 0; d <= CRC32C_FOLD_DMAX; d++) {
		CRC32C_FOLDK(d)[0] = (uint64_t)klo << 32;
		CRC32C_FOLDK(d)[1] = (uint64_t)khi << 32;
		klo = crc32c_gf2_mul(klo, step);
		khi = crc32c_gf2_mul(khi, step);
	}

#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		have |= 1U << XBT_CRC32C_SSE42;
		best = XBT_CRC32C_SSE42;
		if (__builtin_cpu_supports("pclmul")) {
			have |= 1U << XBT_CRC32C_SSE42_CLMUL;
			have |= 1U << XBT_CRC32C_PCLMUL;
			best = XBT_CRC32C_PCLMUL;
			if (__builtin_cpu_supports("avx512f") &&
			    __builtin_cpu_supports("avx512vl") &&
			    __builtin_cpu_supports("vpclmulqdq")) {
				have |= 1U << XBT_CRC32C_VPCLMUL;
				best = XBT_CRC32C_VPCLMUL;
			}
		}
	}
#endif
	crc32c_have = have;
	__atomic_store_n(&crc32c_best, (int)best + 1, __ATOMIC_RELEASE);
}

/* The implementation to use; sets everything up on the first call. */
static inline enum xbt_crc32c_which
crc32c_get_impl(void)
{
	int	best = __atomic_load_n(&crc32c_best, __ATOMIC_ACQUIRE);

	if (__builtin_expect(best == 0, 0)) {
		pthread_once(&crc32c_once, crc32c_setup);
		best = __atomic_load_n(&crc32c_best, __ATOMIC_ACQUIRE);
	}
	return (enum xbt_crc32c_which)(best - 1);
}

/* ---- slicing-by-8 ------------------------------------------------------ */

static inline uint64_t
crc32c_le64(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint32_t
crc32c_sb8(uint32_t crc, const unsigned char *p, size_t len)
{
	uint32_t	(*t)[256] = crc32c_tab;
	uint32_t	lo, hi;
	uint64_t	v;

	while (len && ((uintptr_t)p & 7)) {
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
		len--;
	}
	while (len >= 8) {
		v = crc32c_le64(p);
		lo = (uint32_t)v ^ crc;
		hi = (uint32_t)(v >> 32);
		crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^
		      t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
		      t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
		      t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
	return crc;
}

uint32_t
xbt_crc32c_table(uint32_t crc, const void *buf, size_t len)
{
	crc32c_get_impl();
	return crc32c_sb8(crc, buf, len);
}

/* ---- SSE4.2 ------------------------------------------------------------ */

#if defined(__x86_64__)

/*
 * Below this many bytes a single chain beats three plus the join.  The
 * join without PCLMULQDQ costs some 200 ns, hence the second figure.
 */
#define CRC32C_3WAY_MIN		256
#define CRC32C_3WAY_MIN_SOFT	3072
/* At most this many words per stream and pass; bounds the shift sizes. */
#define CRC32C_3WAY_MAXW	8192

/*
 * Shift multipliers by stream length in bytes: each entry holds the
 * length in its high half and x^(8 * length - 33) mod P in its low half,
 * read and written whole, so racing threads at worst compute an entry
 * twice.  An entry of 0 is empty (a length is never 0).
 */
#define CRC32C_KCACHE_BITS	6
static uint64_t crc32c_kcache[1U << CRC32C_KCACHE_BITS];

/* a * b * x^33 mod P with one carry-less multiply and one crc32. */
static inline __attribute__((target("sse4.2,pclmul"))) uint32_t
crc32c_clmul_mulx(uint32_t a, uint32_t b)
{
	__m128i		va = _mm_cvtsi32_si128((int)a);
	__m128i		vb = _mm_cvtsi32_si128((int)b);
	uint64_t	prod;

	prod = (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(va, vb, 0));
	return (uint32_t)_mm_crc32_u64(0, prod);
}

static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_mulx(uint32_t a, uint32_t b, bool clmul)
{
	if (clmul)
		return crc32c_clmul_mulx(a, b);
	return crc32c_gf2_mulx(a, b);
}

/* x^(8 * len - 33) mod P, @len a nonzero multiple of 8 below 2^32. */
static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_shift_const(size_t len, bool clmul)
{
	uint64_t	bits = (uint64_t)len << 3;
	uint64_t	*slot;
	uint64_t	ent;
	uint32_t	k;
	int		j;

	slot = &crc32c_kcache[((uint32_t)len * 0x9E3779B1U) >>
			      (32 - CRC32C_KCACHE_BITS)];
	ent = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (__builtin_expect((ent >> 32) == len, 1))
		return (uint32_t)ent;

	/* Multiply together x^(2^j) for the set bits j of 8 * len. */
	j = __builtin_ctzll(bits);
	k = crc32c_xpow[j];
	bits &= bits - 1;
	while (bits) {
		j = __builtin_ctzll(bits);
		k = crc32c_mulx(k, crc32c_xpow[j], clmul);
		bits &= bits - 1;
	}
	__atomic_store_n(slot, ((uint64_t)len << 32) | k, __ATOMIC_RELAXED);
	return k;
}

/* The last @len < 16 bytes, with the crc32 instruction. */
static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_sse42_tail(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t	v;
	uint32_t	v32;
	uint16_t	v16;

	if (len & 8) {
		memcpy(&v, p, 8);
		crc = (uint32_t)_mm_crc32_u64(crc, v);
		p += 8;
	}
	if (len & 4) {
		memcpy(&v32, p, 4);
		crc = _mm_crc32_u32(crc, v32);
		p += 4;
	}
	if (len & 2) {
		memcpy(&v16, p, 2);
		crc = _mm_crc32_u16(crc, v16);
		p += 2;
	}
	if (len & 1)
		crc = _mm_crc32_u8(crc, *p);
	return crc;
}

/*
 * The SSE4.2 CRC.  Always inlined into the two entry points below, one
 * allowed to use PCLMULQDQ and one not, with @clmul a constant.
 */
static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_sse42_body(uint32_t crc, const unsigned char *p, size_t len,
		  bool clmul)
{
	size_t		min3, s, i;
	uint64_t	a, b, c, v;
	uint16_t	v16;
	uint32_t	v32, k1, k2;

	min3 = clmul ? CRC32C_3WAY_MIN : CRC32C_3WAY_MIN_SOFT;

	/* Get to an 8-byte boundary so that the word loads are aligned. */
	if (len >= 8) {
		if ((uintptr_t)p & 1) {
			crc = _mm_crc32_u8(crc, *p);
			p++;
			len--;
		}
		if ((uintptr_t)p & 2) {
			memcpy(&v16, p, 2);
			crc = _mm_crc32_u16(crc, v16);
			p += 2;
			len -= 2;
		}
		if ((uintptr_t)p & 4) {
			memcpy(&v32, p, 4);
			crc = _mm_crc32_u32(crc, v32);
			p += 4;
			len -= 4;
		}
	}

	while (len >= min3) {
		s = len / 24;
		if (s > CRC32C_3WAY_MAXW)
			s = CRC32C_3WAY_MAXW;
		s *= 8;

		a = crc;
		b = 0;
		c = 0;
		for (i = 0; i < s; i += 8) {
			memcpy(&v, p + i, 8);
			a = _mm_crc32_u64(a, v);
			memcpy(&v, p + s + i, 8);
			b = _mm_crc32_u64(b, v);
			memcpy(&v, p + 2 * s + i, 8);
			c = _mm_crc32_u64(c, v);
		}

		/* crc(A) * x^(16s) ^ crc(B) * x^(8s) ^ crc(C) */
		k1 = crc32c_shift_const(s, clmul);
		k2 = crc32c_mulx(k1, k1, clmul);
		crc = crc32c_mulx((uint32_t)a, k2, clmul) ^
		      crc32c_mulx((uint32_t)b, k1, clmul) ^ (uint32_t)c;

		p += 3 * s;
		len -= 3 * s;
	}

	a = crc;
	while (len >= 8) {
		memcpy(&v, p, 8);
		a = _mm_crc32_u64(a, v);
		p += 8;
		len -= 8;
	}
	return crc32c_sse42_tail((uint32_t)a, p, len);
}

/*
 * Block checksum: the bytes before the field, four zero bytes, the bytes
 * after.  The field is clipped to the buffer.
 */
static __attribute__((target("sse4.2,pclmul"))) uint32_t
crc32c_sse42_clmul(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sse42_body(crc, buf, len, true);
}

static __attribute__((target("sse4.2"))) uint32_t
crc32c_sse42_plain(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sse42_body(crc, buf, len, false);
}

#endif /* __x86_64__ */

/* ---- zero bytes -------------------------------------------------------- */

/*
 * The pre-divided multiplier for @n zero bytes, x^(8n - 33) mod P, with
 * @mulx the multiply to use (constant, so that this inlines away).
 */
static inline __attribute__((always_inline)) uint32_t
crc32c_zconst(uint64_t n, uint32_t (*mulx)(uint32_t, uint32_t))
{
	uint32_t	k = crc32c_ztab[0][n & 0xFF];
	int		j;

	if (n >> 8) {
		k = mulx(k, crc32c_ztab[1][(n >> 8) & 0xFF]);
		if (n >> 16) {
			k = mulx(k, crc32c_ztab[2][(n >> 16) & 0xFF]);
			/* Bit b of n is 2^(b + 3) zero bits: xpow[b + 3]. */
			for (n >>= 24, j = 24 + 3; n; n >>= 1, j++)
				if (n & 1)
					k = mulx(k, crc32c_xpow[j]);
		}
	}
	return k;
}

/* Without PCLMULQDQ: a few hundred cycles a multiply. */
static uint32_t
crc32c_zeros_soft(uint32_t crc, uint64_t n)
{
	return crc32c_gf2_mulx(crc, crc32c_zconst(n, crc32c_gf2_mulx));
}

/* ---- folding ----------------------------------------------------------- */

#if defined(__x86_64__)

/*
 * Below these lengths the dispatcher leaves a buffer to the 3-stream
 * crc32 code.  The 512-bit figure is measured on AMD Zen 4; there the
 * 128-bit code (with its crc32 streams) only about ties with the 3-stream
 * code from 2 KiB up, so its figure is a guess for CPUs that only have
 * PCLMULQDQ, most of which issue it twice as fast.
 */
#define CRC32C_FOLD128_MIN	1024
#define CRC32C_FOLD512_MIN	256

static inline __attribute__((always_inline, target("sse4.2,pclmul"))) uint32_t
crc32c_zeros_clmul_inl(uint32_t crc, uint64_t n)
{
	return crc32c_clmul_mulx(crc, crc32c_zconst(n, crc32c_clmul_mulx));
}

static __attribute__((target("sse4.2,pclmul"))) uint32_t
crc32c_zeros_clmul(uint32_t crc, uint64_t n)
{
	return crc32c_zeros_clmul_inl(crc, n);
}

/*
 * The CRC, from a zero register, of the 16 bytes of @x: its remainder
 * times x^32, which is what all the folding was heading for.
 */
static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_fold_finish(__m128i x)
{
	uint64_t	lo = (uint64_t)_mm_cvtsi128_si64(x);
	uint64_t	hi = (uint64_t)_mm_extract_epi64(x, 1);

	return (uint32_t)_mm_crc32_u64(_mm_crc32_u64(0, lo), hi);
}

/* @a folded by the distance whose constants are at @k. */
static inline __attribute__((always_inline, target("sse4.2,pclmul"))) __m128i
crc32c_fold16(__m128i a, const uint64_t *k)
{
	__m128i	kk = _mm_load_si128((const __m128i *)k);

	return _mm_xor_si128(_mm_clmulepi64_si128(a, kk, 0x00),
			     _mm_clmulepi64_si128(a, kk, 0x11));
}

/* @a folded by the constants in @k, then the 16 bytes at @p added. */
static inline __attribute__((always_inline, target("sse4.2,pclmul"))) __m128i
crc32c_fold16_add(__m128i a, __m128i k, const unsigned char *p)
{
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00),
					   _mm_clmulepi64_si128(a, k, 0x11)),
			     _mm_loadu_si128((const __m128i *)p));
}

/*
 * Folding alone leaves the crc32 unit idle, and on some CPUs (AMD Zen 4:
 * one PCLMULQDQ every two cycles, whatever the width) the multiplier is
 * the limit.  So long buffers are laid out as
 *
 *	[head][stream 0][stream 1]...[folded part]
 *
 * The folded part is a whole number m of folding steps, so that there is
 * no ragged end to fold separately.  The streams, of equal whole words,
 * take the rest but for a head of fewer bytes than a word per stream,
 * which goes through crc32 first, from the caller's register; stream 0
 * continues from there, the others start from zero.  Each of the m - 1
 * steps of the folding loop also feeds @w words to each stream; the few
 * words per stream that this does not cover run before the loop (the
 * streams have time to spare while the multiplier is busy, not at the
 * end, where their results are awaited).
 *
 * A stream ending t bytes before the end of the data contributes its
 * register c times x^(8t) mod P to the result.  That is added to the
 * folded 128 bits before the final reduction as c times x^(8t - 33):
 * the final crc32 multiplies by x^32 and PCLMULQDQ by one more x, so
 * the multiplier is the same pre-divided constant as for the 3-stream
 * joins, and the product needs no reduction of its own.
 */
struct crc32c_hyb {
	const unsigned char	*r;	/* stream 0; the others follow */
	size_t			s;	/* bytes per stream */
	size_t			rest;	/* words per stream before the loop */
	uint64_t		c[3];	/* the streams' registers */
	uint32_t		k[3];	/* and their multipliers */
};

/*
 * Set up @h for @*len bytes at @*p: folding steps of @step bytes, @ns
 * streams of @w words per step; leaves @*p and @*len on the folded part
 * and returns the number of steps after the first one.
 */
static inline __attribute__((always_inline, target("sse4.2,pclmul"))) size_t
crc32c_hyb_start(struct crc32c_hyb *h, uint32_t crc, const unsigned char **p,
		 size_t *len, size_t step, size_t ns, size_t w)
{
	/* The most steps m with step * m + 8 ns w (m - 1) <= len. */
	size_t		m = (*len + 8 * ns * w) / (step + 8 * ns * w);
	size_t		f = step * m;
	size_t		head = (*len - f) % (8 * ns);
	size_t		s = (*len - f - head) / ns;
	uint64_t	v;
	size_t		i;

	/* The multipliers only depend on lengths: out of the way early. */
	for (i = 0; i < ns; i++)
		h->k[i] = crc32c_zconst(f + (ns - 1 - i) * s,
					crc32c_clmul_mulx);
	while (head >= 8) {
		memcpy(&v, *p, 8);
		crc = (uint32_t)_mm_crc32_u64(crc, v);
		*p += 8;
		head -= 8;
	}
	h->c[0] = crc32c_sse42_tail(crc, *p, head);
	for (i = 1; i < ns; i++)
		h->c[i] = 0;
	h->r = *p + head;
	h->s = s;
	h->rest = s / 8 - w * (m - 1);
	*p = h->r + ns * s;
	*len = f;
	return m - 1;
}

/* @w more words of each of the @ns streams. */
static inline __attribute__((always_inline, target("sse4.2"))) void
crc32c_hyb_step(struct crc32c_hyb *h, size_t ns, size_t w)
{
	uint64_t	v;
	size_t		i, j;

#pragma GCC unroll 8
	for (j = 0; j < w; j++) {
#pragma GCC unroll 3
		for (i = 0; i < ns; i++) {
			memcpy(&v, h->r + i * h->s + 8 * j, 8);
			h->c[i] = _mm_crc32_u64(h->c[i], v);
		}
	}
	h->r += 8 * w;
}

/* The streams' first words, those the loop does not cover. */
static inline __attribute__((always_inline, target("sse4.2"))) void
crc32c_hyb_rest(struct crc32c_hyb *h, size_t ns)
{
	size_t	j;

	for (j = 0; j < h->rest; j++)
		crc32c_hyb_step(h, ns, 1);
}

/* The @ns streams as 128 bits to XOR into the folded remainder. */
static inline __attribute__((always_inline, target("sse4.2,pclmul"))) __m128i
crc32c_hyb_end(const struct crc32c_hyb *h, size_t ns)
{
	__m128i	c, k, r;

	c = _mm_cvtsi64_si128((long long)(h->c[0] << 32));
	k = _mm_cvtsi64_si128((long long)((uint64_t)h->k[0] << 32));
	if (ns > 1) {
		c = _mm_insert_epi64(c, (long long)(h->c[1] << 32), 1);
		k = _mm_insert_epi64(k, (long long)((uint64_t)h->k[1] << 32),
				     1);
	}
	r = _mm_clmulepi64_si128(c, k, 0x00);
	if (ns > 1)
		r = _mm_xor_si128(r, _mm_clmulepi64_si128(c, k, 0x11));
	if (ns > 2) {
		c = _mm_cvtsi64_si128((long long)(h->c[2] << 32));
		k = _mm_cvtsi64_si128((long long)((uint64_t)h->k[2] << 32));
		r = _mm_xor_si128(r, _mm_clmulepi64_si128(c, k, 0x00));
	}
	return r;
}

/*
 * Streams, stream words per folding step, and the length from which
 * streams are worth setting up.  Measured on Zen 4, where a step of 8 x
 * 128-bit lanes is 16 PCLMULQDQ (32 cycles) and a step of 4 x 512 bits
 * is 8 (16 cycles).  More crc32 than this starts to slow the multiplies
 * down; a CPU with twice the PCLMULQDQ rate (1 a cycle) would be
 * balanced with 8 x 128-bit lanes and 2 x 8 words.  The minimum lengths
 * must be at least one folding step.
 */
#define CRC32C_HYB128_NS	2
#define CRC32C_HYB128_W		8
#define CRC32C_HYB128_MIN	1024
#define CRC32C_HYB512_NS	2
#define CRC32C_HYB512_W		5
#define CRC32C_HYB512_MIN	3072

_Static_assert(CRC32C_HYB128_MIN >= 128 && CRC32C_HYB512_MIN >= 256,
	       "a hybrid buffer must hold one folding step");
_Static_assert(CRC32C_HYB128_NS <= 3 && CRC32C_HYB512_NS <= 3,
	       "struct crc32c_hyb has room for 3 streams");

/*
 * The main loop of both widths: while a whole @chunk of bytes is left,
 * @step folds the accumulators @acc over it.  When @hyb, the first @n
 * steps also advance the @ns crc32 streams of @h by @w words each, and
 * @hs receives the streams' value to XOR into the folded remainder.  A
 * macro, not a function, since @acc is an array of the width's vector
 * type; every argument is a plain variable or constant.
 */
#define CRC32C_FOLD_RUN(step, acc, kw, p, len, chunk, hyb, h, n, ns, w, hs) \
	do {								\
		if (hyb) {						\
			crc32c_hyb_rest(&(h), (ns));			\
			for (; (n); (n)--) {				\
				step((acc), (kw), (p));			\
				crc32c_hyb_step(&(h), (ns), (w));	\
				(p) += (chunk);				\
				(len) -= (chunk);			\
			}						\
			(hs) = crc32c_hyb_end(&(h), (ns));		\
		}							\
		while ((len) >= (chunk)) {				\
			step((acc), (kw), (p));				\
			(p) += (chunk);					\
			(len) -= (chunk);				\
		}							\
	} while (0)

/*
 * 128-bit folding: eight accumulators x0..x7 on consecutive 16-byte
 * lanes, each folded forward by 128 bytes per step, with crc32 streams
 * alongside for long buffers.  At least 16 bytes (crc32c_run() gives
 * shorter ones to the SSE4.2 loop).
 */
/* Fold each of the eight accumulators over its lane of the 128 at @p. */
static inline __attribute__((always_inline, target("sse4.2,pclmul"))) void
crc32c_fold128_step(__m128i x[8], __m128i kw, const unsigned char *p)
{
	int	i;

#pragma GCC unroll 8
	for (i = 0; i < 8; i++)
		x[i] = crc32c_fold16_add(x[i], kw, p + 16 * i);
}

static __attribute__((target("sse4.2,pclmul"))) uint32_t
crc32c_fold128(uint32_t crc, const unsigned char *p, size_t len)
{
	__m128i			x[8], cv, kw, s;
	__m128i			hs = _mm_setzero_si128();
	struct crc32c_hyb	h = { 0 };
	size_t			k, n, i;
	bool			hyb;

	kw = _mm_load_si128((const __m128i *)CRC32C_FOLDK(8));
	n = 0;
	hyb = len >= CRC32C_HYB128_MIN;
	if (hyb) {
		n = crc32c_hyb_start(&h, crc, &p, &len, 128,
				     CRC32C_HYB128_NS, CRC32C_HYB128_W);
		crc = 0;
	}

	/* The register goes into the first four bytes, whichever lane. */
	cv = _mm_cvtsi32_si128((int)crc);
	if (len >= 128) {
#pragma GCC unroll 8
		for (i = 0; i < 8; i++)
			x[i] = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		x[0] = _mm_xor_si128(x[0], cv);
		cv = _mm_setzero_si128();
		p += 128;
		len -= 128;
		CRC32C_FOLD_RUN(crc32c_fold128_step, x, kw, p, len, 128,
				hyb, h, n, CRC32C_HYB128_NS, CRC32C_HYB128_W,
				hs);
	} else {
		/* Zero accumulators: as if the buffer had zeros in front. */
#pragma GCC unroll 8
		for (i = 0; i < 8; i++)
			x[i] = _mm_setzero_si128();
	}

	/*
	 * k < 8 whole lanes are left: one more step for x0..x(k-1) only.
	 * The window has then moved on by k lanes, x(k) being its first.
	 */
	k = len / 16;
	if (k > 0)
		x[0] = _mm_xor_si128(crc32c_fold16_add(x[0], kw, p), cv);
#pragma GCC unroll 8
	for (i = 1; i < 7; i++)
		if (k > i)
			x[i] = crc32c_fold16_add(x[i], kw, p + 16 * i);
	p += 16 * k;
	len -= 16 * k;

	/* x[i] has (k - i - 1) mod 8 lanes after it. */
	s = hs;
#pragma GCC unroll 8
	for (i = 0; i < 8; i++)
		s = _mm_xor_si128(s, crc32c_fold16(x[i],
					CRC32C_FOLDK((k - i - 1) & 7)));

	return crc32c_sse42_tail(crc32c_fold_finish(s), p, len);
}

#define CRC32C_VTARGET	"sse4.2,pclmul,avx2,avx512f,avx512vl,vpclmulqdq"

/* The four lanes of @a, each folded by its constants in @k. */
static inline __attribute__((always_inline, target(CRC32C_VTARGET))) __m512i
crc32c_fold64(__m512i a, const uint64_t *k)
{
	__m512i	kk = _mm512_loadu_si512(k);

	return _mm512_xor_si512(_mm512_clmulepi64_epi128(a, kk, 0x00),
				_mm512_clmulepi64_epi128(a, kk, 0x11));
}

/* @a folded by the constants in @k, then the 64 bytes at @p added. */
static inline __attribute__((always_inline, target(CRC32C_VTARGET))) __m512i
crc32c_fold64_add(__m512i a, __m512i k, const unsigned char *p)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00),
					 _mm512_clmulepi64_epi128(a, k, 0x11),
					 _mm512_loadu_si512(p), 0x96);
}

/*
 * 512-bit folding: four accumulators a0..a3 on consecutive 64-byte
 * chunks, each folded forward by 256 bytes per step, with crc32 streams
 * alongside for long buffers; then the last whole chunks, the last whole
 * lanes (one masked load) and finally the last bytes with crc32.  At
 * least 16 bytes, as crc32c_fold128().
 */
/* Fold each of the four accumulators over its chunk of the 256 at @p. */
static inline __attribute__((always_inline, target(CRC32C_VTARGET))) void
crc32c_fold512_step(__m512i a[4], __m512i kw, const unsigned char *p)
{
	int	i;

#pragma GCC unroll 4
	for (i = 0; i < 4; i++)
		a[i] = crc32c_fold64_add(a[i], kw, p + 64 * i);
}

static __attribute__((target(CRC32C_VTARGET))) uint32_t
crc32c_fold512(uint32_t crc, const unsigned char *p, size_t len)
{
	__m512i			a[4], y, cv, kw, s;
	__m256i			t;
	__m128i			hs = _mm_setzero_si128();
	struct crc32c_hyb	h = { 0 };
	size_t			k, b, n;
	bool			hyb;

	kw = _mm512_broadcast_i32x4(
		_mm_load_si128((const __m128i *)CRC32C_FOLDK(16)));
	n = 0;
	hyb = len >= CRC32C_HYB512_MIN;
	if (hyb) {
		n = crc32c_hyb_start(&h, crc, &p, &len, 256,
				     CRC32C_HYB512_NS, CRC32C_HYB512_W);
		crc = 0;
	}

	/* The register goes into the first four bytes, whichever chunk. */
	cv = _mm512_maskz_set1_epi32(1, (int)crc);
	if (len >= 256) {
		a[0] = _mm512_xor_si512(_mm512_loadu_si512(p), cv);
		a[1] = _mm512_loadu_si512(p + 64);
		a[2] = _mm512_loadu_si512(p + 128);
		a[3] = _mm512_loadu_si512(p + 192);
		cv = _mm512_setzero_si512();
		p += 256;
		len -= 256;
		CRC32C_FOLD_RUN(crc32c_fold512_step, a, kw, p, len, 256,
				hyb, h, n, CRC32C_HYB512_NS, CRC32C_HYB512_W,
				hs);
	} else {
		/* Zero accumulators: as if the buffer had zeros in front. */
		a[0] = a[1] = a[2] = a[3] = _mm512_setzero_si512();
	}

	/* As in crc32c_fold128(), k < 4 more steps for a0..a(k-1) only. */
	k = len / 64;
	if (k > 0) {
		a[0] = _mm512_xor_si512(crc32c_fold64_add(a[0], kw, p), cv);
		cv = _mm512_setzero_si512();
	}
	if (k > 1)
		a[1] = crc32c_fold64_add(a[1], kw, p + 64);
	if (k > 2)
		a[2] = crc32c_fold64_add(a[2], kw, p + 128);
	p += 64 * k;
	len -= 64 * k;

	/*
	 * ai has (k - i - 1) mod 4 chunks and b < 4 lanes after its last
	 * lane; those b lanes, if any, go into y, zero above them, whose
	 * first lane has b - 1 lanes after it.
	 */
	b = len / 16;
	s = _mm512_ternarylogic_epi64(
		crc32c_fold64(a[0], CRC32C_FOLDK(4 * ((k - 1) & 3) + b + 3)),
		crc32c_fold64(a[1], CRC32C_FOLDK(4 * ((k - 2) & 3) + b + 3)),
		crc32c_fold64(a[2], CRC32C_FOLDK(4 * ((k - 3) & 3) + b + 3)),
		0x96);
	s = _mm512_ternarylogic_epi64(s,
		crc32c_fold64(a[3], CRC32C_FOLDK(4 * ((k - 4) & 3) + b + 3)),
		_mm512_zextsi128_si512(hs), 0x96);
	if (b) {
		y = _mm512_maskz_loadu_epi64((__mmask8)((1U << (2 * b)) - 1),
					     p);
		y = _mm512_xor_si512(y, cv);
		s = _mm512_xor_si512(s, crc32c_fold64(y, CRC32C_FOLDK(b - 1)));
		p += 16 * b;
		len -= 16 * b;
	}

	t = _mm256_xor_si256(_mm512_castsi512_si256(s),
			     _mm512_extracti64x4_epi64(s, 1));
	hs = _mm_xor_si128(_mm256_castsi256_si128(t),
			   _mm256_extracti128_si256(t, 1));
	return crc32c_sse42_tail(crc32c_fold_finish(hs), p, len);
}

#endif /* __x86_64__ */

/* ---- entry points ------------------------------------------------------ */

bool
xbt_crc32c_hw_available(void)
{
	return xbt_crc32c_impl_available(XBT_CRC32C_SSE42);
}

bool
xbt_crc32c_impl_available(enum xbt_crc32c_which which)
{
	crc32c_get_impl();
	return (unsigned int)which < XBT_CRC32C_NR_IMPLS &&
	       (crc32c_have & (1U << which));
}

const char *
xbt_crc32c_impl_name(enum xbt_crc32c_which which)
{
	static const char * const	names[XBT_CRC32C_NR_IMPLS] = {
		[XBT_CRC32C_TABLE]	= "table",
		[XBT_CRC32C_SSE42]	= "sse42",
		[XBT_CRC32C_SSE42_CLMUL] = "sse42-clmul",
		[XBT_CRC32C_PCLMUL]	= "pclmul-fold",
		[XBT_CRC32C_VPCLMUL]	= "vpclmul-fold",
	};

	if ((unsigned int)which >= XBT_CRC32C_NR_IMPLS)
		return "?";
	return names[which];
}

enum xbt_crc32c_which
xbt_crc32c_impl_best(void)
{
	return crc32c_get_impl();
}

/*
 * The checksum of @buf through implementation @which, which must be
 * available.  @exact: use that very implementation at every length it
 * can fold (16 bytes and up; the tests compare each with the table);
 * otherwise a folding one hands a piece too short to fold to the SSE4.2
 * loop, which is faster there.  Inlined, so that each caller's @exact is
 * a constant.
 */
static inline __attribute__((always_inline)) uint32_t
crc32c_run(enum xbt_crc32c_which which, bool exact, uint32_t crc,
		const void *buf, size_t len)
{
	switch (which) {
#if defined(__x86_64__)
	case XBT_CRC32C_VPCLMUL:
		if (len >= CRC32C_FOLD512_MIN || (exact && len >= 16))
			return crc32c_fold512(crc, buf, len);
		return crc32c_sse42_clmul(crc, buf, len);
	case XBT_CRC32C_PCLMUL:
		if (len >= CRC32C_FOLD128_MIN || (exact && len >= 16))
			return crc32c_fold128(crc, buf, len);
		return crc32c_sse42_clmul(crc, buf, len);
	case XBT_CRC32C_SSE42_CLMUL:
		return crc32c_sse42_clmul(crc, buf, len);
	case XBT_CRC32C_SSE42:
		return crc32c_sse42_plain(crc, buf, len);
#endif
	default:
		return crc32c_sb8(crc, buf, len);
	}
}

/*
 * The SSE4.2 implementation, with PCLMULQDQ for the joins if present
 * (the folding ones stand aside for it).  Where there is no SSE4.2 (see
 * xbt_crc32c_hw_available()), and on other architectures, this is the
 * table code rather than a fault.
 */
uint32_t
xbt_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	enum xbt_crc32c_which	which = crc32c_get_impl();

	if (which == XBT_CRC32C_VPCLMUL || which == XBT_CRC32C_PCLMUL)
		which = XBT_CRC32C_SSE42_CLMUL;
	return crc32c_run(which, true, crc, buf, len);
}

/* @n zero bytes through implementation @which (available). */
static inline uint32_t
crc32c_run_zeros(enum xbt_crc32c_which which, uint32_t crc, uint64_t n)
{
#if defined(__x86_64__)
	if (which >= XBT_CRC32C_SSE42_CLMUL)
		return crc32c_zeros_clmul(crc, n);
#else
	(void)which;
#endif
	return crc32c_zeros_soft(crc, n);
}

/*
 * The XFS block checksum: the bytes before the field, the field as zeros
 * (skipped arithmetically), then the rest, which is long enough to be
 * folded.
 */
static inline __attribute__((always_inline)) uint32_t
crc32c_run_block(enum xbt_crc32c_which which, bool exact, const void *buf,
		size_t len, size_t crc_off)
{
	const unsigned char	*p = buf;
	size_t			pre = crc_off < len ? crc_off : len;
	size_t			nz = len - pre < 4 ? len - pre : 4;
	uint32_t		crc;

	crc = crc32c_run(which, exact, XBT_CRC_SEED, p, pre);
	crc = crc32c_run_zeros(which, crc, nz);
	crc = crc32c_run(which, exact, crc, p + pre + nz, len - pre - nz);
	return ~crc;
}

/* @which if this CPU has it, else the table code. */
static enum xbt_crc32c_which
crc32c_usable(enum xbt_crc32c_which which)
{
	return xbt_crc32c_impl_available(which) ? which : XBT_CRC32C_TABLE;
}

uint32_t
xbt_crc32c_impl(enum xbt_crc32c_which which, uint32_t crc, const void *buf,
		size_t len)
{
	return crc32c_run(crc32c_usable(which), true, crc, buf, len);
}

uint32_t
xbt_crc32c_block_impl(enum xbt_crc32c_which which, const void *buf,
		      size_t len, size_t crc_off)
{
	return crc32c_run_block(crc32c_usable(which), true, buf, len,
				crc_off);
}

uint32_t
xbt_crc32c_zeros_impl(enum xbt_crc32c_which which, uint32_t crc,
		      uint64_t n)
{
	return crc32c_run_zeros(crc32c_usable(which), crc, n);
}

/* ---- dispatch ---------------------------------------------------------- */

uint32_t
xbt_crc32c(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_run(crc32c_get_impl(), false, crc, buf, len);
}

/* The XFS block checksum through the best implementation. */
uint32_t
xbt_crc32c_block(const void *buf, size_t len, size_t crc_off)
{
	return crc32c_run_block(crc32c_get_impl(), false, buf, len, crc_off);
}

uint32_t
xbt_crc32c_zeros(uint32_t crc, uint64_t n)
{
	return crc32c_run_zeros(crc32c_get_impl(), crc, n);
}
