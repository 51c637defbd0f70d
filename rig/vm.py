#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test machine under QEMU (TCG) and judge what ran on it.

The topologies and the test plans are defined once, in rig/topologies.py.
A run boots one plan's machine with a hard timeout, then judges it from
the logs only:

  console log (ttyS0)  kernel messages: KUnit's KTAP output and any splat
  results log (ttyS1)  the test programs' TAP output, framed by rig/init

A plan fails when a case fails, when fewer cases ran than the plan
expects (QEMU did not start, a program is missing, a suite was skipped),
when the console shows a splat, or when a host-side check of the ivshmem
backing file does not match.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import style  # noqa: E402
import topologies  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get('B', os.path.join(TOP, 'build'))
BZIMAGE = os.environ.get('BZIMAGE',
                         os.path.join(BUILD, 'obj/arch/x86/boot/bzImage'))
# The modular plan boots the kernel whose subsystems are modules
MODULAR_BZIMAGE = os.environ.get('MODULAR_BZIMAGE',
                                 os.path.join(BUILD, 'obj-modular/arch/x86/boot/bzImage'))
INITRAMFS = os.environ.get('INITRAMFS', os.path.join(BUILD, 'initramfs.cpio'))
# igt-gpu-tools and its libraries (rig/igt.sh): only the plans that run
# igt carry it, appended to the common initramfs
IGT_CPIO = os.environ.get('IGT_CPIO', os.path.join(BUILD, 'igt.cpio'))
IGT_VERSIONS = os.path.join(BUILD, 'igt', 'VERSIONS')
VMDIR = os.path.join(BUILD, 'vm')

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT = re.compile(r'^(\s*)(not ok|ok) (\d+)\s*-?\s*([^#]*?)\s*(#\s*(.*))?$')

# Console lines that mean the kernel is unhappy. Each is a failure unless a
# test announced it (RIG-EXPECT-FAULT for DMAR faults).
SPLATS = [
    ('warning', re.compile(r'WARNING:')),
    ('bug', re.compile(r'\bBUG:|kernel BUG at')),
    ('oops', re.compile(r'Oops:|general protection fault|Kernel panic')),
    ('kasan', re.compile(r'BUG: KASAN|KASAN: ')),
    ('ubsan', re.compile(r'UBSAN:')),
    ('lockdep', re.compile(r'possible (circular|recursive) locking|'
                           r'inconsistent lock state|suspicious RCU usage|'
                           r'lock held when returning')),
    ('kmemleak', re.compile(r'unreferenced object 0x|new suspected memory leaks')),
    ('hung task', re.compile(r'blocked for more than \d+ seconds')),
    ('stall', re.compile(r'rcu: INFO: .*stall|soft lockup')),
    ('trace', re.compile(r'Call Trace:')),
]
DMAR_FAULT = re.compile(r'DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault')


def fnv1a64(data):
    """Hash used by RIG-CHECK lines; tools/.../vfio/rig_check.h has the C twin."""
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


class Outcome:
    """Counts of one plan's run, plus the reasons it failed."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.problems = []
        self.notes = []

    def case(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.problems.append('failed: ' + what)

    def problem(self, what):
        """A failure of the run itself: counted as one failed case."""
        self.failed += 1
        self.problems.append(what)


def strip_ts(line):
    return TIMESTAMP.sub('', line.rstrip('\r\n'))


# How many of a failed case's diagnostic lines the summary shows
DIAG_LINES = 12


def tap_leaves(lines):
    """Leaf results of (K)TAP output: [(ok, name, directive, diagnostics)].

    A result line is a leaf when no deeper result line came right before
    it (KUnit prints a suite's cases indented above the suite's own line,
    and parameterised cases one level deeper again). The diagnostics are
    the indented or '#' lines printed since the previous result line (on
    the console, other kernel messages are not indented), so that a
    failure's reason reaches the summary."""
    leaves = []
    deeper_seen = {}
    diag = []
    for raw in lines:
        m = RESULT.match(raw.expandtabs(4))
        if not m:
            if raw[:1] in (' ', '\t', '#') and raw.strip():
                diag.append(raw.strip())
            continue
        depth = len(m.group(1)) // 4
        ok = m.group(2) == 'ok'
        name = m.group(4)
        directive = (m.group(6) or '').strip()
        if not deeper_seen.get(depth):
            leaves.append((ok, name, directive, diag[-DIAG_LINES:]))
        diag = []
        for d in list(deeper_seen):
            if d >= depth:
                deeper_seen[d] = False
        for d in range(depth):
            deeper_seen[d] = True
    return leaves


def judge_leaves(out, leaves, where, skips_allowed):
    """Count @leaves into @out. A skip is neither a pass nor a failure, but
    the plan states exactly how many a program or KUnit may have, or (a
    dict {case: why}) which of a program's cases skip on this machine: a
    skip of any other case is a failure."""
    skips = []
    for ok, name, directive, diag in leaves:
        upper = directive.upper()
        if upper.startswith('SKIP') and isinstance(skips_allowed, dict):
            why = directive[4:].strip()
            if name in skips_allowed:
                skips.append(f'{name} ({why})')
                out.notes.append(f'{where}: {name} skipped as the plan expects: '
                                 f'{skips_allowed[name]}')
            else:
                out.case(False, f'{where}: {name} skipped, which the plan does not '
                                f'expect: {why}')
        elif upper.startswith('SKIP'):
            skips.append(f'{name} ({directive[4:].strip()})')
        elif upper.startswith('XFAIL'):
            out.case(True, f'{where}: {name}')
        else:
            why = ''.join('\n      ' + d for d in diag) if not ok else ''
            out.case(ok, f'{where}: {name}{why}')
    out.skipped += len(skips)
    if isinstance(skips_allowed, dict):
        return
    if len(skips) != skips_allowed:
        out.problem(f'{where}: {len(skips)} cases skipped, the plan allows '
                    f'{skips_allowed}: ' + '; '.join(skips))


def parse_results(path):
    """Split the results log into {program: (lines, rc)} plus rig lines."""
    programs = {}
    checks = []
    expected_faults = 0
    current = None
    done = False
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('RIG-BEGIN '):
                current = line.split()[1]
                programs[current] = ([], None)
            elif line.startswith('RIG-END '):
                name, rc = line.split()[1], int(line.split('rc=')[1])
                programs[name] = (programs.get(name, ([], None))[0], rc)
                current = None
            elif line.startswith('RIG-DONE'):
                done = True
            elif 'RIG-CHECK ' in line:
                checks.append(line[line.index('RIG-CHECK '):])
            elif 'RIG-EXPECT-FAULT ' in line:
                expected_faults += int(line.split('RIG-EXPECT-FAULT ')[1].split()[0])
            if current and not line.startswith('RIG-BEGIN '):
                programs[current][0].append(line)
    return programs, checks, expected_faults, done


def run_host_checks(out, checks, files):
    for c in checks:
        fields = dict(kv.split('=', 1) for kv in c.split()[2:])
        label = c.split()[1]
        path = files.get(fields['file'])
        if not path:
            out.case(False, f'host check {label}: no host file "{fields["file"]}"')
            continue
        off, length = int(fields['offset'], 0), int(fields['length'], 0)
        with open(path, 'rb') as f:
            f.seek(off)
            data = f.read(length)
        got = fnv1a64(data) if len(data) == length else None
        want = int(fields['fnv1a64'], 16)
        ok = got == want
        out.case(ok, f'host check {label}: {fields["file"]}+{off:#x} '
                     f'len {length}: ' + ('bytes match' if ok else 'bytes differ'))
        out.notes.append(f'host check {label}: {length} bytes at '
                         f'{fields["file"]}+{off:#x} ' +
                         ('match' if ok else 'DIFFER'))


def scan_console(out, console, expected_faults):
    faults = 0
    shown = 0
    for i, line in enumerate(console):
        if DMAR_FAULT.search(line):
            faults += 1
            if faults <= expected_faults:
                continue
        for kind, rx in SPLATS + [('dmar fault', DMAR_FAULT)]:
            if rx.search(line):
                if shown < 3:
                    ctx = '\n      '.join(console[max(0, i - 2):i + 25])
                    out.problem(f'kernel splat ({kind}) on the console:\n      {ctx}')
                elif shown == 3:
                    out.problem('more splats: see the console log')
                shown += 1
                break


# A TCG boot that prints nothing for this long before KUnit or /init
# started has hung in emulation (seen once: the guest clock froze during
# PCI enumeration of the epyc machine while another QEMU ran).
STALL_SECONDS = 180
# Console lines after which the guest runs the project's code: a silence
# after them is the kernel's or the tests' to answer for, never retried.
STARTED = ('KTAP version', 'Run /init')


# Once /init runs, its heartbeat puts a line on the console every 30 s
# (rig/init), and a hung task, a soft lockup or an RCU stall prints within
# 120 s. A console silent for this long after /init started means the
# emulator froze (seen once in CI: the drm plan's guest went silent for
# 1000 s in the middle of a test, with no hung-task report).
FROZEN_SECONDS = 240
INIT_STARTED = 'Run /init'
# A guest still running this long before the timeout dumps its blocked
# tasks and CPU stacks to the console (rig.dump_after, read by rig/init).
DUMP_BEFORE_TIMEOUT = 120


def boot_started(console, markers=STARTED):
    try:
        with open(console, errors='replace') as f:
            text = f.read()
    except OSError:
        return False
    return any(m in text for m in markers)


def qemu_state(pid, rundir):
    """Before a hung QEMU is killed: how busy it is (a deadlocked emulator
    sleeps, a guest that spins keeps its vCPUs busy) and every thread's
    stack (gdb, when the machine has it), into rundir/qemu-state.log."""
    def cpu_ticks():
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])
    path = os.path.join(rundir, 'qemu-state.log')
    try:
        before = cpu_ticks()
        time.sleep(5)
        busy = (cpu_ticks() - before) / os.sysconf('SC_CLK_TCK') / 5
    except (OSError, IndexError, ValueError):
        return
    with open(path, 'w') as f:
        f.write(f'QEMU pid {pid}: {busy * 100:.0f}% of a CPU over 5 s\n')
        f.flush()
        if shutil.which('gdb'):
            try:
                subprocess.run(['gdb', '-p', str(pid), '-batch', '-nx',
                                '-ex', 'thread apply all bt'],
                               stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=120)
            except subprocess.TimeoutExpired:
                f.write('gdb did not finish within 120 s\n')


def wait_qemu(proc, console, timeout):
    """Wait for QEMU: its exit code, 'timeout', 'stall' when the console
    stayed silent for STALL_SECONDS before the boot reached STARTED, or
    'frozen' when it stayed silent for FROZEN_SECONDS after /init started."""
    start = last_change = time.time()
    last_size = -1
    while True:
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        now = time.time()
        size = os.path.getsize(console) if os.path.exists(console) else 0
        if size != last_size:
            last_size, last_change = size, now
        silent = now - last_change
        why = None
        if silent > STALL_SECONDS and not boot_started(console):
            why = 'stall'
        elif silent > FROZEN_SECONDS and boot_started(console, (INIT_STARTED,)):
            why = 'frozen'
        elif now - start > timeout:
            why = 'timeout'
        if why:
            qemu_state(proc.pid, os.path.dirname(console))
            proc.kill()
            proc.wait()
            return why


def plan_initrd(plan, rundir):
    """The initrd @plan boots: the common initramfs, or for a plan that runs
    igt, the common initramfs with build/igt.cpio appended (the kernel
    unpacks concatenated newc archives in turn), written into @rundir."""
    if not plan.igt:
        return INITRAMFS
    path = os.path.join(rundir, 'initrd.cpio')
    with open(path + '.tmp', 'wb') as out:
        for part in (INITRAMFS, IGT_CPIO):
            with open(part, 'rb') as f:
                shutil.copyfileobj(f, out)
    os.replace(path + '.tmp', path)
    return path


def igt_versions():
    """'package version' of the igt packages the plan runs, as recorded by
    rig/igt.sh"""
    try:
        with open(IGT_VERSIONS) as f:
            rows = dict(line.split()[:2] for line in f if line.strip())
    except OSError:
        return 'unknown (build/igt/VERSIONS is missing)'
    return ', '.join(f'{p} {rows[p]}' for p in ('igt-gpu-tools-tests', 'igt-gpu-tools',
                                               'libc6') if p in rows) + ' (Debian unstable)'


def boot(plan, rundir, timeout, interactive=False, kernel=None):
    """Start QEMU for @plan. Returns (rc, seconds, host files)."""
    os.makedirs(rundir, exist_ok=True)
    console = os.path.join(rundir, 'console.log')
    results = os.path.join(rundir, 'results.log')
    for p in (console, results, os.path.join(rundir, 'qemu-state.log')):
        if os.path.exists(p):
            os.unlink(p)
    args, files = topologies.qemu_args(plan, rundir)
    cmdline = topologies.kernel_cmdline(plan, interactive)
    if not interactive:
        cmdline += f' rig.dump_after={max(60, timeout - DUMP_BEFORE_TIMEOUT)}'
    cmd = ['qemu-system-x86_64'] + args + [
        '-kernel', kernel or BZIMAGE, '-initrd', plan_initrd(plan, rundir),
        '-append', cmdline,
        '-no-reboot', '-display', 'none',
    ]
    if interactive:
        cmd += ['-serial', 'mon:stdio', '-serial', 'file:' + results]
    else:
        cmd += ['-monitor', 'none', '-serial', 'file:' + console,
                '-serial', 'file:' + results]
    with open(os.path.join(rundir, 'qemu.cmd'), 'w') as f:
        f.write(' '.join(cmd) + '\n')
    start = time.time()
    if interactive:
        return subprocess.call(cmd), time.time() - start, files
    with open(os.path.join(rundir, 'qemu.log'), 'w') as qlog:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog,
                                stderr=subprocess.STDOUT)
        rc = wait_qemu(proc, console, timeout)
    return rc, time.time() - start, files


def emulator_failure(rc):
    """Why a boot failed in the emulator rather than in the guest, or None.

    A stall is an emulation hang before the project's code ran; a signal
    is QEMU crashing (QEMU 7.2 under TCG segfaulted once, under
    vfio_dmabuf_test's stress case on epyc). A guest panic powers off
    (-no-reboot) with exit code 0 and is judged like any boot."""
    if rc == 'stall':
        return (f'the boot stalled {STALL_SECONDS} s before KUnit or /init '
                'started (TCG hang)')
    if rc == 'frozen':
        return (f'the guest froze: no console output for {FROZEN_SECONDS} s '
                'after /init started, heartbeat included (TCG hang)')
    if isinstance(rc, int) and rc < 0:
        return f'QEMU died of signal {-rc}'
    return None


def keep_logs(rundir, kind):
    """Copy a boot's logs aside as <log>-<kind>; return their prefix and
    the console's last line."""
    prefix = os.path.join(rundir, kind)
    for name in ('console.log', 'results.log', 'qemu.log', 'qemu-state.log'):
        path = os.path.join(rundir, name)
        if os.path.exists(path):
            shutil.copyfile(path, f'{prefix}-{name}')
    last = '(nothing)'
    if os.path.exists(f'{prefix}-console.log'):
        lines = [strip_ts(x) for x in open(f'{prefix}-console.log', errors='replace')
                 if x.strip()]
        last = lines[-1] if lines else last
    return prefix, last


def partial_failures(prefix):
    """Failures in the logs of a boot the emulator cut short: failed cases
    and splats count; what never ran does not (the next boot runs it)."""
    tmp = Outcome('partial')
    console = []
    if os.path.exists(f'{prefix}-console.log'):
        console = [strip_ts(x) for x in open(f'{prefix}-console.log', errors='replace')]
    sources = [('kunit', tap_leaves(console))]
    expected_faults = 0
    if os.path.exists(f'{prefix}-results.log'):
        programs, _, expected_faults, _ = parse_results(f'{prefix}-results.log')
        sources += [(name, tap_leaves(lines)) for name, (lines, _) in programs.items()]
    for where, leaves in sources:
        for ok, name, directive, diag in leaves:
            if not ok and not directive.upper().startswith(('SKIP', 'XFAIL')):
                tmp.case(False, f'{where}: {name}' +
                         ''.join('\n      ' + d for d in diag))
    scan_console(tmp, console, expected_faults)
    return tmp.problems


def run_plan(plan, timeout, judge_only=False, kernel=None):
    """Boot @plan and judge its logs (or, with @judge_only, judge the logs
    of its last boot again)."""
    out = Outcome(plan.name)
    rundir = os.path.join(VMDIR, plan.name)
    kernel = kernel or plan_kernel(plan)
    for f in (kernel, INITRAMFS) + ((IGT_CPIO,) if plan.igt else ()):
        if not os.path.exists(f):
            out.problem(f'{f} is missing: run "make kernel modular initramfs igt"')
            return out
    if plan.igt:
        out.notes.append('igt: ' + igt_versions())
    if judge_only:
        rc, secs = 0, 0
        files = topologies.host_files(plan, rundir)
    else:
        rc, secs, files = boot(plan, rundir, timeout, kernel=kernel)
        why = emulator_failure(rc)
        if why:
            # QEMU, not the guest, failed: keep the logs, judge what ran
            # before it failed, and boot once more.
            kept, last = keep_logs(rundir, {'stall': 'stalled', 'frozen': 'frozen'}
                                   .get(rc, 'crashed'))
            earlier = partial_failures(kept)
            if os.path.exists(f'{kept}-qemu-state.log'):
                with open(f'{kept}-qemu-state.log', errors='replace') as f:
                    why += f' ({f.readline().strip()})'
            print(f'rig: {plan.name}: {why} after "{last}"; booting again '
                  f'(logs of that boot: {os.path.relpath(kept, TOP)}-*)')
            sys.stdout.flush()
            rc, more, files = boot(plan, rundir, timeout, kernel=kernel)
            secs += more
            for p in earlier:
                out.problem(f'in the boot before ({why}): {p}')
    out.seconds = secs
    console_path = os.path.join(rundir, 'console.log')
    results_path = os.path.join(rundir, 'results.log')
    state = os.path.join(rundir, 'qemu-state.log')
    if rc in ('timeout', 'frozen') and os.path.exists(state):
        with open(state, errors='replace') as f:
            out.notes.append(f.readline().strip() + ' before it was killed; '
                             f'threads: {os.path.relpath(state, TOP)}')
    if rc == 'timeout':
        out.problem(f'the machine did not power off within {timeout} s')
    elif rc == 'stall':
        out.problem(f'the boot stalled twice ({STALL_SECONDS} s without console '
                    'output before KUnit or /init started)')
    elif rc == 'frozen':
        out.problem(f'the guest froze twice ({FROZEN_SECONDS} s without console '
                    'output after /init started, heartbeat included)')
    elif rc != 0:
        qlog = open(os.path.join(rundir, 'qemu.log'), errors='replace').read()
        out.problem(f'QEMU exited with {rc}: {qlog.strip()[-600:]}')

    console = []
    if os.path.exists(console_path):
        console = [strip_ts(line) for line in open(console_path, errors='replace')]
    if not console:
        out.problem('the console log is empty: the kernel never started')

    # KUnit: every leaf case in the console's KTAP output.
    kunit = tap_leaves(console)
    judge_leaves(out, kunit, 'kunit', plan.kunit_skips)
    if len(kunit) != plan.kunit_cases:
        out.problem(f'kunit: {len(kunit)} cases ran, the plan expects {plan.kunit_cases}')

    programs, checks, expected_faults, done = ({}, [], 0, False)
    if os.path.exists(results_path):
        programs, checks, expected_faults, done = parse_results(results_path)
    if not done and rc not in ('timeout', 'stall', 'frozen'):
        out.problem('rig/init never reached the end of the plan')
    for name, want in plan.tests.items():
        lines, prc = programs.get(name, ([], None))
        leaves = tap_leaves(lines)
        judge_leaves(out, leaves, name, (plan.skips or {}).get(name, 0))
        if name == 'igt' and leaves:
            skipped = [n for _, n, d, _ in leaves if d.upper().startswith('SKIP')]
            failed = [n for ok, n, d, _ in leaves if not ok and n not in skipped]
            out.notes.append(f'igt: {len(leaves) - len(skipped) - len(failed)} subtests passed, '
                             f'{len(skipped)} skipped ({", ".join(skipped) or "-"}), '
                             f'{len(failed)} failed ({", ".join(failed) or "-"}); '
                             'each one\'s result and time: ' +
                             os.path.relpath(results_path, TOP))
        if len(leaves) != want:
            out.problem(f'{name}: {len(leaves)} cases ran, the plan expects {want}')
        if prc is None:
            out.problem(f'{name}: never finished')
        elif prc != 0 and all(leaf[0] for leaf in leaves):
            out.problem(f'{name}: exit code {prc} although its cases passed')
    for name in programs:
        if name not in plan.tests:
            out.problem(f'{name} ran but the plan does not count it')

    # KUnit suites ask for host checks on the console.
    checks += [line[line.index('RIG-CHECK '):] for line in console
               if 'RIG-CHECK ' in line]
    run_host_checks(out, checks, files)
    if len(checks) < plan.host_checks:
        out.problem(f'{len(checks)} host checks requested, the plan expects {plan.host_checks}')
    scan_console(out, console, expected_faults)
    return out


def report(out, verbose=True):
    status = 'PASS' if not out.failed else 'FAIL'
    secs = getattr(out, 'seconds', 0)
    skipped = f', {out.skipped} skipped' if out.skipped else ''
    print(f'{status} {out.name}: {out.passed} passed, {out.failed} failed{skipped} ({secs:.0f} s)')
    for p in out.problems:
        print('    ' + p)
    for n in out.notes:
        if n.startswith('igt'):
            print('    ' + n)
    if out.failed:
        print(f'    logs: {os.path.relpath(os.path.join(VMDIR, out.name), TOP)}/')
    sys.stdout.flush()


def plan_kernel(plan):
    """The bzImage @plan boots."""
    return MODULAR_BZIMAGE if plan.modular else BZIMAGE


def plan_inputs(plan):
    """Hash of everything a boot of @plan depends on: the kernel, the guest,
    the plan, the rig code and the QEMU binary."""
    h = hashlib.sha256(repr(plan).encode())
    rig = os.path.dirname(os.path.abspath(__file__))
    for path in (plan_kernel(plan), INITRAMFS, os.path.join(rig, 'vm.py'),
                 os.path.join(rig, 'topologies.py'), shutil.which('qemu-system-x86_64')) + \
            ((IGT_CPIO,) if plan.igt else ()):
        with open(path, 'rb') as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def cached_outcome(plan):
    """The outcome of the last run of @plan if it passed with the same
    inputs, else None."""
    try:
        with open(os.path.join(VMDIR, plan.name, 'passed.json')) as f:
            last = json.load(f)
    except (OSError, ValueError):
        return None
    if last.get('inputs') != plan_inputs(plan):
        return None
    out = Outcome(plan.name)
    out.passed, out.skipped, out.seconds = last['passed'], last['skipped'], 0
    out.notes.append('unchanged since its last passing run: not booted again '
                     '(FORCE=1 / --force boots it)')
    return out


def record_outcome(plan, out):
    path = os.path.join(VMDIR, plan.name, 'passed.json')
    if out.failed or not out.passed:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, 'w') as f:
        json.dump({'inputs': plan_inputs(plan), 'passed': out.passed,
                   'skipped': out.skipped}, f)


def test_plan(plan, args):
    """Run @plan, unless it passed last time with exactly the same inputs
    and --force was not given (CI's fresh clone never has such a record)."""
    if not args.force and not args.judge:
        out = cached_outcome(plan)
        if out:
            return out
    stale = os.path.join(VMDIR, plan.name, 'passed.json')
    if os.path.exists(stale):
        os.unlink(stale)
    out = run_plan(plan, args.timeout, args.judge)
    record_outcome(plan, out)
    return out


def cmd_test(args):
    plans = topologies.PLANS
    wanted = args.plan.split(',') if args.plan else None
    if wanted:
        plans = [p for p in plans if p.name in wanted]
        if not plans and 'style' not in wanted:
            sys.exit(f'no plan named {args.plan}; see "rig/vm.py plans"')
    if args.only:
        # A development loop: one program of each plan that has it (after
        # the plan's module loaders, which a modular plan needs), no
        # KUnit, no host-check count, never recorded as a plan's pass.
        plans = [p._replace(name=p.name + '-only', kunit='', kunit_cases=0,
                            kunit_skips=0, host_checks=0,
                            tests={k: v for k, v in p.tests.items()
                                   if k == args.only or k.endswith('_modules_load')})
                 for p in plans if args.only in p.tests]
        if not plans:
            sys.exit(f'no plan runs {args.only}; see "rig/vm.py plans"')
        args.force = True
    passed = failed = skipped = 0
    start = time.time()
    if (not wanted or 'style' in wanted) and not args.only:
        out = Outcome('style')
        style.run(out)
        report(out)
        passed += out.passed
        failed += out.failed
    # Plans boot in parallel: a TCG boot is mostly one busy vCPU.
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outs = list(pool.map(lambda p: test_plan(p, args), plans))
    for out in outs:
        report(out)
        for n in out.notes:
            if n.startswith('unchanged'):
                print('    ' + n)
        passed += out.passed
        failed += out.failed
        skipped += out.skipped
    print(f'rig: {len(plans)} plans in {time.time() - start:.0f} s')
    print(f'{passed} passed, {failed} failed' + (f', {skipped} skipped' if skipped else ''))
    return 1 if failed or not passed else 0


def cmd_plans(args):
    print(f'{"style":18} checkpatch --strict on patches/ and the overlay (host)')
    for p in topologies.PLANS:
        print(f'{p.name:18} cpu {p.cpu:5} topologies {",".join(p.topologies)}; '
              f'kunit {p.kunit_cases} ({p.kunit_skips} skipped); '
              f'tests {", ".join(f"{k}({v})" for k, v in p.tests.items()) or "-"}; '
              f'host checks {p.host_checks}' +
              ('; kernel build/obj-modular' if p.modular else '') +
              ('; initrd + build/igt.cpio' if p.igt else ''))
        for prog, cases in (p.skips or {}).items():
            for case, why in cases.items():
                print(f'{"":18} may skip {prog}: {case}: {why}')
        if p.igt:
            print(f'{"":18} igt subtests: {", ".join(topologies.IGT_SUBTESTS)}')
    return 0


def cmd_shell(args):
    plan = topologies.shell_plan(args.cpu)
    rc, _, files = boot(plan, os.path.join(VMDIR, 'shell-' + args.cpu),
                        None, interactive=True)
    return rc


def cmd_demo(args):
    return topologies.demo(run_plan, args.timeout)


def cmd_bench(args):
    return topologies.bench(run_plan, args.timeout)


def cmd_bench_mainline(args):
    kernels = [('project', BZIMAGE), ('mainline', args.mainline)]
    if args.stock:
        kernels.append(('stock-6.12', args.stock))
    return topologies.bench_mainline(run_plan, args.timeout, kernels, args.rounds)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--timeout', type=int, default=1200,
                    help='hard limit for one boot, in seconds (default 1200)')
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('test', help='run every plan (or --plan a,b)')
    t.add_argument('--plan')
    t.add_argument('--jobs', type=int, default=2, help='plans booted at once')
    t.add_argument('--force', action='store_true',
                   default=bool(os.environ.get('FORCE')),
                   help='boot every plan, even one that passed with the same inputs')
    t.add_argument('--only', metavar='PROGRAM',
                   help='boot only the plans that run PROGRAM and run only it')
    t.add_argument('--judge', action='store_true',
                   help='judge the logs of the last boot again, without booting')
    t.set_defaults(func=cmd_test)
    sub.add_parser('plans', help='list the plans').set_defaults(func=cmd_plans)
    s = sub.add_parser('shell', help='boot a topology with a shell on the console')
    s.add_argument('--cpu', default='q35', choices=['q35', 'epyc'])
    s.set_defaults(func=cmd_shell)
    sub.add_parser('demo', help='the main job').set_defaults(func=cmd_demo)
    sub.add_parser('bench', help='benchmarks: print the tables').set_defaults(func=cmd_bench)
    m = sub.add_parser('bench-mainline',
                       help='the side-by-side benchmark against a mainline bzImage')
    m.add_argument('--mainline', required=True, help="mainline's bzImage")
    m.add_argument('--stock', help="stock 6.12's bzImage (the base paths only)")
    m.add_argument('--rounds', type=int, default=2)
    m.set_defaults(func=cmd_bench_mainline)
    args = ap.parse_args()
    if not shutil.which('qemu-system-x86_64'):
        sys.exit('qemu-system-x86_64 is missing: run "make deps"')
    sys.exit(args.func(args))


if __name__ == '__main__':
    main()
