#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# html_browser.py: drive a tree.html page in a real browser (headless
# Chromium through chromedriver and Selenium) for tests/integration/html.sh.
#
#   html_browser.py URL OUTDIR STEP...
#   html_browser.py --serve
#
# One browser session opens URL (file://...) and runs the steps in order;
# step I (from 1) writes what it saw to OUTDIR/I, so the shell compares
# it with what the mount says.  Steps:
#
#   blocks          one "BLOCK LEVEL" line per box with data-block, in
#                   document order
#   bad             one "BLOCK" line per box with the class bad, then its
#                   tooltip's lines indented by a tab
#   click BLOCK     click the box of BLOCK (a real mouse click); write the
#                   pane's title line, then the decoded text (the text of
#                   #block-detail pre.decoded, exactly)
#   ptr SLOT        click the link of ptrs[SLOT] in the pane; write as click
#   search KEY      type KEY into #key-search and press Enter; write the
#                   lines of #search-result, then "on-path B1 B2 ..." (the
#                   boxes with the class on-path, in document order)
#   paths FILE      walk each line of FILE as a key with the page's own
#                   search (window.xbtPath); write the paths one after
#                   another, "level L block B slot S" lines ("null" for a
#                   key the page refuses)
#   shot FILE       save a screenshot of the window as FILE (PNG)
#   window WxH      resize the window (as the first step: before the
#                   page opens)
#
# Exit status: 0 when every step ran, 1 when one failed (the reason on
# stderr), 77 when Chromium or chromedriver is missing (the test is then
# skipped, never passed; a missing Selenium fails).  Debian's
# python3-selenium loads in /usr/bin/python3, hence the interpreter line.
#
# With --serve, one Chromium serves every request read from standard
# input, as the tests' helpers serve theirs (helper_serve.h has the
# protocol: "DIR NUL N NUL ARG1 NUL ... ARGN NUL" in, "NUL STATUS
# newline" out): starting Chromium costs seconds, and html.sh browses
# five btrees.  Each request starts at the default window size with the
# browser's log drained.  The profile directory goes in $XFBT_BROWSER_TMP
# (default: the system's), and goes away at the end of input or on
# SIGTERM.
import os
import shutil
import signal
import sys
import tempfile

SKIP = 77

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError as e:
    # A missing python3-selenium is a missing test dependency: fail.
    print('html_browser: no selenium (%s): install python3-selenium' % e,
          file=sys.stderr)
    sys.exit(1)


def find_program(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def start(profile):
    browser = find_program('chromium', 'chromium-browser')
    driver = find_program('chromedriver')
    if not browser or not driver:
        print('SKIP: chromium or chromedriver is missing', file=sys.stderr)
        sys.exit(SKIP)
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ('--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
                '--no-first-run', '--window-size=1400,900',
                '--user-data-dir=' + profile):
        opts.add_argument(arg)
    if os.geteuid() == 0:
        opts.add_argument('--no-sandbox')
    return webdriver.Chrome(service=Service(driver), options=opts)


def pane_text(drv):
    title = drv.find_element(By.CSS_SELECTOR, '#block-detail h2').text
    pre = drv.find_elements(By.CSS_SELECTOR, '#block-detail pre.decoded')
    text = drv.execute_script('return arguments[0].textContent', pre[0]) \
        if pre else ''
    return title + '\n' + text


def run(drv, steps, outdir):
    n = 0
    i = 0
    while i < len(steps):
        op = steps[i]
        arg = steps[i + 1] if op != 'blocks' and op != 'bad' else None
        i += 1 if arg is None else 2
        n += 1
        out = ''
        # (Lists in one script each: a call per element is slow.)
        if op == 'blocks':
            out = drv.execute_script(
                'return Array.from(document.querySelectorAll('
                '"svg [data-block]"), (e) => e.dataset.block + " " +'
                ' e.dataset.level + "\\n").join("")')
        elif op == 'bad':
            out = drv.execute_script(
                'return Array.from(document.querySelectorAll('
                '"svg .bad[data-block]"), (e) => {'
                ' const t = e.querySelector("title");'
                ' return e.dataset.block + "\\n" + (t ? t.textContent : "")'
                '.split("\\n").map((l) => "\\t" + l + "\\n").join("");'
                '}).join("")')
        elif op == 'click':
            box = drv.find_element(By.CSS_SELECTOR,
                                   'svg [data-block="%s"]' % arg)
            drv.execute_script('arguments[0].scrollIntoView({block: "center",'
                               ' inline: "center"})', box)
            box.click()
            out = pane_text(drv)
        elif op == 'ptr':
            links = drv.find_elements(By.CSS_SELECTOR,
                                      '#block-detail pre.decoded .ln')
            link = None
            for ln in links:
                if ln.get_attribute('textContent').startswith(
                        'keys[%s] = ' % arg):
                    link = ln.find_element(By.CSS_SELECTOR, 'a')
            if link is None:
                raise RuntimeError('no ptrs[%s] link in the pane' % arg)
            link.click()
            out = pane_text(drv)
        elif op == 'search':
            box = drv.find_element(By.ID, 'key-search')
            box.clear()
            box.send_keys(arg + Keys.ENTER)
            res = drv.find_element(By.ID, 'search-result')
            out = res.get_attribute('innerText').rstrip('\n') + '\n'
            on = drv.find_elements(By.CSS_SELECTOR, 'svg .on-path[data-block]')
            out += 'on-path ' + ' '.join(e.get_attribute('data-block')
                                         for e in on) + '\n'
        elif op == 'paths':
            with open(arg) as f:
                keys = [l.rstrip('\n') for l in f if l.strip()]
            out = drv.execute_script(
                'return arguments[0].map((k) => String(window.xbtPath(k)))'
                '.join("\\n") + "\\n"', keys)
        elif op == 'shot':
            drv.save_screenshot(arg)
            out = arg + '\n'
        elif op == 'window':
            w, h = arg.split('x')
            drv.set_window_size(int(w), int(h))
        else:
            raise RuntimeError('unknown step ' + op)
        with open(os.path.join(outdir, str(n)), 'w') as f:
            f.write(out)


def browse(drv, url, outdir, steps):
    """One request: URL opened, STEPS run; returns the exit status."""
    try:
        drv.set_window_size(1400, 900)
        if len(steps) >= 2 and steps[0] == 'window':
            w, h = steps[1].split('x')
            drv.set_window_size(int(w), int(h))
        drv.get_log('browser')          # what an earlier page logged
        drv.set_page_load_timeout(60)
        drv.get(url)
        errors = [e for e in drv.get_log('browser')
                  if e.get('level') == 'SEVERE']
        if errors:
            raise RuntimeError('the page logged errors: %s' % errors)
        run(drv, steps, outdir)
        errors = [e for e in drv.get_log('browser')
                  if e.get('level') == 'SEVERE']
        if errors:
            raise RuntimeError('the page logged errors: %s' % errors)
    except Exception as e:  # one report, whatever Selenium raised
        print('html_browser: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 1
    return 0


def read_field(f):
    """One NUL-terminated field of a request; None at the end of input."""
    data = bytearray()
    while True:
        c = f.read(1)
        if not c:
            if data:
                raise RuntimeError('a request cut short')
            return None
        if c == b'\0':
            return data.decode()
        data += c


def serve():
    drv = None
    profile = None
    inp = sys.stdin.buffer
    # The replies get a descriptor of their own; what chromedriver and
    # Chromium (or anything else) print goes to standard error.
    out = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)

    def stop(signum, frame):
        raise SystemExit(1)
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            cwd = read_field(inp)
            if cwd is None:
                return 0
            args = [read_field(inp) for _ in range(int(read_field(inp)))]
            if None in args:
                raise RuntimeError('a request cut short')
            if len(args) < 2:
                print('usage: html_browser.py URL OUTDIR STEP...',
                      file=sys.stderr)
                status = 2
            else:
                os.chdir(cwd)
                if drv is None:
                    profile = tempfile.mkdtemp(
                        prefix='chromium.',
                        dir=os.environ.get('XFBT_BROWSER_TMP'))
                    try:
                        drv = start(profile)
                    except SystemExit as e:     # no browser: 77
                        status = e.code
                if drv is not None:
                    status = browse(drv, args[0], args[1], args[2:])
                os.chdir('/')
            out.write(b'\0%d\n' % status)
            out.flush()
    finally:
        # A second SIGTERM must not cut the browser's shutdown short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if drv is not None:
            drv.quit()
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)


def main():
    if sys.argv[1:] == ['--serve']:
        return serve()
    if len(sys.argv) < 3:
        print('usage: html_browser.py URL OUTDIR STEP...', file=sys.stderr)
        return 2
    url, outdir, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    profile = tempfile.mkdtemp(prefix='chromium.', dir=outdir)
    drv = start(profile)
    try:
        return browse(drv, url, outdir, steps)
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
