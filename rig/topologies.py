# SPDX-License-Identifier: GPL-2.0
"""The test machine's topologies and the test plans: the one place they live.

Every topology has the same two devices, placed differently:
  ivshmem-plain  the P2P provider: BAR2 is a host file (share=on), so what
                 a device writes into the BAR can be read on the host
  edu            the DMA engine: copies between its 4 KiB buffer and a
                 bus address (28-bit DMA mask: IOVAs stay below 256 MiB)

  rootbus    both on the q35 root bus (pcie.0), meeting at the host bridge
  switch     both behind one PCIe switch (x3130 upstream, two xio3130
             downstream ports with ACS), separate IOMMU groups
  rootports  each on its own PCIe root port, meeting at the host bridge

Any topology takes the suffix "+epyc": "-cpu EPYC" makes the guest see an
AMD family 17h CPU, for which 6.12 allows P2P through the host bridge.
The q35 host bridge (8086:29c0) is not on the kernel's allow-list, so
without it P2P through the host bridge is "not supported".
"""

import os
from collections import namedtuple

IVSHMEM_SIZE = 16 << 20
MEMORY = '2G'

# Kernel command line common to every boot. TCG is slow: the hung-task
# and RCU-stall detectors get more slack than on hardware.
CMDLINE = ('console=ttyS0,115200 intel_iommu=on iommu.strict=1 panic=-1 '
           'hugepages=16 hung_task_timeout_secs=240 rcupdate.rcu_cpu_stall_timeout=120 '
           'kmemleak=on no_hash_pointers')

# The switch's downstream ports (TI XIO3130, 104c:8233) get ACS redirect
# from the kernel when an IOMMU is on; this turns it off again.
NO_ACS_REDIR = 'pci=disable_acs_redir=pci:104c:8233'

Plan = namedtuple('Plan', 'name topology cmdline kunit tests kunit_cases host_checks')


def plan(name, topology, kunit=None, cmdline='', tests=None, kunit_cases=0,
         host_checks=0):
    """@kunit: {'glob': suite glob, 'params': {param: value}}.
    @tests: {program: number of cases it must report}."""
    return Plan(name, topology, cmdline, kunit or {}, tests or {}, kunit_cases,
                host_checks)


TOPOLOGY_KUNIT = 'pci_p2pdma_topology'


def topology_kunit(expect, distance):
    return {'glob': TOPOLOGY_KUNIT,
            'params': {'p2pdma_topology_kunit.expect': expect,
                       'p2pdma_topology_kunit.distance': distance}}


# Number of cases each program reports; the runner fails a plan when fewer
# (or more) ran.
VFIO_BASELINE = {'vfio_iommufd_baseline_test': 12, 'vfio_type1_p2p_test': 2}
TOPOLOGY_CASES = 6

PLANS = [
    plan('rootbus', 'rootbus', topology_kunit('none', -1),
         tests=VFIO_BASELINE, kunit_cases=TOPOLOGY_CASES, host_checks=2),
    plan('switch', 'switch', topology_kunit('none', -1),
         tests=VFIO_BASELINE, kunit_cases=TOPOLOGY_CASES, host_checks=2),
    plan('switch-noacs', 'switch', topology_kunit('bus', 4), cmdline=NO_ACS_REDIR,
         kunit_cases=TOPOLOGY_CASES),
    plan('rootports', 'rootports', topology_kunit('none', -1),
         tests=VFIO_BASELINE, kunit_cases=TOPOLOGY_CASES, host_checks=2),
    plan('rootbus+epyc', 'rootbus+epyc', topology_kunit('host-bridge', 2),
         kunit_cases=TOPOLOGY_CASES),
    plan('switch+epyc', 'switch+epyc', topology_kunit('host-bridge', 4),
         kunit_cases=TOPOLOGY_CASES),
    plan('rootports+epyc', 'rootports+epyc', topology_kunit('host-bridge', 4),
         kunit_cases=TOPOLOGY_CASES),
]


def _placement(topology):
    """QEMU -device arguments for the ports, and the bus of each device."""
    if topology == 'rootbus':
        return [], {'ivshmem': 'pcie.0,addr=0x3', 'edu': 'pcie.0,addr=0x4'}
    if topology == 'switch':
        return ['-device', 'pcie-root-port,id=rp0,bus=pcie.0,addr=0x2,chassis=1,slot=1',
                '-device', 'x3130-upstream,id=up0,bus=rp0',
                '-device', 'xio3130-downstream,id=dn0,bus=up0,chassis=2,slot=0',
                '-device', 'xio3130-downstream,id=dn1,bus=up0,chassis=3,slot=0'], \
            {'ivshmem': 'dn0,addr=0x0', 'edu': 'dn1,addr=0x0'}
    if topology == 'rootports':
        return ['-device', 'pcie-root-port,id=rp0,bus=pcie.0,addr=0x2,chassis=1,slot=1',
                '-device', 'pcie-root-port,id=rp1,bus=pcie.0,addr=0x3,chassis=2,slot=2'], \
            {'ivshmem': 'rp0,addr=0x0', 'edu': 'rp1,addr=0x0'}
    raise SystemExit(f'unknown topology {topology}')


def qemu_args(p, rundir):
    """QEMU arguments for plan @p, and the host files a test may check."""
    base, _, variant = p.topology.partition('+')
    cpu = {'': 'max', 'epyc': 'EPYC'}.get(variant)
    if cpu is None:
        raise SystemExit(f'unknown topology variant +{variant}')
    ports, bus = _placement(base)
    ivshmem = os.path.join(rundir, 'ivshmem.bin')
    with open(ivshmem, 'wb') as f:         # fresh, sparse, all zeroes
        f.truncate(IVSHMEM_SIZE)
    args = ['-machine', 'q35,kernel-irqchip=split', '-accel', 'tcg',
            '-cpu', cpu, '-smp', '2', '-m', MEMORY,
            # intel-iommu must come before the devices it translates for.
            '-device', 'intel-iommu,intremap=on,caching-mode=on',
            *ports,
            '-object', f'memory-backend-file,id=ivmem,share=on,mem-path={ivshmem},'
                       f'size={IVSHMEM_SIZE}',
            '-device', f'ivshmem-plain,memdev=ivmem,bus={bus["ivshmem"]}',
            '-device', f'edu,bus={bus["edu"]}']
    return args, {'ivshmem': ivshmem}


def kernel_cmdline(p, interactive=False):
    words = [CMDLINE, p.cmdline]
    if p.kunit:
        words.append('kunit.filter_glob=' + p.kunit['glob'])
        words += [f'{k}={v}' for k, v in p.kunit['params'].items()]
    else:
        words.append('kunit.enable=0')
    if interactive:
        words.append('rig.shell=1')
    elif p.tests:
        words.append('rig.tests=' + ','.join(p.tests))
    return ' '.join(w for w in words if w)


def shell_plan(topology):
    return plan('shell', topology)


def demo(run_plan, timeout):
    """The main job: P2P through a VFIO type1 container on stock 6.12."""
    p = plan('demo', 'rootbus', tests={'vfio_type1_p2p_test': 2}, host_checks=2)
    print('demo: booting the q35 machine (TCG, intel-iommu) with ivshmem-plain '
          'and edu on the root bus')
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
        print('demo: FAILED: the edu DMA did not reach the ivshmem BAR as expected')
        return 1
    print('demo: SUCCESS: edu wrote into the ivshmem BAR through the IOMMU, '
          'and the host file holds the bytes')
    return 0
