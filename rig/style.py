# SPDX-License-Identifier: GPL-2.0
"""Host-side style checks, counted as test cases by rig/vm.py test:
checkpatch --strict on every patch in patches/ and on every new kernel
source file of the overlay, and sparse on the overlay's kernel objects and
the patched files that sparse reads cleanly in 6.12; and a compile of
each changed object of a driver the test machine cannot run; and
Debian's own amd64 and cloud-amd64 configurations with the project's
options through olddefconfig, which must keep every one of them."""

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
# libdrm's API is CamelCase; every call into it lives in this file
CAMELCASE_OK = ('tools/testing/selftests/vfio/drm_util.c',)


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


# Objects sparse checks: every overlay directory with kernel code, and the
# patched files whose 6.12 versions are sparse clean (kernel/dma/mapping.c
# is not: trace/events/dma.h overflows sparse's token expansion).
SPARSE_TARGETS = ['drivers/misc/edu_dma/', 'drivers/pci/p2pdma.o',
                  'drivers/iommu/dma-iommu.o', 'drivers/dma-buf/dma-buf-phys.o',
                  'drivers/dma-buf/dma-buf-phys-kunit.o', 'drivers/dma-buf/dma-buf.o',
                  'drivers/vfio/pci/vfio_pci_dmabuf.o', 'drivers/vfio/vfio_main.o',
                  'drivers/iommu/iommufd/dmabuf.o', 'drivers/iommu/iommufd/ioas_file.o',
                  'drivers/iommu/iommufd/pages.o', 'drivers/iommu/iommufd/io_pagetable.o',
                  'drivers/iommu/iommufd/main.o', 'mm/gup.o']
# vfio_pci_core.c and vfio_pci_config.c are not sparse clean in 6.12
# (pci_power_t comparisons, a vm_fault_t cast); our hooks there are calls.


def _sparse(out):
    kobj = os.environ.get('KOBJ', os.path.join(TOP, 'build', 'obj'))
    if not os.path.exists(os.path.join(kobj, '.config')):
        out.case(False, 'sparse: no configured kernel in ' + kobj)
        return
    env = dict(os.environ, CCACHE_BASEDIR=TOP, CCACHE_NOHASHDIR='1')
    r = subprocess.run(['make', '-C', KSRC, 'O=' + kobj, 'LOCALVERSION=',
                        'CC=ccache gcc', 'HOSTCC=ccache gcc', 'C=2', 'CHECK=sparse',
                        '-j%d' % os.cpu_count()] + SPARSE_TARGETS,
                       capture_output=True, text=True, env=env)
    found = [line for line in (r.stdout + r.stderr).splitlines()
             if ': warning:' in line or ': error:' in line]
    for t in SPARSE_TARGETS:
        mine = [line for line in found if t.rstrip('/').replace('.o', '') in line]
        out.case(r.returncode == 0 and not mine,
                 f'sparse {t}:\n' + '\n'.join(mine or [r.stderr[-2000:]]))


# Objects of drivers the test machine cannot run, built in their own
# configuration (base + compile fragments, build/obj-compile) as modules:
# each must compile with no warning (CONFIG_WERROR) whenever the series
# changes it. nvgrace-gpu is arm64 hardware; mlx5 and irdma are RDMA
# NICs QEMU does not model, whose dma-buf MRs the series makes revocable.
COMPILE_FRAGMENTS = ['rig/config/base.config', 'rig/config/compile.config']
COMPILE_OBJECTS = ['drivers/vfio/pci/nvgrace-gpu/main.o',
                   'drivers/infiniband/hw/mlx5/mr.o',
                   'drivers/infiniband/hw/irdma/verbs.o',
                   'drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.o',
                   'drivers/gpu/drm/xe/xe_dma_buf.o']


def _kmake(kobj):
    return ['make', '-C', KSRC, 'O=' + kobj, 'LOCALVERSION=', 'CC=ccache gcc',
            'HOSTCC=ccache gcc', '-j%d' % os.cpu_count()]


def _compile_config(kobj):
    """Configure @kobj from the compile fragments unless it already is;
    return an error message or None."""
    frags = [os.path.join(TOP, f) for f in COMPILE_FRAGMENTS]
    stamp = ''.join(open(f).read() for f in frags)
    stamp_file = os.path.join(kobj, '.rig-fragments')
    config = os.path.join(kobj, '.config')
    if (os.path.exists(config) and os.path.exists(stamp_file)
            and open(stamp_file).read() == stamp):
        return None
    os.makedirs(kobj, exist_ok=True)
    env = dict(os.environ, CCACHE_BASEDIR=TOP, CCACHE_NOHASHDIR='1')
    steps = [_kmake(kobj) + ['-s', 'tinyconfig'],
             [os.path.join(KSRC, 'scripts', 'kconfig', 'merge_config.sh'), '-m',
              '-O', kobj, config] + frags,
             _kmake(kobj) + ['-s', 'olddefconfig'],
             ['bash', os.path.join(TOP, 'rig', 'check-config.sh'), config] + frags]
    for cmd in steps:
        r = subprocess.run(cmd, cwd=KSRC, capture_output=True, text=True, env=env)
        if r.returncode:
            return ' '.join(cmd[:3]) + ':\n' + (r.stdout + r.stderr)[-3000:]
    with open(stamp_file, 'w') as f:
        f.write(stamp)
    return None


def _compile(out):
    kobj = os.path.join(TOP, 'build', 'obj-compile')
    err = _compile_config(kobj)
    out.case(err is None, 'compile: configuration of build/obj-compile:\n' + (err or ''))
    if err:
        return
    env = dict(os.environ, CCACHE_BASEDIR=TOP, CCACHE_NOHASHDIR='1')
    for obj in COMPILE_OBJECTS:
        r = subprocess.run(_kmake(kobj) + [obj], capture_output=True, text=True,
                           env=env)
        found = [line for line in (r.stdout + r.stderr).splitlines()
                 if 'warning:' in line or 'error:' in line]
        out.case(r.returncode == 0 and not found,
                 f'compile {obj} (=m, COMPILE_TEST):\n' +
                 '\n'.join(found or [(r.stdout + r.stderr)[-2000:]]))


# Debian's own configurations (linux-config-6.12) with the project's
# options on top: olddefconfig must keep every one of them.
DEBIAN_CONFIGS = '/usr/src/linux-config-6.12/config.amd64_none_{}.xz'
DEBIAN_FLAVOURS = ['amd64', 'cloud-amd64']
DEBIAN_FRAGMENT = 'rig/config/debian.config'


def _debian_configs(out):
    env = dict(os.environ, CCACHE_BASEDIR=TOP, CCACHE_NOHASHDIR='1')
    frag = os.path.join(TOP, DEBIAN_FRAGMENT)
    for flavour in DEBIAN_FLAVOURS:
        src = DEBIAN_CONFIGS.format(flavour)
        kobj = os.path.join(TOP, 'build', 'obj-debian-' + flavour)
        config = os.path.join(kobj, '.config')
        label = f'config: Debian {flavour} + {DEBIAN_FRAGMENT} through olddefconfig'
        if not os.path.exists(src):
            out.case(False, f'{label}:\n{src} is missing (linux-config-6.12)')
            continue
        os.makedirs(kobj, exist_ok=True)
        with open(config, 'wb') as f:
            subprocess.run(['xz', '-dc', src], stdout=f, check=True)
        err = None
        for cmd in ([os.path.join(KSRC, 'scripts', 'kconfig', 'merge_config.sh'),
                     '-m', '-O', kobj, config, frag],
                    _kmake(kobj) + ['-s', 'olddefconfig'],
                    ['bash', os.path.join(TOP, 'rig', 'check-config.sh'), config, frag]):
            r = subprocess.run(cmd, cwd=KSRC, capture_output=True, text=True, env=env)
            if r.returncode:
                err = (r.stdout + r.stderr)[-3000:]
                break
        out.case(err is None, f'{label}:\n{err or ""}')


def run(out):
    """Record one case per patch and per overlay source file in @out."""
    series = os.path.join(TOP, 'patches', 'series')
    patches = [p.strip() for p in open(series) if p.strip() and not p.startswith('#')]
    for p in patches:
        ok, msg = _checkpatch([os.path.join(TOP, 'patches', p)])
        out.case(ok, f'checkpatch patches/{p}:\n{msg}')
    for f in _overlay_sources():
        ignore = TOOLS_IGNORE + (',CAMELCASE' if f in CAMELCASE_OK else '')
        extra = ['--ignore', ignore] if f.startswith('tools/') else []
        ok, msg = _checkpatch(extra + ['-f', os.path.join(TOP, f)])
        out.case(ok, f'checkpatch {f}:\n{msg}')
    _sparse(out)
    _compile(out)
    _debian_configs(out)
