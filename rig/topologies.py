# SPDX-License-Identifier: GPL-2.0
"""The test machine's topologies and the test plans: the one place they live.

A topology places one P2P pair on the q35 machine:
  ivshmem-plain  the provider: BAR2 (16 MiB) is a file on the host
                 (share=on), so what a device writes into the BAR can be
                 read on the host after the guest stopped
  edu            the client: a DMA engine copying between its 4 KiB
                 buffer and a bus address

  rootbus       both on the root bus (pcie.0), meeting at the host bridge
  switch        both behind one PCIe switch (x3130 upstream, two xio3130
                downstream ports). Each device gets its own IOMMU group,
                but QEMU 7.2's downstream ports offer no ACS redirect
                control, so the kernel never sends their P2P up to the
                host bridge (pci=config_acs= finds nothing to set): P2P
                stays below the switch, by bus address. A switch with ACS
                redirect cannot be modelled with this QEMU.
  rootports     each on its own PCIe root port, meeting at the host bridge

A TCG boot of a KASAN+lockdep kernel takes most of a minute, so one
machine carries every topology at once (tests find each pair by the root
bus slot it hangs from) and the plans boot it with two CPUs:
  q35    the default TCG CPU. The q35 host bridge (8086:29c0) is not on the
         kernel's P2P allow-list: P2P through it is "not supported".
  epyc   -cpu EPYC: an AMD family 17h CPU, for which 6.12 allows P2P
         through the host bridge. Booted with iommu=pt, so edu's DMA is
         untranslated and the bus-address and dma-direct paths move data.

The edu DMA engine reaches every pair's BAR in both boots whatever the PCI
core answers: QEMU routes the DMA. The answer is what the KUnit suites
check; the data tests check the DMA API and the bus-address arithmetic.
"""

import os
import sys
import time
from collections import namedtuple

IVSHMEM_SIZE = 16 << 20
MEMORY = '512M'
EDU_DMA_BITS = 40

# Kernel command line common to every boot. TCG is slow: the hung-task
# and RCU-stall detectors get more slack than on hardware (a sysctl set
# from the command line: hung_task_timeout_secs alone is no boot parameter).
CMDLINE = ('console=ttyS0,115200 intel_iommu=on iommu.strict=1 panic=-1 '
           'hugepages=16 sysctl.kernel.hung_task_timeout_secs=240 '
           'rcupdate.rcu_cpu_stall_timeout=120 '
           f'kmemleak=on no_hash_pointers edu_dma.dma_bits={EDU_DMA_BITS}')

# name: (QEMU devices for ports, ivshmem bus, edu bus, root slots, cmdline)
# The root slot of a device is its own slot on the root bus, or that of
# the root port above it: how the tests tell the pairs apart.
TOPOLOGIES = {
    'rootbus': ([], 'pcie.0,addr=0x3', 'pcie.0,addr=0x4', ('03.0', '04.0'), ''),
    'switch': ([
        'pcie-root-port,id=rp5,bus=pcie.0,addr=0x5,chassis=5,slot=5',
        'x3130-upstream,id=up5,bus=rp5',
        'xio3130-downstream,id=dn5a,bus=up5,addr=0x0,chassis=51,slot=0',
        'xio3130-downstream,id=dn5b,bus=up5,addr=0x1,chassis=52,slot=0',
    ], 'dn5a', 'dn5b', ('05.0', '05.0'), ''),
    'rootports': ([
        'pcie-root-port,id=rp7,bus=pcie.0,addr=0x7,chassis=7,slot=7',
        'pcie-root-port,id=rp8,bus=pcie.0,addr=0x8,chassis=8,slot=8',
    ], 'rp7', 'rp8', ('07.0', '08.0'), ''),
}

# What the PCI core must answer for each pair: (map type, distance).
EXPECT = {
    'q35': {'rootbus': ('none', -1), 'switch': ('bus', 4), 'rootports': ('none', -1)},
    'epyc': {'rootbus': ('host-bridge', 2), 'switch': ('bus', 4),
             'rootports': ('host-bridge', 4)},
}

NVME = ['-drive', 'if=none,id=nvm0,format=raw,file={dir}/nvme.img',
        '-device', 'nvme,serial=p2pdmabuf0,drive=nvm0,cmb_size_mb=16,bus=pcie.0,addr=0x9']

# modular: boots the modular kernel (build/obj-modular) and its modules.
# igt: the initrd also carries build/igt.cpio (rig/igt.sh: igt-gpu-tools
# from Debian's newer suite), appended to the common initramfs.
# skips: {program: {case: why}}, the cases of a program that skip on this
# machine; any other skip of a program's case is a failure.
Plan = namedtuple('Plan', 'name cpu cmdline topologies nvme kunit tests kunit_cases '
                          'kunit_skips host_checks modular igt skips',
                  defaults=(False, False, None))

# Cases each program must report; the runner fails a plan when fewer or
# more ran.
SELFTESTS = {'vfio_iommufd_baseline_test': 12, 'vfio_type1_p2p_test': 2,
             'p2pmem_nvme_cmb_test': 3}
DMABUF_TESTS = {'vfio_dmabuf_test': 103}
# Fault injection (fail-nth) on every allocation of the dma-buf ioctls:
# 2 exports, 7 iommufd cases, 2 importer ioctls in 2 import modes, and
# the RDMA registration.
FAILNTH_TESTS = {'vfio_dmabuf_fail_nth': 14}
# iommufd attaches VFIO devices to its own paging domains whatever the
# default domain type, so MAP_FILE tests the same on either plan: it runs
# on epyc, whose boot is shorter, to balance the two (TCG, two cores).
MAPFILE_TESTS = {'vfio_iommufd_dmabuf_test': 65}
# The UAPI fuzzer: one case, epyc only (the edu_dma importer's DMA to a bus
# address moves data only untranslated). FUZZ_SECONDS= and FUZZ_SEED= in
# the environment of "make test" give it another budget or seed.
FUZZ_TESTS = {'vfio_dmabuf_fuzz': 1}
# RDMA memory registration of the exporter's dma-bufs on the edu_rdma
# test device: 8 cases per pair, 3 argument cases, the pinned importer.
RDMA_TESTS = {'vfio_rdma_dmabuf_test': 8 * len(TOPOLOGIES) + 4}
# Its host checks: where data moves (epyc), 8 per pair (the bytes
# written, the bytes that stayed after each revoke, a dynamic MR's after
# its restore and next to its refused write). On q35 only the switch pair
# registers: its 3 revoke and 2 dynamic checks; every pair checks the page
# next to the dynamic MR's refused write.
RDMA_CHECKS_EPYC = 8 * len(TOPOLOGIES)
RDMA_CHECKS_Q35 = 4 + len(TOPOLOGIES)
# dmabuf-test rdma on the rootbus pair (epyc): one case, a host check per
# slice
RDMA_TOOL = {'dmabuf_rdma': 1}
RDMA_TOOL_CHECKS = 2
# The modular plan's own programs: load every module, and after the
# selftests unload, reload and use them again
MODULES_LOAD = {'vfio_modules_load': 9}
MODULES_RELOAD = {'vfio_modules_reload': 7}
# Mainline 7.2's own iommufd selftests (rig/iommufd-mainline.sh: Debian's
# linux-source-7.2, built at test time) against iommufd's test module:
# change_process under 3 accounting modes, dmabuf_simple and
# dmabuf_revoke of the mock dma-buf exporter in 3 IOAS variants, and the
# 7 tests of each of the 2 memfd variants of the mock-domain fixture
IOMMUFD_MAINLINE_TESTS = {'iommufd_mainline': 3 + 2 * 3 + 7 * 2}
# The drm plan: the DRM core, vgem, vkms and edu_drm loaded with modprobe
# (4 cases) and the kernel left untainted
DRM_MODULES_LOAD = {'drm_modules_load': 5}
# igt-gpu-tools (Debian's newer suite, rig/igt.sh) against vgem and vkms:
# each subtest is one case, run alone as TEST --run-subtest SUBTEST (and
# --dynamic-subtest DYNAMIC for TEST@SUBTEST@DYNAMIC), exit 0 pass, 77
# skip, anything else a failure. rig/igt.sh refuses to pack an igt whose
# --list-subtests lacks one of them (the plan takes the suite's current
# version, it does not pin one).
IGT_SUBTESTS = [
    # The kernel's CONFIG_DMABUF_SELFTESTS (dmabuf_selftests.ko), one
    # selftest per module load. First: igt runs them only on a kernel that
    # no WARN has tainted yet
    *('dmabuf@all-tests@' + s for s in (
        'sanitycheck', 'dma_fence', 'dma_fence_chain', 'dma_fence_unwrap', 'dma_resv')),
    # Every subtest of vgem_basic, in its own order: unload first (vgem
    # must unload, stay loaded while a handle, dma-buf or mmap holds it,
    # and the next test loads it again through igt's libkmod);
    # dmabuf-export imports vgem's buffer into vkms (IGT_FORCE_DRIVER=vkms:
    # a real attach to another device, not vgem importing its own)
    *('vgem_basic@' + s for s in (
        'unload', 'setversion', 'second-client', 'create', 'mmap', 'bad-flag',
        'bad-pad', 'bad-handle', 'bad-fence', 'busy-fence', 'dmabuf-export',
        'dmabuf-mmap', 'dmabuf-fence', 'dmabuf-fence-before', 'sysfs', 'debugfs')),
    # sync_file export and import on vgem's dma-bufs (import: sw_sync fences)
    *('dmabuf_sync_file@' + s for s in (
        'export-basic', 'export-before-signal', 'export-multiwait',
        'export-wait-after-attach', 'import-basic', 'import-multiple-read-only',
        'import-multiple-read-write')),
    # vgem exports a dumb buffer of each of three colours, vkms imports it
    # and scans it out; its CRC must equal that of vkms's own buffer of the
    # colour and differ from the others (the other subtests need two
    # display devices or i915). igt 2.5 fails it on any importer that is
    # not Intel's: rig/igt.sh preloads the fix (see there)
    'kms_prime@basic-crc-vgem',
]
IGT_TESTS = {'igt': len(IGT_SUBTESTS)}
IGT_SKIPS = {
    'dmabuf@all-tests@dma_fence_chain':
        'igt 2.5 runs it only on machines of 25000 BogoMIPS or more (its '
        'wait-backward case can trigger soft lockups on slower ones); two TCG '
        'vCPUs have about 2 x 4200',
}
# The kernel's tools/testing/selftests/dmabuf-heaps (static): 11 cases per
# heap in /dev/dma_heap, and the rig's kernels have one, "system"; its
# import case imports each heap buffer into vgem
DMABUF_HEAPS_TESTS = {'dmabuf-heap': 11}
# The DRM importer's selftest (vfio_drm_dmabuf_test, libdrm): on the drm
# plan (untranslated) its host checks are the bytes moved and kept per
# pair: import 2, re-export 1, decode 3, reset 3, close 2, close orders 4
DRM_TESTS = {'vfio_drm_dmabuf_test': 36}
DRM_CHECKS_EPYC = 15 * len(TOPOLOGIES)
# dmabuf-test drm on the rootbus pair: one case, a host check per slice
DRM_TOOL = {'dmabuf_drm': 1}
DRM_TOOL_CHECKS = 2
FUZZ_CMDLINE = ' '.join(f'rig.{word}={os.environ[var]}' for var, word in
                        (('FUZZ_SECONDS', 'fuzz_seconds'), ('FUZZ_SEED', 'fuzz_seed'))
                        if os.environ.get(var))
# The fuzzer's host checks: the untouched and the fuzzed part of the BAR
FUZZ_CHECKS = 2
# vfio_iommufd_dmabuf_test: 17 checks per pair, 4 from the "many" cases,
# 1 from the variant window and 2 from the refused split.
MAPFILE_CHECKS = 17 * len(TOPOLOGIES) + 7
# vfio_dmabuf_test's host checks: per pair, the bytes that stayed in place
# after each refused transfer (7); untranslated, also the bytes moved (5).
DMABUF_CHECKS_Q35 = 7 * len(TOPOLOGIES)
DMABUF_CHECKS_EPYC = 12 * len(TOPOLOGIES) + MAPFILE_CHECKS
KUNIT_GLOB = '*p2p*'
TOPOLOGY_KUNIT_CASES = 5 + 3 * len(TOPOLOGIES)   # per-machine + per-pair
EDU_KUNIT_CASES = 7 + 2 * len(TOPOLOGIES)
DMABUF_PHYS_KUNIT_CASES = 11                     # suite dma_buf_phys_p2p


def plan(name, cpu, cmdline='', tests=None, kunit_skips=0, nvme=False,
         host_checks=0):
    return Plan(name, cpu, cmdline, list(TOPOLOGIES), nvme, KUNIT_GLOB,
                tests or {},
                TOPOLOGY_KUNIT_CASES + EDU_KUNIT_CASES + DMABUF_PHYS_KUNIT_CASES,
                kunit_skips, host_checks)


PLANS = [
    # Translated DMA: the bus-address case has no path and skips.
    plan('q35', 'q35', tests={**SELFTESTS, **DMABUF_TESTS, **RDMA_TESTS, **FAILNTH_TESTS},
         nvme=True, kunit_skips=1,
         host_checks=2 + len(TOPOLOGIES) + 1 + DMABUF_CHECKS_Q35 + RDMA_CHECKS_Q35),
    # Untranslated DMA: the IOMMU translation and bounce cases skip.
    plan('epyc', 'epyc', cmdline=' '.join(w for w in ('iommu=pt', FUZZ_CMDLINE) if w),
         tests={**DMABUF_TESTS, **MAPFILE_TESTS, **RDMA_TESTS, **RDMA_TOOL, **FUZZ_TESTS},
         kunit_skips=2,
         host_checks=len(TOPOLOGIES) + 2 + DMABUF_CHECKS_EPYC + RDMA_CHECKS_EPYC +
         RDMA_TOOL_CHECKS + FUZZ_CHECKS),
    # Every subsystem the project touches as a module (build/obj-modular):
    # modprobe from the initramfs, the export, MAP_FILE and revoke
    # selftests, mainline's iommufd selftests on iommufd's test module,
    # then unload, reload and use again.
    Plan('modular', 'q35', '', list(TOPOLOGIES), False, '',
         {**MODULES_LOAD, **DMABUF_TESTS, **MAPFILE_TESTS, **RDMA_TESTS,
          **IOMMUFD_MAINLINE_TESTS, **MODULES_RELOAD},
         0, 0, DMABUF_CHECKS_Q35 + MAPFILE_CHECKS + RDMA_CHECKS_Q35, True),
    # DRM on the modular kernel, with the epyc plan's CPU and iommu=pt (so
    # edu moves data on every pair): load VFIO's modules and DRM's (vgem,
    # vkms, edu_drm), igt-gpu-tools (its own cpio, appended to the
    # initrd), the kernel's dmabuf-heaps selftest, then the project's DRM
    # importer tests
    Plan('drm', 'epyc', 'iommu=pt', list(TOPOLOGIES), False, '',
         {**MODULES_LOAD, **DRM_MODULES_LOAD, **IGT_TESTS, **DMABUF_HEAPS_TESTS,
          **DRM_TESTS, **DRM_TOOL},
         0, 0, DRM_CHECKS_EPYC + DRM_TOOL_CHECKS, True,
         igt=True, skips={'igt': IGT_SKIPS}),
]


def host_files(p, rundir):
    """The host files of plan @p that RIG-CHECK lines may name."""
    files = {'ivshmem-' + t: os.path.join(rundir, f'ivshmem-{t}.bin')
             for t in p.topologies}
    # The selftests look up the lowest-numbered ivshmem and edu: rootbus.
    files['ivshmem'] = files.get('ivshmem-rootbus')
    return files


def qemu_args(p, rundir):
    """QEMU arguments for plan @p, and the host files a test may check."""
    # 'max' without la57: with 5-level paging, a KASAN kernel can take an
    # interrupt in identify_cpu() before its shadow covers the new direct
    # map and report a wild access in rcu_is_watching() (seen once in ten
    # boots on this rig; stock 6.12, not this project's code).
    cpu = {'q35': 'max,la57=off', 'epyc': 'EPYC'}[p.cpu]
    args = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'tcg',
            '-cpu', cpu, '-smp', '2', '-m', BENCH_MEMORY if p.name.startswith('bench') else MEMORY,
            # intel-iommu must come before the devices it translates for.
            '-device', 'intel-iommu,intremap=on,caching-mode=on']
    files = host_files(p, rundir)
    for name in p.topologies:
        ports, iv_bus, edu_bus, _, _ = TOPOLOGIES[name]
        path = files['ivshmem-' + name]
        with open(path, 'wb') as f:         # fresh, sparse, all zeroes
            f.truncate(IVSHMEM_SIZE)
        for port in ports:
            args += ['-device', port]
        args += ['-object', f'memory-backend-file,id=iv-{name},share=on,'
                            f'mem-path={path},size={IVSHMEM_SIZE}',
                 '-device', f'ivshmem-plain,memdev=iv-{name},bus={iv_bus}',
                 '-device', f'edu,bus={edu_bus},dma_mask={(1 << EDU_DMA_BITS) - 1:#x}']
    # A function with an I/O-port BAR (BAR1), which cannot be exported.
    args += ['-device', 'pci-testdev,bus=pcie.0,addr=0xa']
    if p.name.startswith('bench'):
        # A second edu, bound to edu_dma: the /dev/edu_dma importers
        args += ['-device', f'edu,bus=pcie.0,addr={BENCH_IMPORTER:#x},'
                            f'dma_mask={(1 << EDU_DMA_BITS) - 1:#x}']
        # BARs of every size the memory benchmark compares (sparse files)
        for slot, size in BENCH_BARS:
            path = os.path.join(rundir, f'bench-{size >> 20}M.bin')
            with open(path, 'wb') as f:
                f.truncate(size)
            args += ['-object', f'memory-backend-file,id=bench{slot},share=on,'
                                f'mem-path={path},size={size}',
                     '-device', f'ivshmem-plain,memdev=bench{slot},bus=pcie.0,'
                                f'addr={slot:#x}']
    if p.nvme:
        with open(os.path.join(rundir, 'nvme.img'), 'wb') as f:
            f.truncate(8 << 20)
        args += [a.format(dir=rundir) for a in NVME]
    return args, files


def kernel_cmdline(p, interactive=False):
    words = [CMDLINE, p.cmdline]
    words += [TOPOLOGIES[t][4] for t in p.topologies]
    if p.kunit:
        expect = EXPECT[p.cpu]
        pairs = [f'{t}:{TOPOLOGIES[t][3][0]}:{TOPOLOGIES[t][3][1]}' for t in p.topologies]
        words.append('kunit.filter_glob=' + p.kunit)
        words.append('p2pdma_topology_kunit.pairs=' + ','.join(
            f'{pair}:{expect[t][0]}:{expect[t][1]}' for pair, t in zip(pairs, p.topologies)))
        words.append('edu_dma_kunit.pairs=' + ','.join(pairs))
    else:
        words.append('kunit.enable=0')
    if interactive:
        words.append('rig.shell=1')
    elif p.tests:
        words.append('rig.tests=' + ','.join(p.tests))
    return ' '.join(w for w in words if w)


def shell_plan(cpu):
    return plan('shell', cpu)._replace(kunit='', tests={})


def demo(run_plan, timeout):
    """The main job: P2P between two VFIO-assigned devices through a BAR
    exported as a dma-buf and mapped with IOMMU_IOAS_MAP_FILE."""
    p = Plan('demo', 'q35', '', ['rootbus'], False, '', {'dmabuf_demo': 1},
             0, 0, 2)
    print('demo: booting the q35 machine (TCG, intel-iommu) with ivshmem-plain '
          '(its BAR2 is a file on this host) and edu (a DMA engine) on the root bus')
    out = run_plan(p, timeout)
    results = os.path.join(os.environ.get('B', 'build'), 'vm', 'demo', 'results.log')
    if os.path.exists(results):
        for line in open(results, errors='replace'):
            if line.startswith('# demo: '):
                print('demo: ' + line[len('# demo: '):].rstrip())
    for n in out.notes:
        print('demo: ' + n)
    for pr in out.problems:
        print('demo: problem: ' + pr)
    if out.failed or not out.passed:
        print('demo: FAILED: edu did not move the bytes through the exported BAR slices')
        return 1
    print('demo: SUCCESS: edu wrote into and read from the ivshmem BAR slices through '
          'their IOVAs, and the host file holds the bytes')
    return 0


# Extra ivshmem BAR sizes of the bench machine, by root bus slot
BENCH_BARS = [(0x10, 1 << 20), (0x11, 256 << 20), (0x12, 4 << 30), (0x13, 16 << 30)]
# The bench machine's second edu (root bus slot), for /dev/edu_dma
BENCH_IMPORTER = 0x14
# ZONE_DEVICE struct pages for the 16 GiB BAR alone take 256 MiB
BENCH_MEMORY = '2G'


def bench(run_plan, timeout):
    """Benchmarks on the emulated machine: figures, never pass/fail on time.

    The CPU is an EPYC so the PCI core allows P2P through the host bridge
    to the /dev/edu_dma importers; DMA stays translated (no iommu=pt)."""
    p = Plan('bench', 'epyc', '', ['rootbus'], False, '', {'dmabuf_bench': 1},
             0, 0, 0)
    print('bench: booting the q35 machine with an EPYC CPU (TCG: absolute times are '
          'those of an emulator, compare rows, not machines)')
    out = run_plan(p, timeout)
    results = os.path.join(os.environ.get('B', 'build'), 'vm', 'bench', 'results.log')
    if os.path.exists(results):
        for line in open(results, errors='replace'):
            if line.startswith('# bench: '):
                print(line[len('# bench: '):].rstrip())
    for pr in out.problems:
        print('bench: problem: ' + pr)
    return 1 if out.failed or not out.passed else 0


# The rows of the side-by-side table (dmabuf-test compare keys), in order
COMPARE_ROWS = ['export_1', 'export_8', 'export_64', 'export_512', 'export_4096',
                'export_512_reversed', 'close_1', 'close_8', 'close_512', 'close_4096',
                'heap_alloc_4k', 'heap_close_4k',
                'slab_1', 'slab_3', 'slab_8', 'slab_64', 'slab_100', 'slab_512',
                'slab_1000', 'slab_2047', 'mem_1', 'mem_64', 'mem_512', 'mem_1000', 'mem_2047',
                'mapfile_memfd_4k', 'mapfile_memfd_4k_unmap',
                'ioas_map_anon_4k', 'ioas_map_anon_4k_unmap', 'mapfile_memfd_4k_bare',
                'mapfile_memfd_4k_bare_unmap', 'ioas_map_anon_4k_bare',
                'ioas_map_anon_4k_bare_unmap',
                'mapfile_dmabuf_64ranges', 'mapfile_dmabuf_16g',
                'mapfile_dmabuf_16g_unmap', 'revoke_64', 'restore_64']


def parse_compare(path):
    """The figures of one dmabuf_compare boot: {key: (value or None, unit,
    what)} and the kernel release."""
    rows, release = {}, '?'
    if not os.path.exists(path):
        return rows, release
    for line in open(path, errors='replace'):
        if line.startswith('# kernel: '):
            release = line[len('# kernel: '):].strip()
        if (not line.startswith('# compare: ') or line.startswith('# compare: done') or
                line.startswith('# compare: #')):
            continue
        key, val, unit, what = (line[len('# compare: '):].rstrip('\n').split(' ', 3) +
                                ['', '', ''])[:4]
        rows[key] = (None if val == '-' else float(val), unit, what)
    return rows, release


def bench_mainline(run_plan, timeout, kernels, rounds=2):
    """The side-by-side benchmark: boot each kernel of @kernels ((label,
    bzImage) pairs, the project's first) in turn, @rounds times, with the
    same initramfs and dmabuf-test compare; print every figure for both,
    the ratio, and the project's round-against-round (A against A) spread."""
    runs = {label: [] for label, _ in kernels}
    releases = {}
    ok = True
    for r in range(rounds):
        for label, image in kernels:
            p = Plan(f'bench-{label}-{r + 1}', 'epyc', '', ['rootbus'], False, '',
                     {'dmabuf_compare': 1}, 0, 0, 0)
            print(f'bench-mainline: round {r + 1} of {rounds}: booting {label} ({image})')
            sys.stdout.flush()
            out = run_plan(p, timeout, kernel=image)
            for pr in out.problems:
                print(f'bench-mainline: {label}: problem: {pr}')
                ok = False
            rows, releases[label] = parse_compare(os.path.join(
                os.environ.get('B', 'build'), 'vm', p.name, 'results.log'))
            runs[label].append(rows)

    def med(label, key):
        # The lowest of the rounds, as each figure is the lowest of its
        # blocks: the emulator only ever slows a boot or a phase down
        vals = [rw[key][0] for rw in runs[label] if key in rw and rw[key][0] is not None]
        return min(vals) if vals else None

    proj, main = kernels[0][0], kernels[1][0]
    stock = kernels[2][0] if len(kernels) > 2 else None
    print()
    print(f'Side by side, {time.strftime("%Y-%m-%d")}: {releases.get(main, "?")} ({main}) and '
          f'{releases.get(proj, "?")} ({proj})'
          + (f', and {releases.get(stock, "?")} ({stock}: the base without this project, '
             'for the paths it has)' if stock else '') +
          ', the same dmabuf-test compare on the same '
          f'QEMU machine (TCG, EPYC, 16 GiB ivshmem BAR), boots alternating, '
          f'the lower of {rounds} rounds (a time: the lowest of 5 medians of 21 calls; '
          f'memory: per export, averaged over 4096 exports)')
    print()
    print(f'| path | {main} | {proj} | ratio |' + (f' {stock} |' if stock else ''))
    print('| --- | ---: | ---: | ---: |' + (' ---: |' if stock else ''))
    spreads = []
    for key in COMPARE_ROWS:
        what = unit = None
        for rw in runs[proj] + runs[main]:
            if key in rw:
                _, unit, what = rw[key]
                break
        if what is None:
            continue
        m, pv = med(main, key), med(proj, key)
        fmt = (lambda v: f'{v:.0f} {unit}') if unit == 'B' else (lambda v: f'{v:.1f} {unit}')
        ratio = f'{pv / m:.2f}' if m and pv is not None else '-'
        extra = ''
        if stock:
            sv = med(stock, key)
            extra = f' {fmt(sv) if sv is not None else "-"} |'
        print(f'| {what} | {fmt(m) if m is not None else "-"} | '
              f'{fmt(pv) if pv is not None else "-"} | {ratio} |{extra}')
        vals = [rw[key][0] for rw in runs[proj] if key in rw and rw[key][0]]
        if len(vals) >= 2 and unit != 'B':
            spreads.append(abs(vals[0] / vals[1] - 1))
    if spreads:
        spreads.sort()
        print(f'| A against A: {proj} round 1 / round 2, median over the timed rows | '
              f'- | {100 * spreads[len(spreads) // 2]:.1f} % | - |')
    print()
    print('Each boot (round by round):')
    print()
    labels = [(lb, r) for r in range(rounds) for lb, _ in kernels]
    print('| key | ' + ' | '.join(f'{lb} {r + 1}' for lb, r in labels) + ' |')
    print('| --- |' + ' ---: |' * len(labels))
    for key in COMPARE_ROWS:
        cells = []
        for lb, r in labels:
            rw = runs[lb][r] if r < len(runs[lb]) else {}
            v = rw.get(key, (None,))[0]
            cells.append('-' if v is None else f'{v:.1f}')
        if any(c != '-' for c in cells):
            print(f'| {key} | ' + ' | '.join(cells) + ' |')
    return 0 if ok else 1
