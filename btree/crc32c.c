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
 * Two implementations, always both built:
 *
 * Table: slicing-by-8.  Table 0 maps a byte b to the CRC of b alone (from
 * a zero register); table k maps b to the CRC of b followed by k zero
 * bytes.  XORing the register into the next 8 input bytes and looking each
 * of the 8 resulting bytes up in the table that accounts for the bytes
 * still to come after it does 8 bytes with 8 independent lookups.  The
 * 8 KiB of tables are computed on first use (pthread_once).
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
 * On other architectures the hw entry point is the table code.
 */
#include <pthread.h>
#include <string.h>

#include "btree/crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <wmmintrin.h>
#endif

#define CRC32C_POLY	0x82F63B78U	/* reflected, x^32 implied */

/* x^k mod P in the reflected form has only bit 31 - k set, for k < 32. */
#define CRC32C_XPOW(k)	(0x80000000U >> (k))

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

/* ---- one-time setup ---------------------------------------------------- */

/* Slicing-by-8 tables, see the top of the file. */
static uint32_t crc32c_tab[8][256];

/*
 * crc32c_xpow[j] = x^(2^j) mod P for j >= 6, kept pre-divided by x^33,
 * i.e. as x^(2^j - 33).  In that form mulx() is an ordinary multiply:
 * mulx(a / x^33, b / x^33) = (a * b) / x^33, so multiplying entries
 * together with mulx() gives the pre-divided shift multipliers directly.
 * Stream lengths are whole words, so shifts are multiples of 64 bits and
 * j < 6 is never needed; streams of at most 64 KiB need j < 20.
 */
#define CRC32C_XPOW_MIN	6
#define CRC32C_XPOW_MAX	32
static uint32_t crc32c_xpow[CRC32C_XPOW_MAX];

enum crc32c_impl {
	CRC32C_IMPL_UNSET = 0,
	CRC32C_IMPL_TABLE,		/* no SSE4.2 */
	CRC32C_IMPL_SSE42,		/* SSE4.2 without PCLMULQDQ */
	CRC32C_IMPL_SSE42_CLMUL,	/* SSE4.2 and PCLMULQDQ */
};

/* Set last by crc32c_setup(); read with acquire to see the tables. */
static int crc32c_impl;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void
crc32c_setup(void)
{
	int		impl = CRC32C_IMPL_TABLE;
	uint32_t	c;
	int		b, i, k;

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

#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		impl = CRC32C_IMPL_SSE42;
		if (__builtin_cpu_supports("pclmul"))
			impl = CRC32C_IMPL_SSE42_CLMUL;
	}
#endif
	__atomic_store_n(&crc32c_impl, impl, __ATOMIC_RELEASE);
}

/* Which implementation to use; sets everything up on the first call. */
static inline int
crc32c_get_impl(void)
{
	int	impl = __atomic_load_n(&crc32c_impl, __ATOMIC_ACQUIRE);

	if (__builtin_expect(impl == CRC32C_IMPL_UNSET, 0)) {
		pthread_once(&crc32c_once, crc32c_setup);
		impl = __atomic_load_n(&crc32c_impl, __ATOMIC_ACQUIRE);
	}
	return impl;
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
	crc = (uint32_t)a;
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
 * Block checksum: the bytes before the field, four zero bytes, the bytes
 * after.  The field is clipped to the buffer.
 */
static inline __attribute__((always_inline, target("sse4.2"))) uint32_t
crc32c_sse42_block(const unsigned char *p, size_t len, size_t off,
		   bool clmul)
{
	size_t		pre = off < len ? off : len;
	size_t		nz = len - pre < 4 ? len - pre : 4;
	uint32_t	crc;
	size_t		i;

	crc = crc32c_sse42_body(XBT_CRC_SEED, p, pre, clmul);
	if (nz == 4)
		crc = _mm_crc32_u32(crc, 0);
	else
		for (i = 0; i < nz; i++)
			crc = _mm_crc32_u8(crc, 0);
	crc = crc32c_sse42_body(crc, p + pre + nz, len - pre - nz, clmul);
	return ~crc;
}

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

static __attribute__((target("sse4.2,pclmul"))) uint32_t
crc32c_block_clmul(const void *buf, size_t len, size_t off)
{
	return crc32c_sse42_block(buf, len, off, true);
}

static __attribute__((target("sse4.2"))) uint32_t
crc32c_block_plain(const void *buf, size_t len, size_t off)
{
	return crc32c_sse42_block(buf, len, off, false);
}

#endif /* __x86_64__ */

/*
 * The SSE4.2 implementation, with PCLMULQDQ for the joins if present.
 * Where there is no SSE4.2 (see xbt_crc32c_hw_available()), and on other
 * architectures, this is the table code rather than a fault.
 */
uint32_t
xbt_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	switch (crc32c_get_impl()) {
#if defined(__x86_64__)
	case CRC32C_IMPL_SSE42_CLMUL:
		return crc32c_sse42_clmul(crc, buf, len);
	case CRC32C_IMPL_SSE42:
		return crc32c_sse42_plain(crc, buf, len);
#endif
	default:
		return crc32c_sb8(crc, buf, len);
	}
}

bool
xbt_crc32c_hw_available(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2");
#else
	return false;
#endif
}

/* ---- dispatch ---------------------------------------------------------- */

uint32_t
xbt_crc32c(uint32_t crc, const void *buf, size_t len)
{
	switch (crc32c_get_impl()) {
#if defined(__x86_64__)
	case CRC32C_IMPL_SSE42_CLMUL:
		return crc32c_sse42_clmul(crc, buf, len);
	case CRC32C_IMPL_SSE42:
		return crc32c_sse42_plain(crc, buf, len);
#endif
	default:
		return crc32c_sb8(crc, buf, len);
	}
}

uint32_t
xbt_crc32c_block(const void *buf, size_t len, size_t crc_off)
{
	static const unsigned char	zero[4];
	const unsigned char		*p = buf;
	size_t				pre, nz;
	uint32_t			crc;

	switch (crc32c_get_impl()) {
#if defined(__x86_64__)
	case CRC32C_IMPL_SSE42_CLMUL:
		return crc32c_block_clmul(buf, len, crc_off);
	case CRC32C_IMPL_SSE42:
		return crc32c_block_plain(buf, len, crc_off);
#endif
	default:
		break;
	}

	pre = crc_off < len ? crc_off : len;
	nz = len - pre < 4 ? len - pre : 4;
	crc = crc32c_sb8(XBT_CRC_SEED, p, pre);
	crc = crc32c_sb8(crc, zero, nz);
	crc = crc32c_sb8(crc, p + pre + nz, len - pre - nz);
	return ~crc;
}
