# SPDX-License-Identifier: GPL-2.0
#
# One entry point for the project: source preparation, kernel, guest
# user space, the VM runner, tests, the demo and the patch loop.
# "make help" lists the targets.

TOP := $(CURDIR)
B := $(TOP)/build
KSRC := $(B)/linux
KOBJ := $(B)/obj
HDR := $(B)/hdr
NPROC := $(shell nproc)

# DEBUG=0 builds without the debug fragment (faster boots, no KASAN).
# The benchmarks measure time and memory: they default to DEBUG=0.
ifneq ($(filter bench bench-mainline,$(MAKECMDGOALS)),)
DEBUG ?= 0
endif
DEBUG ?= 1
FRAGMENTS := rig/config/base.config rig/config/test.config
ifeq ($(DEBUG),1)
FRAGMENTS += rig/config/debug.config
else
KOBJ := $(B)/obj-nodebug
endif

# ccache hashes paths relative to the checkout, so a second clone (CI's)
# reuses the objects of the first.
export CCACHE_BASEDIR := $(TOP)
export CCACHE_NOHASHDIR := 1

KMAKE := $(MAKE) -C $(KSRC) O=$(KOBJ) LOCALVERSION= CC="ccache gcc" \
	HOSTCC="ccache gcc" -j$(NPROC)
BZIMAGE := $(KOBJ)/arch/x86/boot/bzImage
INITRAMFS := $(B)/initramfs.cpio
SELFTEST_DIR := $(B)/selftests

# Overlay files (new kernel files kept at the repository root).
OVERLAY := $(shell git ls-files --cached --others --exclude-standard -- \
	drivers include lib kernel mm tools Documentation 2>/dev/null)

# The modular plan's kernel: the same fragments plus modular.config,
# modules installed (stripped) into $(MODROOT) for the initramfs
KOBJ_MOD := $(B)/obj-modular
MODROOT := $(B)/modroot
MOD_FRAGMENTS := $(FRAGMENTS) rig/config/modular.config
KMAKE_MOD := $(MAKE) -C $(KSRC) O=$(KOBJ_MOD) LOCALVERSION= CC="ccache gcc" \
	HOSTCC="ccache gcc" -j$(NPROC)

# The drm plan's igt-gpu-tools (Debian's newer suite, rig/igt.sh) and the
# kernel's dmabuf-heaps selftest, in a cpio of their own that only that
# plan's initrd carries
IGT_CPIO := $(B)/igt.cpio
DRM_SELFTEST_DIR := $(B)/drm-selftests

export TOP B KSRC KOBJ HDR SELFTEST_DIR BZIMAGE INITRAMFS MODROOT IGT_CPIO DRM_SELFTEST_DIR

.PHONY: all help deps prepare config kernel modular deb headers selftests tool initramfs bench bench-mainline \
	test demo shell run export-patches checkpatch clean distclean FORCE drm-selftests igt \
	iommufd-mainline

all: kernel initramfs

help:
	@echo "make deps            install the Debian packages the rig needs"
	@echo "make prepare         unpack linux-source-6.12, apply patches/, link the overlay"
	@echo "make kernel          build bzImage into $(KOBJ) (DEBUG=0: no debug fragment)"
	@echo "make modular         the modular plan's kernel and modules ($(KOBJ_MOD), $(MODROOT))"
	@echo "make initramfs       busybox + the static test programs"
	@echo "make iommufd-mainline mainline 7.2's iommufd selftests (Debian's linux-source-7.2)"
	@echo "make igt             igt-gpu-tools from Debian's newer suite + dmabuf-heaps -> $(IGT_CPIO)"
	@echo "make test            every KUnit suite and selftest in every topology"
	@echo "make test PLAN=name  one plan (rig/vm.py plans lists them)"
	@echo "make test FORCE=1    boot plans that passed before with the same inputs too"
	@echo "make test ONLY=prog  only that selftest program, in the plans that run it"
	@echo "make bench           benchmark tables (non-debug kernel)"
	@echo "make bench-mainline  the same figures on mainline 7.2 and this kernel, side by side"
	@echo "make deb             linux-image/-headers packages, Debian's config (FLAVOUR=cloud-amd64)"
	@echo "make demo            the main job"
	@echo "make shell CPU=q35   boot the machine (CPU=q35 or epyc) with a shell"
	@echo "make export-patches  turn commits in build/linux into patches/"
	@echo "make checkpatch      checkpatch --strict on patches/ and the overlay"

deps:
	@bash rig/deps.sh

$(KSRC)/.rig-stamp: patches/series $(wildcard patches/*.patch) rig/prepare.sh FORCE
	@bash rig/prepare.sh

prepare: $(KSRC)/.rig-stamp

$(B)/localversion.config: FORCE | $(B)
	@v=$$(dpkg-query -W -f='$${Version}' linux-source-6.12); \
	 rev=$$(echo "$${v#*-}" | tr '~+' '--'); \
	 echo "CONFIG_LOCALVERSION=\"-$$rev-p2pdmabuf\"" > $@.tmp; \
	 echo "# CONFIG_LOCALVERSION_AUTO is not set" >> $@.tmp; \
	 cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(KOBJ)/.config: $(FRAGMENTS) $(B)/localversion.config $(KSRC)/.rig-stamp rig/check-config.sh
	@mkdir -p $(KOBJ)
	$(KMAKE) -s tinyconfig
	cd $(KSRC) && scripts/kconfig/merge_config.sh -m -O $(KOBJ) \
		$(KOBJ)/.config $(addprefix $(TOP)/,$(FRAGMENTS)) \
		$(B)/localversion.config > $(KOBJ)/merge.log
	$(KMAKE) -s olddefconfig
	@bash rig/check-config.sh $@ $(FRAGMENTS) $(B)/localversion.config

config: prepare $(KOBJ)/.config

kernel: config
	@echo "kernel: linux-source-6.12 $$(cat $(KSRC)/.rig-base) + $$(git -C $(KSRC) rev-list --count base..HEAD) patches, config $(notdir $(KOBJ))"
	$(KMAKE) bzImage
	@echo "kernel: built $$(cat $(KOBJ)/include/config/kernel.release) -> $(BZIMAGE)"

$(B)/localversion-modular.config: $(B)/localversion.config
	sed 's/-p2pdmabuf"/-p2pdmabuf-modular"/' $< > $@

$(KOBJ_MOD)/.config: $(MOD_FRAGMENTS) $(B)/localversion-modular.config $(KSRC)/.rig-stamp rig/check-config.sh
	@mkdir -p $(KOBJ_MOD)
	$(KMAKE_MOD) -s tinyconfig
	cd $(KSRC) && scripts/kconfig/merge_config.sh -m -O $(KOBJ_MOD) \
		$(KOBJ_MOD)/.config $(addprefix $(TOP)/,$(MOD_FRAGMENTS)) \
		$(B)/localversion-modular.config > $(KOBJ_MOD)/merge.log
	$(KMAKE_MOD) -s olddefconfig
	@bash rig/check-config.sh $@ $(MOD_FRAGMENTS) $(B)/localversion-modular.config

# The modular plan's kernel and its modules (only with the debug fragment:
# the test command's kernel)
modular: prepare $(KOBJ_MOD)/.config
	$(KMAKE_MOD) bzImage modules
	rm -rf $(MODROOT)
	$(KMAKE_MOD) -s modules_install INSTALL_MOD_PATH=$(MODROOT) INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod
	@echo "modular: built $$(cat $(KOBJ_MOD)/include/config/kernel.release), $$(find $(MODROOT) -name '*.ko' | wc -l) modules in $(MODROOT)"

# Debian packages from Debian's 6.12 configuration (FLAVOUR=amd64 or
# cloud-amd64); not part of the test command: hours on two cores
deb: prepare
	bash rig/deb.sh

headers: prepare
	$(MAKE) -C $(KSRC) O=$(B)/hdr-obj -s headers_install INSTALL_HDR_PATH=$(HDR)

selftests: headers
	@mkdir -p $(SELFTEST_DIR)
	$(MAKE) -C $(KSRC)/tools/testing/selftests/vfio OUTPUT=$(SELFTEST_DIR) \
		KHDR_INCLUDES="-isystem $(HDR)/include" \
		CC=gcc LDFLAGS=-static -j$(NPROC)
	for t in tools/testing/selftests/vfio/vfio_modules_*.sh; do \
		install -m 0755 $$t $(SELFTEST_DIR)/$$(basename $$t .sh); done

tool: headers
	@mkdir -p $(SELFTEST_DIR)
	$(MAKE) -C userspace/dmabuf-test OUT=$(SELFTEST_DIR) HDR=$(HDR)/include
	install -m 0755 userspace/dmabuf-test/dmabuf_demo.sh $(SELFTEST_DIR)/dmabuf_demo
	install -m 0755 userspace/dmabuf-test/dmabuf_rdma.sh $(SELFTEST_DIR)/dmabuf_rdma
	install -m 0755 userspace/dmabuf-test/dmabuf_drm.sh $(SELFTEST_DIR)/dmabuf_drm
	install -m 0755 userspace/dmabuf-test/dmabuf_bench.sh $(SELFTEST_DIR)/dmabuf_bench
	install -m 0755 userspace/dmabuf-test/dmabuf_bench.sh $(SELFTEST_DIR)/dmabuf_compare

initramfs: selftests tool iommufd-mainline
	@bash rig/mkinitramfs.sh

# Mainline 7.2's own iommufd selftests, the cases the modular plan runs,
# built from Debian's newer suite's linux-source-7.2 (cached in
# build/mainline/debs and build/iommufd-mainline) into $(SELFTEST_DIR)
iommufd-mainline:
	@bash rig/iommufd-mainline.sh

# The kernel's dmabuf-heaps selftest, static, for the drm plan
drm-selftests: headers
	@mkdir -p $(DRM_SELFTEST_DIR)
	$(MAKE) -C $(KSRC)/tools/testing/selftests/dmabuf-heaps OUTPUT=$(DRM_SELFTEST_DIR) \
		KHDR_INCLUDES="-isystem $(HDR)/include" CC=gcc

# igt-gpu-tools and its library closure from Debian's newer suite (cached
# in build/igt/debs; build/igt/VERSIONS names what was packed), the
# dmabuf-heaps selftest and the drm plan's programs, in $(IGT_CPIO)
igt: drm-selftests
	@bash rig/igt.sh

test: kernel modular initramfs igt
	python3 rig/vm.py test $(if $(PLAN),--plan $(PLAN)) $(if $(ONLY),--only $(ONLY))

bench: kernel initramfs
	python3 rig/vm.py bench

# Mainline 7.2 (Debian's newer suite's linux-source-7.2), this project's
# non-debug kernel and stock 6.12 (the base paths) booted in turn, the
# same benchmark on each
bench-mainline: kernel initramfs
	bash rig/mainline.sh > $(B)/mainline.path
	bash rig/stock.sh > $(B)/stock.path
	python3 rig/vm.py bench-mainline --mainline $$(tail -1 $(B)/mainline.path) \
		--stock $$(tail -1 $(B)/stock.path)

demo: kernel initramfs
	python3 rig/vm.py demo

shell: kernel initramfs
	python3 rig/vm.py shell --cpu $(or $(CPU),q35)

export-patches:
	@bash rig/export-patches.sh

checkpatch: prepare
	python3 rig/vm.py test --plan style

$(B):
	@mkdir -p $@

clean:
	rm -rf $(B)/obj $(B)/obj-nodebug $(B)/obj-modular $(MODROOT) $(B)/selftests $(B)/vm $(INITRAMFS) \
		$(IGT_CPIO) $(DRM_SELFTEST_DIR) $(B)/igt/root $(B)/igt/cpio.d

distclean:
	rm -rf $(B)

FORCE:
