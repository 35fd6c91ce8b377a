// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * html_page.js: the script of tree.html (btree/html.c embeds it).
 *
 * It reads the data script (#xbt-data, a JSON object described in html.c)
 * and does three things:
 *
 *  - clicking a block box (any element with data-block) shows the block
 *    in #block-detail: its check problems, then its text exactly as the
 *    page decoder printed it, one <span class="ln"> per line, with child
 *    pointers, siblings and the root turned into links;
 *  - the search box (#key-search) takes a key as the lookup file does
 *    (kv KEY; rmap STARTBLOCK OWNER OFFSET [FLAGS]; refcount STARTBLOCK
 *    [cow]), walks the embedded keys as the engine walks its blocks, and
 *    shows the path in #search-result as `path` prints it, marking each
 *    box on it with the class on-path;
 *  - zoom buttons, and #block-N / #path=KEY in the address.
 *
 * Keys.  Each block carries the low keys of its entries as hex bytes
 * ("k"); a key becomes a tuple of BigInts that orders as the type's
 * cmp_keys orders keys:
 *	kv        [key]
 *	rmap      [startblock, owner, offset with the attr and bmbt bits]
 *	          (the unwritten bit is masked, as rmapbt_cmp_keys does)
 *	refcount  [domain (1: cow), startblock]
 * A type the script does not know takes its key as hex bytes and
 * compares them as bytes.
 *
 * The walk (engine: xbt_lookup_path()): at the root, then in each node,
 * the last entry whose key is <= the key, or slot 0 if none is; in the
 * leaf, the first record whose key is >= the key (numrecs if none is).
 * It stops at a block the page does not hold, or a damaged one.
 */
(function () {
'use strict';

const D = JSON.parse(document.getElementById('xbt-data').textContent);
const svg = document.getElementById('tree');
const drawing = document.getElementById('drawing');
const detail = document.getElementById('block-detail');
const input = document.getElementById('key-search');
const result = document.getElementById('search-result');

/* ---- keys ------------------------------------------------------------ */

const U64 = (1n << 64n) - 1n;
const OWNERS = ['null', 'unknown', 'fs', 'log', 'ag', 'inobt', 'inodes',
	'refc', 'cow'];
const RMAP_ATTR = 1n << 63n;
const RMAP_BMBT = 1n << 62n;
const RMAP_UNWRITTEN = 1n << 61n;

class KeyError extends Error {}

/* A number as the daemon takes it: decimal, or 0x and 1..16 hex digits. */
function num(tok, max, range) {
	if (!/^(0[xX][0-9a-fA-F]{1,16}|[0-9]+)$/.test(tok)) {
		if (/^0[xX][0-9a-fA-F]{17,}$/.test(tok))
			throw new KeyError('number out of range: ' + tok);
		throw new KeyError('not a number: ' + tok);
	}
	const v = BigInt(tok);
	if (v > U64)
		throw new KeyError('number out of range: ' + tok);
	if (v > max)
		throw new KeyError(range);
	return v;
}

function hexBig(h, from, to) {
	return BigInt('0x' + h.slice(from, to));
}

const TYPES = {
	kv: {
		hint: 'KEY',
		parse(f) {
			if (f.length !== 1)
				throw new KeyError('expected KEY');
			return [num(f[0], U64)];
		},
		fromHex: (h) => [hexBig(h, 0, 16)],
	},
	rmap: {
		hint: 'STARTBLOCK OWNER OFFSET [FLAGS]',
		parse(f) {
			if (f.length !== 3 && f.length !== 4)
				throw new KeyError('expected STARTBLOCK OWNER OFFSET [FLAGS]');
			const start = num(f[0], 0xffffffffn,
				'start block must be below 2^32');
			let owner;
			if (/^[0-9]/.test(f[1])) {
				owner = num(f[1], U64);
			} else {
				const i = OWNERS.indexOf(f[1]);
				if (i < 0)
					throw new KeyError('unknown owner (an inode number, or ' +
						OWNERS.join(', ') + ')');
				owner = U64 - BigInt(i);
			}
			let off = num(f[2], (1n << 54n) - 1n, 'offset must be below 2^54');
			if (f.length === 4) {
				const seen = new Set();
				for (const fl of f[3].split(',')) {
					if (!['attr', 'bmbt', 'unwritten'].includes(fl))
						throw new KeyError(fl ? 'unknown flag (attr, bmbt, unwritten)' :
							'empty flag in the list');
					if (seen.has(fl))
						throw new KeyError('flag given twice');
					seen.add(fl);
				}
				if (seen.has('attr'))
					off |= RMAP_ATTR;
				if (seen.has('bmbt'))
					off |= RMAP_BMBT;
			}
			return [start, owner, off];
		},
		fromHex: (h) => [hexBig(h, 0, 8), hexBig(h, 8, 24),
			hexBig(h, 24, 40) & ~RMAP_UNWRITTEN],
	},
	refcount: {
		hint: 'STARTBLOCK [cow]',
		parse(f) {
			if (f.length !== 1 && f.length !== 2)
				throw new KeyError('expected STARTBLOCK [cow]');
			const start = num(f[0], 0x7fffffffn, 'start block must be below 2^31');
			if (f.length === 2 && f[1] !== 'cow')
				throw new KeyError('the last field may only be cow');
			return [f.length === 2 ? 1n : 0n, start];
		},
		fromHex(h) {
			const v = hexBig(h, 0, 8);
			return [v >> 31n, v & 0x7fffffffn];
		},
	},
};

/* A type of the caller's own: the key's bytes in hex, compared as bytes. */
const RAW = {
	hint: 'KEY as ' + D.keylen * 2 + ' hex digits',
	parse(f) {
		const re = new RegExp('^[0-9a-fA-F]{' + D.keylen * 2 + '}$');
		if (f.length !== 1 || !re.test(f[0]))
			throw new KeyError('expected ' + D.keylen * 2 + ' hex digits');
		return [BigInt('0x' + f[0])];
	},
	fromHex: (h) => [BigInt('0x' + h)],
};

const T = TYPES[D.type] || RAW;

function cmpKeys(a, b) {
	for (let i = 0; i < a.length; i++) {
		if (a[i] !== b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

/* The low keys of block b's entries, as tuples (made once). */
function keysOf(b) {
	if (!b.keys) {
		const w = D.keylen * 2;
		b.keys = [];
		for (let i = 0; i < b.n; i++)
			b.keys.push(T.fromHex(b.k.slice(i * w, (i + 1) * w)));
	}
	return b.keys;
}

/*
 * The engine's descent.  Returns { steps: [{level, bno, slot}], stop }
 * where stop, if set, says why the walk ended before a leaf.
 */
function descend(key) {
	const steps = [];
	if (D.headbad)
		return { steps, stop: 'the header block is damaged: no walk starts' };
	let bno = String(D.root);
	for (let level = D.height - 1; level >= 0; level--) {
		const b = D.blocks[bno];
		if (!b)
			return { steps, stop: { bno, level, why: 'missing' } };
		if (b.bad)
			return { steps, stop: { bno, level, why: b.bad } };
		const ks = keysOf(b);
		let lo = 0, hi = ks.length;
		if (level > 0) {
			if (!ks.length)
				return { steps, stop: { bno, level, why: 'empty node' } };
			/* entries whose key is <= key: the last of them */
			while (lo < hi) {
				const mid = (lo + hi) >> 1;
				if (cmpKeys(ks[mid], key) <= 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			const slot = Math.max(lo - 1, 0);
			steps.push({ level, bno, slot });
			bno = String(b.p[slot]);
		} else {
			/* the first record whose key is >= key */
			while (lo < hi) {
				const mid = (lo + hi) >> 1;
				if (cmpKeys(ks[mid], key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			steps.push({ level: 0, bno, slot: lo });
		}
	}
	return { steps };
}

/* ---- the drawing ------------------------------------------------------- */

function box(bno) {
	return svg.querySelector('[data-block="' + bno + '"]');
}

function clearMarks(cls) {
	for (const el of svg.querySelectorAll('.' + cls))
		el.classList.remove(cls);
}

/* Scroll the drawing so that box el is in the middle of the view. */
function reveal(el, behavior) {
	if (!el)
		return;
	const r = el.getBoundingClientRect();
	const v = drawing.getBoundingClientRect();
	drawing.scrollBy({
		left: r.left + r.width / 2 - (v.left + v.width / 2),
		top: r.top + r.height / 2 - (v.top + v.height / 2),
		behavior: behavior || 'smooth',
	});
}

/*
 * A caret under box el at entry slot: the pointer followed, the record
 * found, or (between) the boundary a new record would go at.
 */
function slotMark(el, slot, max, between) {
	const frame = el.querySelector('rect.frame');
	if (!frame || !max)
		return;
	const w = parseFloat(frame.getAttribute('width'));
	const h = parseFloat(frame.getAttribute('height'));
	const x = 1 + (w - 2) * (between ? slot : slot + 0.5) / max;
	const m = document.createElementNS(svg.namespaceURI, 'path');
	m.setAttribute('class', 'slot-mark');
	m.setAttribute('d', 'M' + x + ' ' + (h + 1) + 'l-4.5 7h9z');
	el.appendChild(m);
}

/* ---- the decoded block ------------------------------------------------- */

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

function link(bno) {
	const a = el('a', null, String(bno));
	a.href = '#block-' + bno;
	a.dataset.goto = bno;
	return a;
}

/* One decoded line, pointers as links. */
function decodedLine(line) {
	const span = el('span', 'ln');
	let m;
	if ((m = /^(.*ptrs\[\d+\] = )(\d+)$/.exec(line)) ||
	    (m = /^((?:leftsib|rightsib|root) = )(\d+)$/.exec(line))) {
		span.append(m[1], link(m[2]), '\n');
	} else {
		span.textContent = line + '\n';
	}
	if (line.startsWith('warning:'))
		span.classList.add('warn');
	return span;
}

/*
 * Show block bno in the pane.  mark, if set, is { slot, between }: the
 * entry the search took (or the insertion point) to highlight.
 */
function showBlock(bno, mark) {
	bno = String(bno);
	clearMarks('selected');
	detail.replaceChildren();
	const b = D.blocks[bno];
	const probs = D.problems.filter((p) => String(p[0]) === bno);
	if (!b) {
		detail.append(el('h2', null, 'block ' + bno));
		detail.append(el('p', 'note', 'This block is not in the page: ' +
			(D.cut ? 'the page holds ' + D.cut.shown + ' of the ' +
			 D.cut.total + ' blocks at level ' + D.cut.level +
			 ' and none below (its size is capped at ' + D.maxbytes +
			 ' bytes).' : 'no sound block points at it.') +
			' Read pages/' + bno + ' for it.'));
		for (const p of probs)
			detail.append(el('p', 'note bad', p[1]));
		return;
	}
	const g = box(bno);
	if (g)
		g.classList.add('selected');
	let sub;
	if (b.l === 'header' && b.bad)
		sub = 'the header block (the tree cannot be walked)';
	else if (b.l === 'header')
		sub = 'the header block: height ' + D.height + ', root ' + D.root +
			', ' + D.records + ' records, ' + D.nblocks + ' blocks';
	else if (b.bad)
		sub = 'level ' + b.l + (b.l ? ' (node)' : ' (leaf)');
	else
		sub = 'level ' + b.l + (b.l ? ' node, ' : ' leaf, ') + b.n + ' of ' +
			b.m + (b.l ? ' entries' : ' records') + ' (' +
			Math.round(100 * b.n / b.m) + '% full)';
	const head = el('div', 'pane-head');
	head.append(el('h2', null, 'block ' + bno), el('p', 'sub', sub));
	detail.append(head);
	if (b.bad)
		detail.append(el('p', 'note bad', 'damaged: ' + b.bad +
			(b.l === 'header' ? '' : ' (a lookup stops here)')));
	if (probs.length) {
		const ul = el('ul', 'problems');
		for (const p of probs)
			ul.append(el('li', null, 'check: ' + p[1]));
		detail.append(ul);
	}
	if (mark && b.l === 0 && mark.between)
		detail.append(el('p', 'note', 'Not in the btree: it would be inserted at slot ' +
			mark.slot + (mark.slot === b.n ? ', past the last record.' : '.')));
	const pre = el('pre', 'decoded');
	const lines = b.t.replace(/\n$/, '').split('\n');
	const what = b.l === 0 ? 'recs' : 'keys';
	for (const line of lines) {
		const span = decodedLine(line);
		if (mark) {
			const m = /^(recs|keys)\[(\d+)\] = /.exec(line);
			if (m && m[1] === what) {
				const i = +m[2];
				if (!mark.between && i === mark.slot)
					span.classList.add('hit');
				if (mark.between && i === mark.slot)
					span.classList.add('ins-before');
				if (mark.between && mark.slot === b.n && i === b.n - 1)
					span.classList.add('ins-after');
			}
		}
		pre.append(span);
	}
	detail.append(pre);
	const hit = pre.querySelector('.hit, .ins-before, .ins-after');
	if (hit)
		hit.scrollIntoView({ block: 'center' });
	else
		detail.scrollTop = 0;
}

function select(bno, mark) {
	showBlock(bno, mark);
	reveal(box(bno));
	history.replaceState(null, '', '#block-' + bno);
}

/* ---- the search -------------------------------------------------------- */

function clearPath() {
	clearMarks('on-path');
	clearMarks('path-edge');
	for (const m of svg.querySelectorAll('.slot-mark'))
		m.remove();
}

function search(text) {
	clearPath();
	result.hidden = false;
	result.className = '';
	result.replaceChildren();
	const f = text.trim().split(/[ \t]+/).filter((s) => s.length);
	let key;
	try {
		if (!f.length)
			throw new KeyError('type a key: ' + T.hint);
		key = T.parse(f);
	} catch (e) {
		if (!(e instanceof KeyError))
			throw e;
		result.className = 'error';
		result.textContent = 'bad key: ' + e.message;
		return null;
	}
	const { steps, stop } = descend(key);
	for (const s of steps) {
		const g = box(s.bno);
		if (!g)
			continue;
		g.classList.add('on-path');
		const b = D.blocks[s.bno];
		const found = s.level === 0 && s.slot < b.n &&
			cmpKeys(keysOf(b)[s.slot], key) === 0;
		slotMark(g, s.slot, b.m, s.level === 0 && !found);
		const e = svg.querySelector('line.e[data-to="' + s.bno + '"]');
		if (e)
			e.classList.add('path-edge');
	}
	const pre = el('div');
	for (const s of steps) {
		const line = el('div');
		line.append('level ' + s.level + ' block ', link(s.bno), ' slot ' + s.slot);
		pre.append(line);
	}
	let summary;
	const last = steps[steps.length - 1];
	if (stop && typeof stop === 'string') {
		summary = stop;
		result.className = 'error';
	} else if (stop) {
		summary = stop.why === 'missing' ?
			'The walk leaves the page at block ' + stop.bno + ' (level ' +
			stop.level + '): the leaf is not in this page. Ask lookup for ' +
			'"path ' + f.join(' ') + '" for the whole way.' :
			'Block ' + stop.bno + ' (level ' + stop.level + ') is damaged (' +
			stop.why + '): a lookup stops there.';
		result.className = stop.why === 'missing' ? 'partial' : 'error';
	} else {
		const b = D.blocks[last.bno];
		const found = last.slot < b.n &&
			cmpKeys(keysOf(b)[last.slot], key) === 0;
		summary = found ? 'Found: recs[' + last.slot + '] of block ' +
			last.bno + '.' : 'Not there: it would go at slot ' + last.slot +
			' of leaf ' + last.bno + '.';
	}
	result.append(pre, el('div', 'summary', summary));
	if (last) {
		const b = D.blocks[last.bno];
		const leaf = b && !stop;
		const found = leaf && last.slot < b.n &&
			cmpKeys(keysOf(b)[last.slot], key) === 0;
		showBlock(last.bno, { slot: last.slot, between: leaf && !found });
		reveal(box(last.bno));
	}
	history.replaceState(null, '', '#path=' + encodeURIComponent(f.join(' ')));
	return steps;
}

/* ---- zoom -------------------------------------------------------------- */

const W0 = parseFloat(svg.dataset.width);
const H0 = parseFloat(svg.dataset.height);
let zoom = 1;
let fitting = false;	/* keep fitting the width as the window changes */

function setZoom(z, fit) {
	fitting = !!fit;
	zoom = Math.min(Math.max(z, 0.02), 4);
	svg.setAttribute('width', Math.round(W0 * zoom));
	svg.setAttribute('height', Math.round(H0 * zoom));
}

function fitZoom() {
	return Math.min(1, (drawing.clientWidth - 20) / W0);
}

/* ---- wiring ------------------------------------------------------------ */

input.placeholder = T.hint;
document.getElementById('search').addEventListener('submit', (ev) => {
	ev.preventDefault();
	search(input.value);
});
svg.addEventListener('click', (ev) => {
	const g = ev.target.closest('[data-block]');
	if (g)
		select(g.dataset.block);
});
document.addEventListener('click', (ev) => {
	const a = ev.target.closest('a[data-goto]');
	if (a) {
		ev.preventDefault();
		select(a.dataset.goto);
	}
});
document.getElementById('zoom').addEventListener('click', (ev) => {
	const z = ev.target.closest('button') && ev.target.closest('button').dataset.zoom;
	if (z === 'in')
		setZoom(zoom * 1.5);
	else if (z === 'out')
		setZoom(zoom / 1.5);
	else if (z === 'fit')
		setZoom(fitZoom(), true);
	else if (z === 'one')
		setZoom(1);
});
document.addEventListener('keydown', (ev) => {
	if (ev.key === '/' && document.activeElement !== input) {
		ev.preventDefault();
		input.focus();
	}
});

function fromHash() {
	const h = decodeURIComponent(location.hash.slice(1));
	let m;
	if ((m = /^block-(\d+)$/.exec(h))) {
		select(m[1]);
	} else if ((m = /^path=(.*)$/.exec(h))) {
		input.value = m[1];
		search(m[1]);
	}
}
window.addEventListener('hashchange', fromHash);

window.addEventListener('resize', () => {
	if (fitting)
		setZoom(fitZoom(), true);
});

/* A wide tree starts fitted when that keeps boxes readable, else 1:1. */
if (fitZoom() < 1 && fitZoom() >= 0.5)
	setZoom(fitZoom(), true);
if (location.hash)
	fromHash();
else
	reveal(svg.querySelector('[data-level="header"]'), 'instant');

/*
 * For scripts and tests: the walk of a key (text as the search box takes
 * it) as `path` lines, without touching the page; null for a bad key.
 */
window.xbtPath = (text) => {
	let key;
	try {
		key = T.parse(text.trim().split(/[ \t]+/).filter((s) => s.length));
	} catch (e) {
		if (e instanceof KeyError)
			return null;
		throw e;
	}
	return descend(key).steps.map((s) => 'level ' + s.level + ' block ' +
		s.bno + ' slot ' + s.slot).join('\n');
};
})();
