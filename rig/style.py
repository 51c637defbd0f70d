# SPDX-License-Identifier: GPL-2.0
"""Host-side style checks, counted as test cases by rig/vm.py test:
checkpatch --strict on every patch in patches/ and on every new kernel
source file of the overlay."""

import os
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KSRC = os.environ.get('KSRC', os.path.join(TOP, 'build', 'linux'))
OVERLAY_DIRS = ['drivers', 'include', 'lib', 'kernel', 'mm', 'Documentation',
                'tools/testing/selftests/vfio']
SOURCE_SUFFIXES = ('.c', '.h')

# The selftests follow tools/ conventions that checkpatch flags for kernel
# code but that user space cannot follow: volatile MMIO accessors, and no
# BIT_ULL() or __printf() outside the kernel.
TOOLS_IGNORE = 'VOLATILE,PREFER_DEFINED_ATTRIBUTE_MACRO,BIT_MACRO'


def _overlay_sources():
    out = subprocess.run(['git', 'ls-files', '--cached', '--others',
                          '--exclude-standard', '--'] + OVERLAY_DIRS,
                         cwd=TOP, capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split() if f.endswith(SOURCE_SUFFIXES)]


def _checkpatch(args):
    """checkpatch.pl on absolute paths, run outside any git tree: inside
    one, it checks "git diff" of a file with uncommitted changes instead of
    the file."""
    cmd = [os.path.join(KSRC, 'scripts', 'checkpatch.pl'), '--strict',
           '--no-tree', '--quiet', '--show-types', '--color=never'] + args
    r = subprocess.run(cmd, cwd='/', capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def run(out):
    """Record one case per patch and per overlay source file in @out."""
    series = os.path.join(TOP, 'patches', 'series')
    patches = [p.strip() for p in open(series) if p.strip() and not p.startswith('#')]
    for p in patches:
        ok, msg = _checkpatch([os.path.join(TOP, 'patches', p)])
        out.case(ok, f'checkpatch patches/{p}:\n{msg}')
    for f in _overlay_sources():
        extra = ['--ignore', TOOLS_IGNORE] if f.startswith('tools/') else []
        ok, msg = _checkpatch(extra + ['-f', os.path.join(TOP, f)])
        out.case(ok, f'checkpatch {f}:\n{msg}')
