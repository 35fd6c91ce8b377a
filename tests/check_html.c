// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_html.c: tree.html as the library makes it (html.c), and the
 * content version (xbtree_version()) that caches of it key on.
 *
 * Whole pages of kv, rmap and refcount btrees at 512-byte blocks (three
 * and four levels): a complete HTML document with its style and script
 * inline and nothing fetched from elsewhere; one box (data-block,
 * data-level) per allocated block, at the level its bytes say; and in the
 * data script, per block, the decoded text equal byte for byte to what
 * xbt_decode_block() prints for the block, the low keys in hex equal to
 * the keys the test reads from the block itself, and the child pointers.
 *
 * Cut pages: a bulk-loaded btree of 200,000 records under a 1 MiB cap
 * must stay under it, hold every level above the cut whole, its cut
 * level's first and last blocks, nothing below, and the note; a cap
 * below the bare page still gives the header and the root.  Damage: a
 * leaf with a stale checksum and a damaged header block are drawn bad
 * with their reasons, the leaf still decoded (its bad crc shown).  An
 * output function's error stops the page and is returned.
 *
 * Version: changes at every commit and raw write, not at reads; two
 * btrees never share one.  Timing: a 1,000,000-record kv btree (4 KiB
 * blocks; XFB_TEST_SCALE scales it) is drawn under the 16 MiB cap, and
 * the time is printed (not asserted).
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/lib/btree_test.h"

#define BS	512

static void
quiet(const char *msg)
{
	(void)msg;
}

static int
to_gstring(const char *text, size_t len, void *priv)
{
	g_string_append_len(priv, text, len);
	return 0;
}

static GString *
page_of(struct xbtree *bt, size_t max_bytes)
{
	GString	*s = g_string_new(NULL);

	T_EQ(xbtree_dump_html(bt, max_bytes, to_gstring, s), 0);
	ck_assert(g_str_has_prefix(s->str, "<!DOCTYPE html>\n"));
	ck_assert(g_str_has_suffix(s->str, "</html>\n"));
	return s;
}

/* Occurrences of @needle in @hay. */
static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* Boxes in the drawing (the script's text mentions data-block too). */
static size_t
count_boxes(const char *page)
{
	const char	*svg = strstr(page, "<svg id=\"tree\"");
	const char	*end = strstr(page, "</svg>");
	char		*part;
	size_t		n;

	ck_assert(svg && end && svg < end);
	part = g_strndup(svg, end - svg);
	n = count(part, "data-block=\"");
	g_free(part);
	return n;
}

/* The data script's member for block @bno ("N":{...), or NULL. */
static const char *
data_of(const char *page, uint64_t bno)
{
	char		want[40];
	const char	*data = strstr(page, "id=\"xbt-data\"");

	ck_assert_ptr_nonnull(data);
	snprintf(want, sizeof(want), "\"%llu\":{", (unsigned long long)bno);
	return strstr(data, want);
}

/*
 * The JSON string value of member @name inside the object at @obj,
 * unescaped (the escapes html.c writes: \n \" \\ \u00XX).  NULL if the
 * object has no such member before its end.
 */
static char *
member(const char *obj, const char *name)
{
	char		key[32];
	const char	*p, *end = strstr(obj, "}");
	GString		*s;

	snprintf(key, sizeof(key), "\"%s\":\"", name);
	p = strstr(obj, key);
	/* "t" is the last member: its text may hold a '}'. */
	if (!p || (strcmp(name, "t") && end && p > end))
		return NULL;
	s = g_string_new(NULL);
	for (p += strlen(key); *p != '"'; p++) {
		ck_assert(*p);
		if (*p != '\\') {
			g_string_append_c(s, *p);
			continue;
		}
		p++;
		if (*p == 'n')
			g_string_append_c(s, '\n');
		else if (*p == 'u') {
			char	hex[3] = { p[3], p[4], 0 };

			ck_assert(p[1] == '0' && p[2] == '0');
			g_string_append_c(s, (char)strtol(hex, NULL, 16));
			p += 4;
		} else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, false);
}

/* The level the box of @bno says (data-level), or NULL. */
static char *
box_level(const char *page, uint64_t bno)
{
	char		want[48];
	const char	*p, *q;

	snprintf(want, sizeof(want), "data-block=\"%llu\" data-level=\"",
		 (unsigned long long)bno);
	p = strstr(page, want);
	if (!p)
		return NULL;
	ck_assert_ptr_null(strstr(p + 1, want));	/* one box a block */
	p += strlen(want);
	q = strchr(p, '"');
	return g_strndup(p, q - p);
}

static GString *
decoded(const void *buf, size_t len)
{
	GString	*s = g_string_new(NULL);

	xbt_decode_block(buf, len, to_gstring, s);
	return s;
}

/*
 * Every allocated block of @bt: one box at its level, and the data: the
 * decoded text, the low keys, the pointers.
 */
static void
assert_whole_page(struct xbtree *bt, const char *page)
{
	const struct xbt_ops	*ops = xbtree_ops(bt);
	unsigned int		keyslot = ops->key_len *
				((ops->flags & XBT_OPS_OVERLAPPING) ? 2 : 1);
	unsigned int		maxn = (BS - XBT_BLOCK_HDR_LEN) /
				       (keyslot + XBT_PTR_LEN);
	uint8_t			buf[BS], key[XBT_KEY_MAX];
	uint64_t		bno, nboxes = 0;
	struct xbtree_stats	st;
	unsigned int		level, n, i, k;
	char			*lvl, *text, *keys;
	GString			*want, *hex;
	const char		*obj;

	for (bno = 0; xbtree_next_block(bt, bno, &bno); bno++) {
		T_EQ(xbtree_read_block(bt, bno, buf), 0);
		lvl = box_level(page, bno);
		ck_assert_msg(lvl, "no box for block %llu",
			      (unsigned long long)bno);
		nboxes++;
		obj = data_of(page, bno);
		ck_assert_ptr_nonnull(obj);
		text = member(obj, "t");
		want = decoded(buf, BS);
		ck_assert_str_eq(text, want->str);
		g_string_free(want, true);
		g_free(text);
		if (bno == 0) {
			ck_assert_str_eq(lvl, "header");
			g_free(lvl);
			continue;
		}
		level = get_be16(buf + 4);
		n = get_be16(buf + 6);
		ck_assert_uint_eq(strtoul(lvl, NULL, 10), level);
		g_free(lvl);
		/* The keys, read from the bytes. */
		hex = g_string_new(NULL);
		for (i = 0; i < n; i++) {
			if (level)
				memcpy(key, buf + XBT_BLOCK_HDR_LEN +
				       i * keyslot, ops->key_len);
			else
				ops->init_key_from_rec(key, buf +
						XBT_BLOCK_HDR_LEN +
						i * ops->rec_len);
			for (k = 0; k < ops->key_len; k++)
				g_string_append_printf(hex, "%02x", key[k]);
		}
		keys = member(obj, "k");
		ck_assert_str_eq(keys, hex->str);
		g_free(keys);
		g_string_free(hex, true);
		if (level) {
			/* "p":[a,b,...] */
			GString	*ptrs = g_string_new("\"p\":[");

			for (i = 0; i < n; i++)
				g_string_append_printf(ptrs, "%s%llu",
					i ? "," : "",
					(unsigned long long)get_be64(buf +
					XBT_BLOCK_HDR_LEN + maxn * keyslot +
					i * XBT_PTR_LEN));
			g_string_append(ptrs, "]");
			ck_assert_msg(strstr(obj, ptrs->str) &&
				      strstr(obj, ptrs->str) < strstr(obj, "\"t\":"),
				      "block %llu: no %s",
				      (unsigned long long)bno, ptrs->str);
			g_string_free(ptrs, true);
		}
	}
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(nboxes, st.blocks);
	ck_assert_uint_eq(count_boxes(page), st.blocks);
	ck_assert_ptr_null(strstr(page, "id=\"cut-note\""));
	/* Nothing from elsewhere. */
	ck_assert_ptr_null(strstr(page, "http:"));
	ck_assert_ptr_null(strstr(page, "https:"));
	ck_assert_ptr_null(strstr(page, " src="));
	ck_assert_ptr_null(strstr(page, "<link"));
	ck_assert_ptr_null(strstr(page, "@import"));
	ck_assert_uint_eq(count(page, "<style>"), 1);
	ck_assert_uint_eq(count(page, "</script>"), 2);
}

static void
make_kv(unsigned int i, uint64_t *rng, void *rec)
{
	(void)rng;
	kvbt_rec_init(rec, (i * 7919ULL) % 100003 * 3, i);
}

static void
make_rmap(unsigned int i, uint64_t *rng, void *rec)
{
	struct rmapbt_irec	irec = {
		.startblock = 10 * (i % 211) + 1, .blockcount = 1 + i % 9,
		.owner = 128 + i % 3, .offset = 2 * i,
		.flags = i % 4 == 1 ? RMAPBT_F_ATTR : 0,
	};

	(void)rng;
	rmapbt_rec_init(rec, &irec);
}

static void
make_refc(unsigned int i, uint64_t *rng, void *rec)
{
	struct refcbt_irec	irec = {
		.startblock = 4 * i + 8, .blockcount = 2,
		.refcount = i % 3 ? 2 : 1, .cow = i % 3 == 0,
	};

	(void)rng;
	refcbt_rec_init(rec, &irec);
}

START_TEST(test_whole)
{
	static const struct {
		const struct xbt_ops	*ops;
		bt_make_fn		make;
		unsigned int		n;
	} cases[] = {
		{ &kvbt_ops, make_kv, 3000 },
		{ &rmapbt_ops, make_rmap, 1500 },
		{ &refcbt_ops, make_refc, 2000 },
	};
	struct xbtree		*bt;
	struct xbtree_stats	st;
	GString			*page;

	bt = bt_build(cases[_i].ops, BS, cases[_i].n, cases[_i].make, 1);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, 3);
	page = page_of(bt, 0);
	assert_whole_page(bt, page->str);
	ck_assert_ptr_nonnull(strstr(page->str, "check: ok"));
	g_string_free(page, true);
	/* The default cap of the mount holds such a tree whole, too. */
	page = page_of(bt, 16 << 20);
	assert_whole_page(bt, page->str);
	g_string_free(page, true);
	xbtree_destroy(bt);
}
END_TEST

/* An empty btree: the header and the empty root leaf. */
START_TEST(test_empty)
{
	struct xbtree	*bt = bt_create(&kvbt_ops, BS);
	GString		*page = page_of(bt, 0);

	assert_whole_page(bt, page->str);
	ck_assert_uint_eq(count_boxes(page->str), 2);
	g_string_free(page, true);
	xbtree_destroy(bt);
}
END_TEST

struct feed {
	uint64_t	i, n;
};

static int
feed_kv(void *rec, void *priv)
{
	struct feed	*f = priv;

	if (f->i == f->n)
		return 0;
	kvbt_rec_init(rec, 2 * f->i, f->i);
	f->i++;
	return 1;
}

static struct xbtree *
load_kv(uint64_t n, unsigned int bs)
{
	struct xbtree_params	p = { .blocksize = bs, .owner = 7 };
	struct feed		f = { .n = n };
	struct xbtree		*bt;

	T_EQ(xbtree_bload(&kvbt_ops, &p, n, feed_kv, &f, NULL, &bt), 0);
	return bt;
}

START_TEST(test_cut)
{
	struct xbtree		*bt = load_kv(200000, BS);
	struct xbtree_stats	st;
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	uint8_t			key[KVBT_KEY_LEN], buf[BS];
	unsigned int		ns, i, level, d;
	size_t			cap = 1 << 20;
	GString			*page;
	uint64_t		bno, first, last;
	char			*lvl;
	unsigned int		nlevel[XBT_MAXLEVELS] = { 0 };
	unsigned int		shown[XBT_MAXLEVELS] = { 0 };

	xbtree_get_stats(bt, &st);
	page = page_of(bt, cap);
	ck_assert_uint_le(page->len, cap);
	ck_assert_ptr_nonnull(strstr(page->str, "id=\"cut-note\""));
	/* Count, per level, the blocks there are and the boxes drawn. */
	for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++) {
		T_EQ(xbtree_read_block(bt, bno, buf), 0);
		level = get_be16(buf + 4);
		nlevel[level]++;
		lvl = box_level(page->str, bno);
		if (lvl) {
			ck_assert_uint_eq(strtoul(lvl, NULL, 10), level);
			ck_assert_ptr_nonnull(data_of(page->str, bno));
			shown[level]++;
		} else {
			ck_assert_ptr_null(data_of(page->str, bno));
		}
		g_free(lvl);
	}
	/* Whole levels from the root, one sampled, nothing below. */
	for (d = 0; d < st.height; d++) {
		level = st.height - 1 - d;
		if (shown[level] < nlevel[level])
			break;
	}
	ck_assert_uint_lt(d, st.height);
	level = st.height - 1 - d;
	ck_assert_uint_ge(shown[level], 2);
	for (i = 0; i < level; i++)
		ck_assert_uint_eq(shown[i], 0);
	/* The sampled level's first and last blocks: the ends of paths. */
	kvbt_key_init(key, 0);
	T_EQ(xbtree_path(bt, key, steps, &ns), 0);
	first = steps[d].bno;
	kvbt_key_init(key, UINT64_MAX);
	T_EQ(xbtree_path(bt, key, steps, &ns), 0);
	last = steps[d].bno;
	ck_assert_ptr_nonnull(data_of(page->str, first));
	ck_assert_ptr_nonnull(data_of(page->str, last));
	g_string_free(page, true);

	/* A cap below the bare page: still the header and the root. */
	page = page_of(bt, 1000);
	ck_assert_uint_eq(count_boxes(page->str), 2);
	ck_assert_ptr_nonnull(strstr(page->str, "id=\"cut-note\""));
	g_string_free(page, true);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_damaged)
{
	struct xbtree		*bt = bt_build(&kvbt_ops, BS, 3000, make_kv, 1);
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	uint8_t			key[KVBT_KEY_LEN];
	unsigned int		ns;
	uint64_t		leaf;
	char			want[96];
	const char		*obj;
	char			*bad, *text;
	GString			*page;

	kvbt_key_init(key, 3000);
	T_EQ(xbtree_path(bt, key, steps, &ns), 0);
	leaf = steps[ns - 1].bno;
	T_EQ(xbtree_write_block(bt, leaf, "\x55", 1, XBT_BLOCK_HDR_LEN + 5), 0);
	page = page_of(bt, 0);
	snprintf(want, sizeof(want),
		 "<g class=\"blk leaf bad\" data-block=\"%llu\"",
		 (unsigned long long)leaf);
	ck_assert_ptr_nonnull(strstr(page->str, want));
	obj = data_of(page->str, leaf);
	bad = member(obj, "bad");
	ck_assert_str_eq(bad, "bad checksum");
	text = member(obj, "t");
	ck_assert_ptr_nonnull(strstr(text, "warning: bad checksum"));
	ck_assert_ptr_nonnull(strstr(page->str, "check: damaged"));
	snprintf(want, sizeof(want), ">block %llu</a>: bad checksum",
		 (unsigned long long)leaf);
	ck_assert_ptr_nonnull(strstr(page->str, want));
	g_free(bad);
	g_free(text);
	g_string_free(page, true);

	/* A damaged header block: the page says so and draws no tree. */
	T_EQ(xbtree_write_block(bt, 0, "\x01", 1, 5), 0);
	page = page_of(bt, 0);
	ck_assert_ptr_nonnull(strstr(page->str,
		"<g class=\"blk head bad\" data-block=\"0\" data-level=\"header\""));
	ck_assert_uint_eq(count_boxes(page->str), 1);
	ck_assert_ptr_nonnull(strstr(page->str, "\"headbad\":true"));
	g_string_free(page, true);
	xbtree_destroy(bt);
}
END_TEST

struct failing {
	int	calls;
	int	fail_at;
};

static int
failing_out(const char *text, size_t len, void *priv)
{
	struct failing	*f = priv;

	(void)text, (void)len;
	return ++f->calls == f->fail_at ? -EIO : 0;
}

START_TEST(test_out_error)
{
	struct xbtree	*bt = bt_build(&kvbt_ops, BS, 3000, make_kv, 1);
	struct failing	f = { .fail_at = 1 + _i };

	T_EQ(xbtree_dump_html(bt, 0, failing_out, &f), -EIO);
	T_EQ(f.calls, f.fail_at);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_version)
{
	struct xbtree		*a = bt_create(&kvbt_ops, BS);
	struct xbtree		*b = bt_create(&kvbt_ops, BS);
	struct xbt_trans	*tp;
	uint64_t		v, k, val;
	int			stat;
	GString			*page;

	ck_assert_uint_ne(xbtree_version(a), xbtree_version(b));
	v = xbtree_version(a);
	T_EQ(xbt_trans_alloc(a, &tp), 0);
	T_EQ(kv_insert(tp, 5, 5, &stat), 0);
	xbt_trans_cancel(tp);
	T_EQ(kv_get(a, XBT_LOOKUP_EQ, 5, &k, &val, &stat), 0);
	page = page_of(a, 0);
	g_string_free(page, true);
	ck_assert_uint_eq(xbtree_version(a), v);
	T_EQ(xbt_trans_alloc(a, &tp), 0);
	T_EQ(kv_insert(tp, 5, 5, &stat), 0);
	T_EQ(xbt_trans_commit(tp), 0);
	ck_assert_uint_ne(xbtree_version(a), v);
	ck_assert_uint_ne(xbtree_version(a), xbtree_version(b));
	v = xbtree_version(a);
	T_EQ(xbtree_write_block(a, 1, "\x00", 1, 500), 0);
	ck_assert_uint_ne(xbtree_version(a), v);
	xbtree_destroy(a);
	xbtree_destroy(b);
}
END_TEST

/*
 * The figure the README quotes: a million records (times XFB_TEST_SCALE,
 * which the sanitizer build lowers), drawn under 16 MiB.
 */
START_TEST(test_timing)
{
	uint64_t	n = 1000000 * test_scale();
	struct xbtree	*bt = load_kv(n, 4096);
	struct timespec	t0, t1;
	GString		*page;
	double		secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	page = page_of(bt, 16 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_uint_le(page->len, 16 << 20);
	printf("html: %llu kv records at 4096-byte blocks: %zu bytes, %zu boxes, in %.3f s\n",
	       (unsigned long long)n, page->len, count_boxes(page->str),
	       secs);
	g_string_free(page, true);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("html");
	TCase	*tc = tcase_create("html");

	xbt_set_log_fn(quiet);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_whole, 0, 3);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_damaged);
	tcase_add_loop_test(tc, test_out_error, 0, 4);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_timing);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
