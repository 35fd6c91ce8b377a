/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfbt_page: decode one file from a mount's pages/ directory for the
 * integration tests, independently of the daemon's own code (only the
 * CRC32c routine is shared with the library).
 *
 *	xfbt_page head FILE	block 0: "name value" lines, from the offsets
 *				xfbtreefs(5) and the README fix
 *	xfbt_page block FILE	a btree block: its header fields as "name
 *				value" lines, then for a kv block (XKV3) one
 *				"rec KEY VALUE" line per leaf record or one
 *				"ent KEY PTR" line per node entry
 *	xfbt_page fixcrc FILE	store a correct checksum in FILE (block 0 or
 *				btree block, told apart by the CATM magic),
 *				so that tests can damage a block without
 *				tripping the CRC check
 *	xfbt_page --serve	run requests from standard input, each a
 *				command line of its own (helper_serve.h)
 *
 * Every field is printed in decimal; the magic as its four characters;
 * "crc" is "ok" or "bad" (CRC32c of the whole file with the checksum field
 * as zeros, stored little-endian).  Exit status 2 on usage or I/O errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree/crc32c.h"
#include "helper_serve.h"

#define HEAD_MAGIC	0x4341544DU	/* "CATM" */
#define HEAD_CRC_OFF	124
#define BLOCK_CRC_OFF	64
#define BLOCK_HDR_LEN	72
#define KV_MAGIC	0x584B5633U	/* "XKV3" */
#define KV_REC_LEN	16
#define KV_KEY_LEN	8
#define PTR_LEN		8

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* FILE's bytes, malloc'd; the run ends (status 2) if they cannot be read. */
static unsigned char *
load(const char *path, size_t *lenp)
{
	unsigned char *data;
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "xfbt_page: %s: %s\n", path, strerror(errno));
		helper_exit(2);
	}
	/* Read to EOF: a synthetic file need not report its true size. */
	data = malloc(65536 + 1);
	if (!data) {
		close(fd);
		helper_exit(2);
	}
	for (;;) {
		n = read(fd, data + len, 65536 + 1 - len);
		if (n < 0) {
			fprintf(stderr, "xfbt_page: %s: %s\n", path,
				strerror(errno));
			break;
		}
		if (!n || len + n > 65536)
			break;
		len += n;
	}
	close(fd);
	if (n || len < 128) {
		if (n >= 0)
			fprintf(stderr, "xfbt_page: %s: odd size\n", path);
		free(data);
		helper_exit(2);
	}
	*lenp = len;
	return data;
}

static const char *
crc_state(const unsigned char *b, size_t len, size_t off)
{
	return le32(b + off) == xbt_crc32c_block(b, len, off) ? "ok" : "bad";
}

static void
print_magic(const unsigned char *b)
{
	printf("magic %c%c%c%c\n", b[0], b[1], b[2], b[3]);
}

static void
print_uuid(const unsigned char *p)
{
	fputs("uuid ", stdout);
	for (int i = 0; i < 16; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static void
show_head(const unsigned char *b, size_t len)
{
	print_magic(b);
	printf("size %zu\n", len);
	printf("height %" PRIu32 "\n", be32(b + 4));
	printf("owner %" PRIu64 "\n", be64(b + 8));
	printf("root %" PRIu64 "\n", be64(b + 16));
	print_uuid(b + 24);
	printf("type %08" PRIx32 "\n", be32(b + 40));
	printf("blocksize %" PRIu32 "\n", be32(b + 44));
	printf("nrecords %" PRIu64 "\n", be64(b + 48));
	printf("data_size %" PRIu64 "\n", be64(b + 56));
	printf("nblocks %" PRIu64 "\n", be64(b + 64));
	printf("crc %s\n", crc_state(b, len, HEAD_CRC_OFF));
}

static void
show_block(const unsigned char *b, size_t len)
{
	uint32_t magic = be32(b);
	uint16_t level = be16(b + 4), numrecs = be16(b + 6);
	size_t maxrecs, ptrs, i;

	print_magic(b);
	printf("size %zu\n", len);
	printf("level %u\n", level);
	printf("numrecs %u\n", numrecs);
	printf("leftsib %" PRIu64 "\n", be64(b + 8));
	printf("rightsib %" PRIu64 "\n", be64(b + 16));
	printf("blkno %" PRIu64 "\n", be64(b + 24));
	printf("lsn %" PRIu64 "\n", be64(b + 32));
	print_uuid(b + 40);
	printf("owner %" PRIu64 "\n", be64(b + 56));
	printf("crc %s\n", crc_state(b, len, BLOCK_CRC_OFF));
	printf("pad %" PRIu32 "\n", be32(b + 68));
	if (magic != KV_MAGIC)
		return;
	if (level == 0) {
		maxrecs = (len - BLOCK_HDR_LEN) / KV_REC_LEN;
		printf("maxrecs %zu\n", maxrecs);
		for (i = 0; i < numrecs && i < maxrecs; i++) {
			const unsigned char *r = b + BLOCK_HDR_LEN +
						 i * KV_REC_LEN;

			printf("rec %" PRIu64 " %" PRIu64 "\n", be64(r),
			       be64(r + 8));
		}
		return;
	}
	maxrecs = (len - BLOCK_HDR_LEN) / (KV_KEY_LEN + PTR_LEN);
	ptrs = BLOCK_HDR_LEN + maxrecs * KV_KEY_LEN;
	printf("maxrecs %zu\n", maxrecs);
	for (i = 0; i < numrecs && i < maxrecs; i++)
		printf("ent %" PRIu64 " %" PRIu64 "\n",
		       be64(b + BLOCK_HDR_LEN + i * KV_KEY_LEN),
		       be64(b + ptrs + i * PTR_LEN));
}

static int
fix_crc(const char *path)
{
	size_t len, off;
	unsigned char *b = load(path, &len);
	FILE *f;
	int ok;

	off = be32(b) == HEAD_MAGIC ? HEAD_CRC_OFF : BLOCK_CRC_OFF;
	put_le32(b + off, xbt_crc32c_block(b, len, off));
	f = fopen(path, "r+");
	ok = f && fwrite(b, 1, len, f) == len;
	if (f && fclose(f))
		ok = 0;
	free(b);
	if (!ok) {
		fprintf(stderr, "xfbt_page: %s: cannot rewrite\n", path);
		return 2;
	}
	return 0;
}

static int
run(int argc, char **argv)
{
	unsigned char *b;
	size_t len;
	int status = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: xfbt_page head|block|fixcrc FILE\n");
		return 2;
	}
	if (!strcmp(argv[1], "fixcrc"))
		return fix_crc(argv[2]);
	b = load(argv[2], &len);
	if (!strcmp(argv[1], "head"))
		show_head(b, len);
	else if (!strcmp(argv[1], "block"))
		show_block(b, len);
	else
		status = 2;
	free(b);
	return status;
}

int
main(int argc, char **argv)
{
	return helper_main(argc, argv, run, NULL);
}
